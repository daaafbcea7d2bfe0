import type { Pool, PoolClient, QueryResult } from 'pg';
import { START_OF_LOG, type LogPosition, type LogRead, type RecordedEvent } from '../domain/types.js';
import type { PostgresEventStore } from './postgres-event-store.js';
import { withTransaction } from './transactions.js';
import { Wakeup } from '../domain/wakeup.js';
import { RoundWrites, type LaterWrites } from './later-writes.js';
import { positionLiterals, quoteLiteral, type EventRow } from './rows.js';

/**
 * A read model fed from the log. `apply` runs in the same transaction that
 * stores the checkpoint, so a batch is applied exactly once or not at all;
 * it must still be idempotent, because `replay` feeds it history again.
 */
export interface Projection {
  readonly name: string;
  /**
   * The stream types whose events it takes; every event when absent. A runner whose projections
   * all name theirs reads only those: the rest of the log is passed over in the database.
   */
  readonly streamTypes?: readonly string[];
  /**
   * `later`, when given, takes writes whose results the projection does not need: they go with the
   * round's commit, saving a round trip each. A projection applied outside a round gets none.
   */
  apply(tx: PoolClient, events: readonly RecordedEvent[], later?: LaterWrites): Promise<void>;
  /** Called once the transaction of a batch that applied events to it has committed. */
  afterCommit?(): void;
  /**
   * False for a projection whose rows are state of their own, not a view of the log (the
   * escalation starter's timers): `replay` neither empties it nor feeds it history again.
   */
  readonly rebuildable?: boolean;
  /** Empties the read model, ahead of a replay from the start of the log. */
  reset(tx: PoolClient): Promise<void>;
}

export interface SubscriptionOptions {
  batchSize?: number;
  /**
   * How often an idle subscription looks again. Appends in this process wake it
   * at once (`nudge`); appends by other processes are seen at the next look.
   */
  idlePollMs?: number;
  onError?: (projection: string, error: unknown) => void;
  /**
   * Least time from the start of a round that fed its projections events to the start of the next:
   * what commits meanwhile goes in one round. A round of a few events costs nearly what a round of
   * many does. A round that read a full batch (a backlog) is followed at once.
   */
  roundGapMs?: number;
}

interface ReadAhead {
  from: LogPosition;
  read: Promise<LogRead>;
}

/** The stream types a group of projections reads: undefined (all) unless every one names its own. */
const streamTypesOf = (projections: readonly Projection[]) =>
  projections.every((p) => p.streamTypes)
    ? [...new Set(projections.flatMap((p) => p.streamTypes!))].sort()
    : undefined;

/** The events of `read` that `projection` takes. */
const eventsFor = (projection: Projection, events: readonly RecordedEvent[]) =>
  projection.streamTypes ? events.filter((e) => projection.streamTypes!.includes(e.streamType)) : events;

/**
 * Batches of at most this many events hand their projections later writes (see LaterWrites). A
 * bigger one (a catch-up, a replay) saves little by them, and its values are big to write in.
 */
const LATER_WRITES_UP_TO = 500;

/** How soon a subscription looks again at events it could not take yet (doubling while they wait). */
const HELD_BACK_FIRST_LOOK_MS = 20;

/**
 * The statement that stores checkpoints, with its values written in (sent together with COMMIT
 * in one round trip, so it cannot take parameters); empty when there is nothing to store.
 */
const checkpointsStatement = (reached: ReadonlyArray<{ name: string; at: LogPosition }>) => {
  if (reached.length === 0) return '';
  const rows = reached.map(
    ({ name, at }) => `(${quoteLiteral(name)}, ${positionLiterals(at).join(', ')}, now())`,
  );
  return `INSERT INTO subscription_checkpoints (subscription_name, transaction_id, global_position, updated_at)
          VALUES ${rows.join(', ')}
          ON CONFLICT (subscription_name) DO UPDATE
            SET transaction_id = EXCLUDED.transaction_id, global_position = EXCLUDED.global_position,
                updated_at = EXCLUDED.updated_at;
          `;
};

/**
 * Whether the log holds any event after `at`, visible or not yet (a statement of its own, after
 * COMMIT). Written as the first row in log order rather than EXISTS, whose ORDER BY and LIMIT
 * PostgreSQL drops: without statistics on `events` (before its first ANALYZE, or with autovacuum
 * off) the planner then scans the whole table for it, a cost that grows with the log.
 */
export const eventsBeyondStatement = (at: LogPosition) =>
  `SELECT (SELECT 1 FROM events WHERE (transaction_id, global_position) > (${positionLiterals(at).join(', ')})
           ORDER BY transaction_id, global_position LIMIT 1) IS NOT NULL AS beyond`;

const comparePositions = (a: LogPosition, b: LogPosition) => {
  const byTransaction = BigInt(a.transactionId) - BigInt(b.transactionId);
  if (byTransaction !== 0n) return byTransaction < 0n ? -1 : 1;
  const byPosition = BigInt(a.globalPosition) - BigInt(b.globalPosition);
  return byPosition === 0n ? 0 : byPosition < 0n ? -1 : 1;
};

const samePosition = (a: LogPosition, b: LogPosition) =>
  a.transactionId === b.transactionId && a.globalPosition === b.globalPosition;

/**
 * Runs projections from the event log. Each batch takes an advisory lock named
 * after the projection, so two workers on one database never apply a batch twice.
 */
export class SubscriptionRunner {
  private running = false;
  private readonly wakeup = new Wakeup();
  /**
   * Where this runner's last batch of all its projections left them, when they stood together:
   * the next batch reads the log from there in the round trip that locks and reads the
   * checkpoints, and keeps that read if the checkpoints agree (a round trip saved a round).
   */
  private standing: LogPosition | null = null;
  private readEarly = true;
  /** The furthest position a nudge asked for (see `nudge`) that no round is known to have passed. */
  private awaited: LogPosition | null = null;
  /** Nudges that named no position: each asks for a round, whatever the last one read. */
  private blindNudges = 0;
  private loops: Promise<void>[] = [];
  private stopped: Promise<void> = Promise.resolve();
  private onStop: () => void = () => undefined;
  private readonly batchSize: number;
  private readonly idlePollMs: number;
  /** What its reads of the log take (see Projection.streamTypes). */
  private readonly streamTypes: readonly string[] | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly store: PostgresEventStore,
    private readonly projections: readonly Projection[],
    private readonly options: SubscriptionOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 1000;
    this.idlePollMs = options.idlePollMs ?? 500;
    this.streamTypes = streamTypesOf(projections);
  }

  /**
   * Processes at most one batch for `projection`; answers how many events of
   * the log it passed (applied, or skipped as not its stream types). Unless `wait`, it gives up at once (answering 0) when another
   * runner holds the projection.
   */
  async processBatch(projection: Projection, options: { wait?: boolean } = {}): Promise<number> {
    return (await this.processGroupBatch([projection], options)).scanned;
  }

  /**
   * One batch for several projections in one transaction: projections at the
   * same checkpoint (all of them, after a reset) share one read of the log.
   */
  private async processGroupBatch(
    projections: readonly Projection[],
    options: {
      wait?: boolean;
      /** A batch read ahead, already in hand (awaited before the transaction, which then never waits on the pool). */
      prefetched?: { from: LogPosition; read: LogRead };
      /** Called with the end of a full batch, to start reading the next one. */
      readNext?: (after: LogPosition) => void;
      /**
       * Also find out, after the commit and in the same round trip, whether the log holds events
       * beyond where the batch left the projections: committed since its read, or held back by
       * an older transaction still running (see `readAll`).
       */
      lookBeyond?: boolean;
    },
  ): Promise<{ scanned: number; beyond: boolean; taken: boolean; reached: LogPosition | null }> {
    // Round trips, not rows, are what a live batch of a few events costs: the transaction takes
    // three (begin, lock and checkpoints; the read; later writes, checkpoints and commit) plus what
    // read models must write at once (reads they need, writes whose results they use). Each round
    // trip also wakes the database on this process's core, which takes it over until it answers.
    const names = [...projections].sort((a, b) => (a.name < b.name ? -1 : 1)).map((p) => p.name);
    const client = await this.pool.connect();
    try {
      // Only a read of every stream type can be taken early: a filtered one ends on a marker row. A
      // catch-up reads ahead on another connection instead, as it applies the batch before.
      const all = projections.length === this.projections.length;
      const early = all && this.readEarly && !this.streamTypes && !options.readNext ? this.standing : null;
      const { held, read: earlyRead } = await this.lockAndReadCheckpoints(
        client,
        names,
        options.wait ?? false,
        early,
      );
      const groups = new Map<string, { from: LogPosition; projections: Projection[] }>();
      for (const projection of projections) {
        const from = held.get(projection.name);
        if (!from) continue;
        const key = `${from.transactionId}:${from.globalPosition}`;
        const group = groups.get(key) ?? { from, projections: [] };
        group.projections.push(projection);
        groups.set(key, group);
      }
      let applied = 0;
      const reached: Array<{ name: string; at: LogPosition }> = [];
      const fed: Projection[] = [];
      const later = new RoundWrites();
      let lowest: LogPosition | null = null; // where the furthest-behind projection now stands
      for (const { from, projections: group } of groups.values()) {
        const ahead = options.prefetched;
        const { events, end, scanned } =
          ahead && samePosition(ahead.from, from)
            ? ahead.read
            : early && earlyRead && samePosition(early, from)
              ? earlyRead
              : await this.store.readAll(from, this.batchSize, client, this.streamTypes);
        const now = end ?? from;
        if (!lowest || comparePositions(now, lowest) < 0) lowest = now;
        if (!end) continue;
        if (scanned === this.batchSize) options.readNext?.(end);
        for (const projection of group) {
          const taken = eventsFor(projection, events);
          if (taken.length > 0) {
            // A live round's few writes ride on its commit; a catch-up's big ones go as they come.
            await projection.apply(client, taken, events.length <= LATER_WRITES_UP_TO ? later : undefined);
            fed.push(projection);
          }
          reached.push({ name: projection.name, at: end });
        }
        applied = Math.max(applied, scanned);
      }
      const beyondStatement = options.lookBeyond && lowest ? `;${eventsBeyondStatement(lowest)}` : '';
      const results = (await client.query(
        `${later.sql()}${checkpointsStatement(reached)}COMMIT${beyondStatement}`,
      )) as unknown as QueryResult | QueryResult[];
      for (const projection of fed) projection.afterCommit?.();
      const last = Array.isArray(results) ? results.at(-1) : results;
      // Another runner moved them since this one's last round (a second worker): reading early
      // would mostly be reading for nothing from now on.
      if (early && held.size > 0 && ![...groups.values()].some((g) => samePosition(g.from, early))) {
        this.readEarly = false;
      }
      // Where they all stand now, if together and all held by this runner; unknown otherwise.
      this.standing = all && groups.size === 1 && held.size === projections.length ? lowest : null;
      return {
        scanned: applied,
        beyond: beyondStatement !== '' && last?.rows[0]?.beyond === true,
        taken: fed.length > 0,
        reached: lowest,
      };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * Begins the transaction, takes each projection's advisory lock (waiting for it, or giving up on
   * it when another runner holds it) and reads the checkpoints of those it holds, in one round
   * trip. The checkpoints are read by a later statement than the locks: under READ COMMITTED it
   * sees what the runner that held a lock before committed. With `readFrom`, a last statement reads
   * the log from there (it too sees what was committed before the locks were held).
   */
  private async lockAndReadCheckpoints(
    client: PoolClient,
    names: readonly string[],
    wait: boolean,
    readFrom: LogPosition | null,
  ) {
    const list = `ARRAY[${names.map((n) => quoteLiteral(n)).join(', ')}]::text[]`;
    // A read model and its checkpoint commit together, so a commit lost in a crash is only work
    // to redo: no need to wait for the disk.
    const results = (await client.query(
      `BEGIN;
       SELECT set_config('synchronous_commit', 'off', true);
       SELECT name, ${wait ? 'true AS ok, pg_advisory_xact_lock' : 'pg_try_advisory_xact_lock'}(hashtext('vigil-subscription'), hashtext(name))${wait ? '' : ' AS ok'}
       FROM unnest(${list}) AS wanted(name);
       SELECT subscription_name, transaction_id, global_position FROM subscription_checkpoints
       WHERE subscription_name = ANY(${list});
       ${readFrom ? this.store.readAllStatement(readFrom, this.batchSize) : ''}`,
    )) as unknown as Array<{ rows: Array<Record<string, string | boolean>> }>;
    const locked = results[2]!.rows.filter((r) => r.ok === true).map((r) => String(r.name));
    const stored = new Map(
      results[3]!.rows.map((r) => [
        String(r.subscription_name),
        { transactionId: String(r.transaction_id), globalPosition: String(r.global_position) },
      ]),
    );
    return {
      held: new Map(locked.map((name) => [name, stored.get(name) ?? START_OF_LOG])),
      read: readFrom ? this.store.logReadOf(results[4]!.rows as unknown as EventRow[]) : null,
    };
  }

  /**
   * Applies everything committed before the call (waiting for another runner of
   * the same projection if need be); answers the number of events of the log it passed.
   */
  async catchUp(projection: Projection): Promise<number> {
    return this.catchUpGroup([projection]);
  }

  /** Catches every projection up, reading the log once for those at the same checkpoint. */
  async catchUpAll(): Promise<number> {
    return this.catchUpGroup(this.projections);
  }

  /**
   * Starts reading the batch after `from` on another connection while the
   * current one is applied. Events below the watermark never change, so the
   * early read sees what a later one would.
   */
  private readAhead(from: LogPosition): ReadAhead {
    const read = this.store.readAll(from, this.batchSize, this.pool, this.streamTypes);
    read.catch(() => undefined); // a failure surfaces where the batch is awaited
    return { from, read };
  }

  private async catchUpGroup(projections: readonly Projection[]): Promise<number> {
    // What was committed before the call, and no further: under steady load, going on would only
    // take turns with the loop, each finding the other's round half done.
    const head = await this.store.logHead();
    let total = 0;
    let next: ReadAhead | undefined;
    for (;;) {
      const prefetched = next ? { from: next.from, read: await next.read } : undefined;
      next = undefined;
      const { scanned: applied, reached } = await this.processGroupBatch(projections, {
        wait: true,
        prefetched,
        readNext: (after) => (next = this.readAhead(after)),
      });
      total += applied;
      // Nothing more visible (events held back behind an older transaction still running wait
      // for the loop), or all that came before the call taken.
      if (applied === 0 || !head || (reached && comparePositions(reached, head) >= 0)) return total;
    }
  }

  /** Empties the read model and forgets the checkpoint, in one transaction. */
  async reset(projection: Projection): Promise<void> {
    this.standing = null;
    await withTransaction(this.pool, async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('vigil-subscription'), hashtext($1))`, [
        projection.name,
      ]);
      await projection.reset(tx);
      await tx.query(`DELETE FROM subscription_checkpoints WHERE subscription_name = $1`, [projection.name]);
    });
  }

  /**
   * Drops every read model and rebuilds it from position 0, reading the log once
   * for all of them (measured faster on two cores than one reader per projection);
   * answers the number of events read. Projections that are not rebuildable keep
   * their rows and checkpoint.
   */
  async replay(): Promise<number> {
    const rebuilt = this.projections.filter((p) => p.rebuildable !== false);
    for (const p of rebuilt) await this.reset(p);
    return this.catchUpGroup(rebuilt);
  }

  async checkpoint(name: string, db: Pool | PoolClient = this.pool): Promise<LogPosition> {
    const { rows } = await db.query<{ transaction_id: string; global_position: string }>(
      `SELECT transaction_id, global_position FROM subscription_checkpoints WHERE subscription_name = $1`,
      [name],
    );
    const row = rows[0];
    return row ? { transactionId: row.transaction_id, globalPosition: row.global_position } : START_OF_LOG;
  }

  /** Events appended but not yet applied, per projection. */
  async lag(): Promise<Array<{ name: string; events: number }>> {
    const { rows } = await this.pool.query<{ name: string; events: string }>(
      `SELECT p.name, (SELECT count(*) FROM events e
                       WHERE (e.transaction_id, e.global_position)
                             > (coalesce(c.transaction_id, '0'::xid8), coalesce(c.global_position, 0))) AS events
       FROM unnest($1::text[]) AS p(name)
       LEFT JOIN subscription_checkpoints c ON c.subscription_name = p.name`,
      [this.projections.map((p) => p.name)],
    );
    return rows.map((r) => ({ name: r.name, events: Number(r.events) }));
  }

  /**
   * Wakes idle loops now, e.g. right after this process appended. Given the `committed` events,
   * a round that has read them already answers the nudge: an append's answer often comes back
   * after a round read its events, and another round would find nothing.
   */
  nudge(committed?: readonly RecordedEvent[]): void {
    const upTo = committed?.reduce<LogPosition | null>(
      (furthest, e) => (furthest && comparePositions(furthest, e.position) >= 0 ? furthest : e.position),
      null,
    );
    if (upTo) {
      if (this.readAlready(upTo)) return;
      if (!this.awaited || comparePositions(upTo, this.awaited) > 0) this.awaited = upTo;
    } else {
      this.blindNudges++;
    }
    this.wakeup.wake();
  }

  /** Whether the last round of all the projections together read the log past `position`. */
  private readAlready(position: LogPosition): boolean {
    return this.standing !== null && comparePositions(position, this.standing) <= 0;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.stopped = new Promise((resolve) => (this.onStop = resolve));
    this.loops = [this.loop()];
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.onStop();
    this.nudge();
    await Promise.all(this.loops);
  }

  /** Waits `ms`, which no nudge shortens; `stop` does. */
  private async pause(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, ms))), this.stopped]);
    clearTimeout(timer);
  }

  /**
   * One loop for every projection: they usually stand at the same checkpoint, so one read of the
   * log and one transaction serve them all. A projection that fails is set apart and retried on
   * its own a second later, so it cannot hold the others back; once it succeeds it rejoins them.
   */
  private async loop(): Promise<void> {
    const apart = new Map<Projection, number>(); // when each failed projection is next tried
    const fail = (projection: Projection, error: unknown) => {
      this.options.onError?.(projection.name, error);
      apart.set(projection, Date.now() + 1000);
    };
    let heldBackMs = 0;
    let lastBusyRound = -Infinity; // when the last round that fed events began
    while (this.running) {
      // Busy: let commits pile up for the next round, unless stopped meanwhile.
      const gap = lastBusyRound + (this.options.roundGapMs ?? 0) - performance.now();
      if (gap > 0) await this.pause(gap);
      if (!this.running) break;
      // A nudge during the round (a commit it may have read too early for) starts another at once.
      let mark = this.wakeup.mark();
      const blindMark = this.blindNudges;
      const began = performance.now();
      let full = false;
      let scanned = 0;
      let beyond = false;
      let taken = false;
      const together = this.projections.filter((p) => !apart.has(p));
      const alone = [...apart].filter(([, at]) => at <= Date.now()).map(([p]) => p);
      if (together.length > 0) {
        try {
          ({ scanned, beyond, taken } = await this.processGroupBatch(together, { lookBeyond: true }));
          full = scanned === this.batchSize;
        } catch (error) {
          // Find out which of them failed: each tries again on its own.
          if (together.length === 1) fail(together[0]!, error);
          else alone.push(...together);
        }
      }
      for (const projection of alone) {
        try {
          full = (await this.processBatch(projection)) === this.batchSize || full;
          apart.delete(projection);
        } catch (error) {
          fail(projection, error);
        }
      }
      // A full batch is a backlog, taken as fast as it goes; a round that fed events is load.
      lastBusyRound = taken && !full ? began : -Infinity;
      if (full) continue;
      // Nudges during the round only for events it read: they are answered, no round needed.
      if (this.awaited && this.readAlready(this.awaited)) this.awaited = null;
      if (this.awaited === null && this.blindNudges === blindMark) mark = this.wakeup.mark();
      // Events the round could not take yet: committed after its read (their signal may have come
      // from another process before it), or held back behind an older transaction still running,
      // whose end signals nothing when it appended nothing. Look again soon, backing off for as
      // long as nothing new becomes visible.
      heldBackMs = !beyond ? 0 : scanned > 0 || heldBackMs === 0 ? HELD_BACK_FIRST_LOOK_MS : heldBackMs * 2;
      const untilApartRetry = Math.min(...apart.values()) - Date.now();
      const wait = Math.min(this.idlePollMs, untilApartRetry, heldBackMs || Infinity);
      // Stopped while a round ran: stop's nudge ends this sleep before it starts.
      await this.wakeup.sleep(Math.max(0, wait), mark);
    }
  }
}
