import type { Pool, PoolClient } from 'pg';
import {
  newId,
  ConcurrencyError,
  FoldedStateCache,
  StateLayer,
  type PostgresEventStore,
  type StoredEventRef,
  type RecordedEvent,
} from '#vigil/event-store';
import type { Incident } from '#vigil/incidents';
import type { AlertGroup } from '../domain/alert-group.js';
import type { GroupingRules } from '../grouping/grouping-rules.js';
import type { Integration } from '../integrations/integrations.js';
import type { Silences } from '../silences/silences.js';
import {
  commitBatch,
  commitGuessed,
  receiptKey,
  type BatchContext,
  type BatchResult,
  type Memories,
  type Delivery,
  type DeliveryOutcome,
} from './delivery-batch.js';
import { PipelinedConnection } from './pipelined-connection.js';
import { RecentReceipts } from './recent-receipts.js';

export { ALERT_GROUP_STREAM_TYPE, alertGroupStreamId, SNAPSHOT_EVERY } from './delivery-batch.js';
export type { Delivery, DeliveryOutcome } from './delivery-batch.js';

export interface IngestionOptions {
  /** Most deliveries taken in one transaction. */
  maxBatch?: number;
  /** Told of each committed transaction: how many deliveries it took and how long it ran. */
  onBatch?: (deliveries: number, seconds: number) => void;
  /** Told of each delivery answered from memory, and whether its bytes or its receipt gave it away. */
  onKnown?: (by: 'bytes' | 'receipt') => void;
  /** Told of each batch that goes behind one still in flight. */
  onBehind?: () => void;
  /** Told of each retry of a batch (a lost race, a wrong guess, a lost connection). */
  onRetry?: () => void;
}

/** The key a payload's bytes are remembered by, next to its receipt key. */
const bytesKey = (integrationId: string, bytesHash: string) => `${integrationId}/bytes:${bytesHash}`;

/** A guessed batch sent and not settled. */
interface Ahead {
  /** One of its events: stored if, and only if, it commits. */
  event: StoredEventRef;
  /** The states it leaves, kept apart from the caches until it commits. */
  keep: Memories;
  /** Resolves once it settled, committed or failed for good. */
  settled: Promise<void>;
}

/** Layers over the caches, for the states a batch leaves before it commits. */
const layersOver = (memories: Memories): Memories => ({
  groups: new StateLayer(memories.groups),
  incidents: new StateLayer(memories.incidents),
  snapshots: new StateLayer(memories.snapshots),
});

interface Waiting {
  delivery: Delivery;
  resolve: (outcome: DeliveryOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * A hook the batches tell (metrics, listeners of commits), made harmless: told after a commit or in
 * the middle of a retry's bookkeeping, one that throws must neither fail a batch that committed
 * (its senders would hear 5xx for alerts that are stored) nor unbalance the bookkeeping. A hook
 * that failed loses that one call, nothing else.
 */
const quietly =
  <A extends unknown[]>(hook: ((...args: A) => void) | undefined) =>
  (...args: A): void => {
    try {
      hook?.(...args);
    } catch {
      // See above.
    }
  };

const MAX_ATTEMPTS = 5;

/**
 * Batches in flight at once: one committing, and one behind it on the same pipelined connection,
 * decided on the states the first leaves, which the database runs as soon as the first is done.
 */
const IN_FLIGHT = 2;

/**
 * Deliveries that must be waiting before a batch goes behind one still in flight; fewer wait for
 * it to commit. A small batch behind another costs the database a statement and a commit for few
 * alerts, and leaves the next arrivals waiting for both. Measured with 32 PagerDuty senders:
 * 0.36 of the floor when any one delivery went, 0.42 with 6, 0.43 with 8, 0.38 with 16.
 */
const BEHIND_AT_LEAST = 8;

/** A batch's guess that its receipts were all new was wrong (see BatchContext.guess). */
const RECEIPTS_TAKEN = 'VG410';

const sqlState = (error: unknown) => (error as { code?: string } | null)?.code ?? '';

/**
 * Lost a race that a fresh read settles (a person changed the incident, or two batches crossed),
 * or guessed wrong.
 */
const retryable = (error: unknown) =>
  error instanceof ConcurrencyError ||
  ['40P01', '40001', RECEIPTS_TAKEN].includes(sqlState(error)) ||
  connectionLost(error);

/**
 * The connection failed under the batch: it may have committed without this process hearing so,
 * so the retry reads what is stored instead of trusting memory (its receipts answer for it).
 */
const connectionLost = (error: unknown) =>
  ['ECONNRESET', 'EPIPE', 'ECONNREFUSED', '57P01'].includes(sqlState(error)) ||
  /^Connection terminated|not queryable/.test((error as Error | null)?.message ?? '');

/**
 * Alert ingestion with group commit. Deliveries that arrive while a
 * transaction is in flight wait, and the next transaction takes them all
 * together, so commits per second do not bound alerts per second and a quiet
 * system adds no delay. Under load a second batch goes behind the one in
 * flight, on the same pipelined connection, so the database starts it the
 * moment the first commits (see commitGuessed). Every delivery is answered
 * only after its transaction committed. A transaction that fails for a reason
 * other than a lost race is retried one delivery at a time, so one bad
 * delivery cannot fail the others.
 */
export class AlertIngestion {
  private readonly waiting: Waiting[] = [];
  private inFlight = 0;
  /** The batch deciding now, if any: the next waits for the states it leaves (see commitGuessed). */
  private deciding: Waiting[] | null = null;
  /** The last guessed batch sent and not settled: the next batch decides on what it keeps. */
  private ahead: Ahead | null = null;
  /** Batches that failed and have not settled: while any has not, no new batch decides. */
  private blocked = 0;
  private readonly groups = new FoldedStateCache<AlertGroup>();
  private readonly incidents = new FoldedStateCache<Incident>();
  private readonly snapshots = new FoldedStateCache<null>();
  /** The caches: only committed states are kept in them. */
  private readonly memories: Memories = {
    groups: this.groups,
    incidents: this.incidents,
    snapshots: this.snapshots,
  };
  private readonly receipts = new RecentReceipts();
  private readonly pipeline: PipelinedConnection;
  private readonly maxBatch: number;
  private readonly onBatch: (deliveries: number, seconds: number) => void;
  private readonly onKnown: (by: 'bytes' | 'receipt') => void;
  private readonly onBehind: () => void;
  private readonly onRetry: () => void;
  private readonly tellCommitted: (events: RecordedEvent[]) => void;

  constructor(
    private readonly pool: Pool,
    private readonly store: PostgresEventStore,
    private readonly silences: Pick<Silences, 'notOver'>,
    private readonly rules: Pick<GroupingRules, 'all'>,
    onCommitted: (events: RecordedEvent[]) => void = () => undefined,
    options: IngestionOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 128;
    this.pipeline = new PipelinedConnection(pool.options);
    this.onBatch = quietly(options.onBatch);
    this.onKnown = quietly(options.onKnown);
    this.onBehind = quietly(options.onBehind);
    this.onRetry = quietly(options.onRetry);
    this.tellCommitted = quietly(onCommitted);
  }

  /**
   * The first answer to a payload of exactly these bytes, if this process saw one committed for
   * the integration: a receiver asks before parsing, so a re-send (Alertmanager sends every group
   * again each group_interval) costs a hash and a lookup. Bytes taken before were valid, so
   * whatever parsing would find, the answer stays the first one.
   */
  answerTo(integrationId: string, bytesHash: string): { response: unknown } | undefined {
    const known = this.receipts.answer(bytesKey(integrationId, bytesHash));
    if (known) this.onKnown('bytes');
    return known;
  }

  deliver(delivery: Delivery): Promise<DeliveryOutcome> {
    // A payload this process saw committed gets its first answer again, and appends nothing.
    const known = this.receipts.answer(receiptKey(delivery));
    if (known) {
      this.onKnown('receipt');
      return Promise.resolve({ response: known.response, replayed: true });
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ delivery, resolve, reject });
      this.pump();
    });
  }

  /** Closes the shared connection; batches in flight finish first. */
  async close(): Promise<void> {
    await this.pipeline.close();
  }

  /** A PagerDuty change event: recorded (its own stream), never paging anyone. */
  async recordChange(
    integration: Integration,
    payloadHash: string,
    change: {
      summary: string;
      source: string | null;
      timestamp: string;
      details: Record<string, unknown>;
      links: unknown[];
    },
    now: string,
  ): Promise<DeliveryOutcome> {
    return this.deliver({
      integration,
      payloadHash,
      alerts: [],
      response: { status: 'success', message: 'Change event processed' },
      now,
      also: [
        {
          streamId: `change-${newId()}`,
          streamType: 'change',
          expectedVersion: 0,
          events: [
            {
              type: 'ChangeEventReceived',
              data: { integrationId: integration.id, service: integration.service, ...change },
              metadata: {
                actor: { kind: 'alert', id: integration.id, name: integration.name },
                source: 'alert',
              },
              occurredAt: now,
            },
          ],
        },
      ],
    });
  }

  /**
   * Told of events committed in this process by others than ingestion (a person acknowledged, an
   * escalation step fired): incidents they moved on are forgotten, so the next batch reads them
   * instead of failing on a stale state.
   */
  noteCommitted(events: readonly RecordedEvent[]): void {
    for (const e of events) this.incidents.forgetBehind(e.streamId, e.streamVersion);
  }

  private pump() {
    while (
      this.deciding === null &&
      this.blocked === 0 &&
      this.inFlight < IN_FLIGHT &&
      this.waiting.length >= (this.inFlight === 0 ? 1 : BEHIND_AT_LEAST)
    ) {
      const batch = this.waiting.splice(0, this.maxBatch);
      if (this.inFlight > 0) this.onBehind();
      this.inFlight++;
      this.deciding = batch;
      void this.settle(batch).finally(() => {
        this.inFlight--;
        this.decided(batch);
      });
    }
  }

  /** `batch` has decided (or is done): the next may decide on the states it left in memory. */
  private decided(batch: Waiting[]) {
    if (this.deciding === batch) this.deciding = null;
    this.pump();
  }

  private async settle(batch: Waiting[], behind = true) {
    let done = () => undefined as void;
    const settled = new Promise<void>((resolve) => (done = resolve));
    // The batch sent ahead of this one and not settled, whose states this one decides on.
    const ahead = behind ? this.ahead : null;
    try {
      const outcomes = await this.commit(
        batch.map((w) => w.delivery),
        () => this.decided(batch),
        settled,
        ahead,
      );
      batch.forEach((w, i) => w.resolve(outcomes[i]!));
    } catch (error) {
      // A batch that failed for good is left counted as blocked by commit, until it settled.
      try {
        if (batch.length === 1) {
          batch[0]!.reject(error);
          return;
        }
        // One at a time, on committed states only: after the batch ahead settled.
        await ahead?.settled;
        for (const one of batch) await this.settle([one], false);
      } finally {
        this.blocked--;
      }
    } finally {
      done();
    }
  }

  /** A guessed batch on the shared pipelined connection; undefined when it goes the long way. */
  private async guessed(deliveries: Delivery[], context: BatchContext): Promise<BatchResult | undefined> {
    // Without the shared connection (the database is restarting), the long way takes the batch.
    return this.pipeline.use((db) => commitGuessed(db, this.store, deliveries, context));
  }

  /** A connection for a batch that begins and commits its own transaction; rolled back if it fails. */
  private async inTransaction<T>(work: (tx: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      return await work(client);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * Commits the deliveries, retrying lost races. `settled` resolves once the whole batch settled
   * (its deliveries retried one at a time included); `ahead` is the batch sent ahead of it, whose
   * states it decides on. Once an attempt failed, no new batch decides until this one settled: if
   * all attempts fail, the batch stays counted as blocked, for the caller to release.
   */
  private async commit(
    deliveries: Delivery[],
    sent: () => void,
    settled: Promise<void>,
    ahead: Ahead | null,
  ): Promise<DeliveryOutcome[]> {
    let failed = false;
    // Batches decide one at a time, each on the states the one before left (committed, or kept
    // by the batch ahead while it commits), so those states are current unless another process
    // moved them: the first attempt trusts them and guesses; a lost race reads.
    let trusted = true;
    let guess = trusted;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          // Read before the transaction: a transaction that waits for a second connection can
          // starve a full pool.
          const silences = await this.silences.notOver(deliveries[0]!.now);
          const rules = await this.rules.all();
          const started = performance.now();
          let result: BatchResult | undefined;
          if (guess) {
            const keep = layersOver(this.memories);
            result = await this.guessed(deliveries, {
              silences,
              rules,
              ...(ahead?.keep ?? this.memories),
              trusted,
              guess,
              keep,
              ahead: ahead?.event ?? null,
              sent: (event) => {
                this.ahead = { event, keep, settled };
                sent();
              },
            });
          }
          if (result === undefined) {
            // The long way decides on committed states only: after the batch ahead settled.
            await ahead?.settled;
            const context = { silences, rules, ...this.memories, trusted, guess: false };
            result = await this.inTransaction((tx) => commitBatch(tx, this.store, deliveries, context));
          }
          const { outcomes, events, remember } = result;
          remember(this.memories);
          if (this.ahead?.settled === settled) this.ahead = null;
          deliveries.forEach((d, i) => {
            const { response } = outcomes[i]!;
            this.receipts.remember(receiptKey(d), response);
            if (d.bytesHash) this.receipts.remember(bytesKey(d.integration.id, d.bytesHash), response);
          });
          this.onBatch(deliveries.length, (performance.now() - started) / 1000);
          // The store kept the new heads itself: the append committed in the same round trip.
          if (events.length > 0) this.tellCommitted(events);
          return outcomes;
        } catch (error) {
          // Nothing more decides on what this batch kept, and no new batch decides until it
          // settled (the batch behind it, deciding on its states, fails on its own).
          if (this.ahead?.settled === settled) this.ahead = null;
          if (!failed) {
            failed = true;
            this.blocked++;
          }
          if (!retryable(error) || attempt >= MAX_ATTEMPTS) {
            failed = false; // left counted as blocked: settle releases it
            throw error;
          }
          this.onRetry();
          guess = false;
          // Receipts taken already leave the states in memory as true as they were.
          if (sqlState(error) !== RECEIPTS_TAKEN) trusted = false;
          // The retry decides on what the batch ahead of this one left, once that one settled.
          await ahead?.settled;
        }
      }
    } finally {
      if (failed) this.blocked--;
    }
  }
}
