import { hash } from 'node:crypto';
import type { PoolClient } from 'pg';
import {
  newId,
  quoteLiteral,
  type AppendRequest,
  type AppendResult,
  type StateMemory,
  type NewEvent,
  type PostgresEventStore,
  type Queryable,
  type RecordedEvent,
  type StoredEventRef,
} from '#vigil/event-store';
import {
  decide,
  evolve,
  incidentListRows,
  initialIncident,
  INCIDENT_STREAM_TYPE,
  incidentStreamId,
  upsertIncidentList,
  type CommandMetadata,
  type Incident,
  type IncidentCommand,
} from '#vigil/incidents';
import {
  decideAlert,
  emptyAlertGroup,
  evolveAlertGroup,
  type AlertGroup,
  type AlertGroupEvent,
  type IncidentConsequence,
} from '../domain/alert-group.js';
import { groupKeyOf, type GroupingRule } from '../domain/grouping.js';
import type { NormalisedAlert } from '../domain/normalised-alert.js';
import { silencing, type Silence } from '../domain/silences.js';
import type { Integration } from '../integrations/integrations.js';

export const ALERT_GROUP_STREAM_TYPE = 'alert-group';

/** The group's stream id: the group key can be any text, so it is hashed to a bounded id. */
export const alertGroupStreamId = (integrationId: string, groupKey: string) =>
  `alert-group-${integrationId}-${hash('sha256', groupKey, 'hex').slice(0, 32)}`;

export interface Delivery {
  integration: Integration;
  /** Identifies the payload (a hash of its bytes, or the sender's message id): a retry gets the first answer and appends nothing. */
  payloadHash: string;
  /** A hash of the payload's bytes as sent, when the receiver had them (see AlertIngestion.answerTo). */
  bytesHash?: string;
  alerts: NormalisedAlert[];
  /** What to answer the sender (stored with the receipt). */
  response: unknown;
  now: string;
  /** Other events the delivery records, in the same transaction (a change event). */
  also?: AppendRequest[];
}

export interface DeliveryOutcome {
  response: unknown;
  /** True when this was a retry of a payload already taken. */
  replayed: boolean;
}

/** What a batch's transaction needs besides the deliveries, read before it begins. */
export interface BatchContext {
  silences: readonly Silence[];
  rules: ReadonlyMap<string, GroupingRule>;
  /**
   * Folded states from earlier batches of this process (committed, or, seen through the layer of
   * the batch ahead, committing): only what came after them is read.
   */
  groups: StateMemory<AlertGroup>;
  incidents: StateMemory<Incident>;
  /** The version of each group's stored snapshot, as far as this process knows. */
  snapshots: StateMemory<null>;
  /**
   * Take the states in memory as current and read nothing for them: this process's batches decide
   * one after another, each on the states the one before left. A state gone stale (a person, or
   * another process, changed the stream, or the batch before failed) fails the append with a
   * ConcurrencyError, and the retry, not trusting, reads.
   */
  trusted: boolean;
  /**
   * Guess that every receipt is new and every group not in memory has no events yet, decide on
   * that before anything is sent, and take the batch in a single message that begins, claims,
   * locks, appends and commits: one round trip. The message checks both guesses (a taken receipt
   * fails the claim with SQLSTATE VG410, an existing group the append with a ConcurrencyError), so
   * a wrong guess commits nothing, and the retry goes the long way. Only with `trusted`.
   */
  guess: boolean;
  /**
   * Told when a guessed batch is sent, with one of its events (stored if, and only if, it commits):
   * the states it leaves are in memory already, so the next batch may decide on them and go behind
   * it while it commits (see commitGuessed).
   */
  sent?: (event: StoredEventRef) => void;
  /**
   * An event of the batch still committing ahead of this one, on whose states this one decides:
   * this batch's statement fails unless that event is stored, so nothing it decides on states that
   * did not commit is kept (a decision that appends nothing, a repeat, is checked by nothing else).
   */
  ahead?: StoredEventRef | null;
  /**
   * Where a guessed batch keeps the states it leaves as soon as it is decided, before it commits:
   * layers over the caches, which the batch behind it decides on (see commitGuessed).
   */
  keep?: Memories;
}

/** The memories a batch reads states from, or keeps them in. */
export interface Memories {
  groups: StateMemory<AlertGroup>;
  incidents: StateMemory<Incident>;
  snapshots: StateMemory<null>;
}

/**
 * A group's snapshot is rewritten once its stream is this many events past it:
 * a reader without the state in memory folds at most this many events, and a
 * busy group does not rewrite its whole state on every batch.
 */
export const SNAPSHOT_EVERY = 25;

export interface BatchResult {
  outcomes: DeliveryOutcome[];
  events: RecordedEvent[];
  /** Call once the transaction committed: keeps the states it folded in `into` for the next batch. */
  remember: (into: Memories) => void;
}

interface Taken {
  delivery: Delivery;
  /** The alerts of this delivery, each with the stream of its group. */
  alerts: Array<{ alert: NormalisedAlert; streamId: string }>;
}

export const receiptKey = (d: Delivery) => `${d.integration.id}/${d.payloadHash}`;

/** The deliveries of a batch, each payload once, with the streams of their alerts' groups. */
const planOf = (deliveries: readonly Delivery[], context: BatchContext) => {
  // A payload twice in one batch: the second copy is a retry of the first.
  const first = new Map<string, number>();
  deliveries.forEach((d, i) => {
    if (!first.has(receiptKey(d))) first.set(receiptKey(d), i);
  });
  const unique = [...first.values()].map((i) => deliveries[i]!);
  const streamsOf = (delivery: Delivery) =>
    delivery.alerts.map((alert) => ({
      alert,
      streamId: alertGroupStreamId(
        delivery.integration.id,
        groupKeyOf(alert, context.rules.get(delivery.integration.service)),
      ),
    }));
  const all: Taken[] = unique.map((delivery) => ({ delivery, alerts: streamsOf(delivery) }));
  const lockIds = [...new Set(all.flatMap((t) => t.alerts.map((a) => a.streamId)))];
  return { first, unique, all, lockIds };
};

/**
 * Takes a batch of deliveries in a single statement that claims, locks, appends and commits, on
 * the guess that every receipt is new and every group not in memory has no events yet (see
 * BatchContext.guess). The statement commits by itself, so `db` may be a connection that
 * statements share one behind another (pipelined): the next batch, decided on the states this
 * one leaves, is sent at once and runs as soon as this one has committed. Those states are kept
 * before the commit; if it fails, the caller clears memory, and the batch behind, which checks
 * that this one's events are stored (BatchContext.ahead), fails too. Undefined, with nothing
 * sent, when the batch cannot be guessed: it goes the long way (commitBatch).
 */
export const commitGuessed = async (
  db: Queryable,
  store: PostgresEventStore,
  deliveries: readonly Delivery[],
  context: BatchContext,
): Promise<BatchResult | undefined> => {
  const { first, unique, all, lockIds } = planOf(deliveries, context);
  const incidents = new IncidentCache(db, store, context.incidents, context.trusted);
  const guessed = await decideOnGuess(all, lockIds, context, incidents);
  if (!guessed) return undefined;
  const writes = writesOf(all, guessed, incidents, context);
  if (context.keep) rememberer(guessed, writes, incidents)(context.keep);
  const results = await store.appendManyInOneStatement(writes.requests, db, {
    name: 'alert-batch',
    ctes: CLAIM_ALL_AND_LOCK,
    values: [
      JSON.stringify(
        unique.map((d) => ({
          integration_id: d.integration.id,
          payload_hash: d.payloadHash,
          response: d.response,
        })),
      ),
      lockIds,
      JSON.stringify(writes.snapshots),
      JSON.stringify(writes.listed),
      // Named as the statement reads them.
      JSON.stringify(
        context.ahead
          ? [{ stream_id: context.ahead.streamId, version: context.ahead.version, hash: context.ahead.hash }]
          : [],
      ),
    ],
    sent: context.sent,
  });
  return finish(deliveries, first, new Map(), guessed, writes, incidents, results);
};

/**
 * Takes a batch of deliveries in one transaction: their receipts, every alert
 * group's facts and every incident change commit together, before any sender
 * hears 2xx. Alerts are decided in arrival order, each against the state the
 * alerts before it (in this batch or committed) left. The groups touched are
 * locked (advisory, in one fixed order), so batches in other processes that
 * touch the same group queue behind this one.
 *
 * The batch begins and commits its own transaction on `tx`, a connection of
 * its own; if it throws, the caller rolls back. With the groups and incidents
 * in memory it takes two round trips: one that begins, claims and locks, one
 * that appends, snapshots and commits.
 */
export const commitBatch = async (
  tx: PoolClient,
  store: PostgresEventStore,
  deliveries: readonly Delivery[],
  context: BatchContext,
): Promise<BatchResult> => {
  const { first, unique, all, lockIds } = planOf(deliveries, context);
  const { claimed, snapshots } = await beginClaimAndLock(
    tx,
    unique,
    lockIds,
    lockIds.filter((id) => !context.groups.get(id)),
  );
  const answers = new Map<string, DeliveryOutcome>();
  const unclaimed = unique.filter((d) => !claimed.has(receiptKey(d)));
  if (unclaimed.length > 0) {
    // A new statement: after waiting out a concurrent copy, only it sees the receipt that copy committed.
    const { rows } = await tx.query<{ integration_id: string; payload_hash: string; response: unknown }>(
      `SELECT r.integration_id, r.payload_hash, r.response FROM delivery_receipts r
       JOIN unnest($1::uuid[], $2::text[]) AS d(i, h) ON r.integration_id = d.i AND r.payload_hash = d.h`,
      [unclaimed.map((d) => d.integration.id), unclaimed.map((d) => d.payloadHash)],
    );
    for (const row of rows) {
      answers.set(`${row.integration_id}/${row.payload_hash}`, { response: row.response, replayed: true });
    }
  }

  const taken = all.filter((t) => claimed.has(receiptKey(t.delivery)));
  const streamIds = [...new Set(taken.flatMap((t) => t.alerts.map((a) => a.streamId)))];
  const incidents = new IncidentCache(tx, store, context.incidents, context.trusted);
  const groups = await loadGroups(tx, store, streamIds, context, incidents, snapshots);
  await decideAll(taken, groups, incidents, context);
  const writes = writesOf(taken, groups, incidents, context);
  // The events, the snapshots and COMMIT go in one message.
  const results = await store.appendManyAndCommit(writes.requests, tx, {
    after: [
      ...(writes.snapshots.length > 0 ? [writeSnapshots(writes.snapshots)] : []),
      ...(writes.listed.length > 0
        ? [upsertIncidentList(`${textLiteral(JSON.stringify(writes.listed))}::jsonb`)]
        : []),
    ],
  });
  return finish(deliveries, first, answers, groups, writes, incidents, results);
};

/** Decides every alert of the deliveries taken, in arrival order, each against its group's state. */
const decideAll = async (
  taken: readonly Taken[],
  groups: ReadonlyMap<string, LoadedGroup>,
  incidents: IncidentCache,
  context: BatchContext,
) => {
  for (const { delivery, alerts } of taken) {
    const rule = context.rules.get(delivery.integration.service) ?? null;
    for (const { alert, streamId } of alerts) {
      await receiveOne(delivery, alert, groups.get(streamId)!, rule, context.silences, incidents);
    }
  }
};

/**
 * Decides the batch on the guess that every receipt is new and every group not in memory has no
 * events yet (see BatchContext.guess). Undefined when a group guessed new would append nothing
 * (nothing would then check the guess), or when the batch appends nothing at all (the claim
 * rides on the append): the batch then goes the long way.
 */
const decideOnGuess = async (
  all: readonly Taken[],
  lockIds: readonly string[],
  context: BatchContext,
  incidents: IncidentCache,
) => {
  const groups = new Map<string, LoadedGroup>();
  for (const streamId of lockIds) {
    const cached = context.groups.get(streamId);
    groups.set(streamId, {
      version: cached?.version ?? 0,
      state: cached?.state ?? emptyAlertGroup,
      events: [],
    });
  }
  await decideAll(all, groups, incidents, context);
  const unchecked = [...groups].some(([, g]) => g.version === 0 && g.events.length === 0);
  const appends = [...groups.values()].some((g) => g.events.length > 0);
  return unchecked || !appends ? undefined : groups;
};

interface Writes {
  requests: AppendRequest[];
  snapshots: Array<{ stream_id: string; version: number; state: AlertGroup }>;
  /** The incident list rows of the incidents the batch opens or changes, written with its events. */
  listed: ReturnType<typeof incidentListRows>;
}

/** The batch's appends (groups, incidents, what the deliveries carry besides) and snapshot writes. */
const writesOf = (
  taken: readonly Taken[],
  groups: ReadonlyMap<string, LoadedGroup>,
  incidents: IncidentCache,
  context: BatchContext,
): Writes => {
  const requests: AppendRequest[] = taken.flatMap((t) => t.delivery.also ?? []);
  const snapshots: Writes['snapshots'] = [];
  for (const [streamId, group] of groups) {
    if (group.events.length === 0) continue;
    requests.push({
      streamId,
      streamType: ALERT_GROUP_STREAM_TYPE,
      expectedVersion: group.version,
      events: group.events,
    });
    const version = group.version + group.events.length;
    if (version - (context.snapshots.get(streamId)?.version ?? 0) >= SNAPSHOT_EVERY) {
      snapshots.push({ stream_id: streamId, version, state: group.state });
    }
  }
  requests.push(...incidents.appendRequests());
  return { requests, snapshots, listed: incidentListRows(incidents.changed()) };
};

/** Writes the snapshots of `rows` (a jsonb expression), each only over an older one. */
const upsertSnapshots = (rows: string) =>
  `INSERT INTO alert_group_snapshots
   SELECT * FROM jsonb_populate_recordset(null::alert_group_snapshots, ${rows})
   ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version, state = EXCLUDED.state
   WHERE alert_group_snapshots.version < EXCLUDED.version`;

/** The snapshot write of the long way, its values written in. */
const writeSnapshots = (snapshots: Writes['snapshots']) =>
  upsertSnapshots(`${textLiteral(JSON.stringify(snapshots))}::jsonb`);

/** The answers, the events committed, and what to keep in memory once the commit is known. */
const finish = (
  deliveries: readonly Delivery[],
  first: ReadonlyMap<string, number>,
  answers: ReadonlyMap<string, DeliveryOutcome>,
  groups: ReadonlyMap<string, LoadedGroup>,
  writes: Writes,
  incidents: IncidentCache,
  results: readonly AppendResult[],
): BatchResult => {
  const outcomes = deliveries.map((d): DeliveryOutcome => {
    const index = first.get(receiptKey(d))!;
    if (deliveries[index] !== d) return { response: deliveries[index]!.response, replayed: true };
    return answers.get(receiptKey(d)) ?? { response: d.response, replayed: false };
  });
  return {
    outcomes,
    events: results.flatMap((r) => r.events),
    remember: rememberer(groups, writes, incidents),
  };
};

/** Keeps the states the batch folded, and the snapshots it writes, for the batches after it. */
const rememberer =
  (groups: ReadonlyMap<string, LoadedGroup>, writes: Writes, incidents: IncidentCache) =>
  (into: Memories) => {
    for (const [streamId, group] of groups) {
      into.groups.set(streamId, group.version + group.events.length, group.state);
    }
    for (const written of writes.snapshots) into.snapshots.set(written.stream_id, written.version, null);
    incidents.remember(into.incidents);
  };

/** The receipts as rows of a VALUES list. */
const receiptValues = (deliveries: readonly Delivery[]) =>
  deliveries
    .map(
      (d) =>
        `(${uuidLiteral(d.integration.id)}, ${textLiteral(d.payloadHash)}, ${textLiteral(JSON.stringify(d.response))}::jsonb)`,
    )
    .join(', ');

/**
 * Takes the advisory locks of the groups in `streamIds` (a text[] expression), in one fixed
 * order, after the claim (reading its result makes the claim go first): two batches carrying the
 * same payloads or groups cannot deadlock.
 */
const lockGroups = (streamIds: string) =>
  `SELECT count(pg_advisory_xact_lock(hashtext('vigil-alert-group'), k)) AS n
   FROM (SELECT DISTINCT hashtext(s) AS k
         FROM unnest(${streamIds}) s, (SELECT count(*) FROM claimed) AS after_claims
         ORDER BY 1) keys`;

/**
 * What a guessed batch does in the statement of its append (see appendManyInOneStatement):
 * claims every receipt ($2), failing the statement (SQLSTATE VG410, migration 0014) if any was
 * taken already; then locks the groups ($3); then, holding them, writes the snapshots ($4) and
 * the incident list rows ($5). It fails (SQLSTATE VG409, migration 0013) if the event of the batch
 * ahead ($6, see BatchContext.ahead) is not stored.
 */
const CLAIM_ALL_AND_LOCK = `
  receipt AS MATERIALIZED (
    SELECT * FROM jsonb_to_recordset($2::jsonb) AS r(integration_id uuid, payload_hash text, response jsonb)
  ), claimed AS (
    INSERT INTO delivery_receipts (integration_id, payload_hash, response)
    SELECT integration_id, payload_hash, response FROM receipt ORDER BY integration_id, payload_hash
    ON CONFLICT DO NOTHING RETURNING 1
  ), locked AS (${lockGroups('$3::text[]')}
  ), snapshot AS (${upsertSnapshots('(SELECT $4::jsonb FROM locked)')}
  ), listed AS (${upsertIncidentList('(SELECT $5::jsonb FROM locked)')}
  ), ahead AS MATERIALIZED (
    -- MATERIALIZED: inlined into the gate, the planner may call vigil_refuse_append before this
    -- filter, failing every batch behind another (as \`broken\` is kept apart by its LIMIT).
    SELECT a.stream_id, a.version FROM jsonb_to_recordset($6::jsonb) AS a(stream_id text, version int, hash text)
    -- A scalar lookup, so that it goes by the primary key whatever the planner guesses of the
    -- function's rows (an anti-join may scan the whole log).
    WHERE (SELECT e.hash FROM events e WHERE e.stream_id = a.stream_id AND e.stream_version = a.version)
          IS DISTINCT FROM a.hash
  ), gate AS (
    SELECT vigil_refuse_taken_receipts((SELECT count(*)::int FROM receipt), (SELECT count(*)::int FROM claimed))
           AND (SELECT n FROM locked) >= 0
           AND NOT EXISTS (SELECT 1 FROM ahead WHERE vigil_refuse_append(ahead.stream_id, ahead.version + 1)) AS ok
  )`;

/**
 * Begins the transaction, claims each payload's receipt, then locks the alert
 * groups the batch touches: one message, so one round trip. Its values are
 * written into the statement (a message of several statements takes no
 * parameters). Receipts go in sorted and before any lock is taken, so two
 * batches carrying the same payloads or groups cannot deadlock. Answers the
 * keys this transaction claimed.
 */
const beginClaimAndLock = async (
  tx: PoolClient,
  deliveries: readonly Delivery[],
  streamIds: string[],
  /** Groups not in memory: their stored snapshots come back too. */
  snapshotIds: string[],
) => {
  const results = (await tx.query(
    `BEGIN;
     WITH claimed AS (
       INSERT INTO delivery_receipts (integration_id, payload_hash, response)
       SELECT i, h, r FROM (VALUES ${receiptValues(deliveries)}) AS d(i, h, r) ORDER BY i, h
       ON CONFLICT DO NOTHING RETURNING integration_id, payload_hash),
     locked AS (${lockGroups(`ARRAY[${streamIds.map(textLiteral).join(', ')}]::text[]`)})
     SELECT array(SELECT integration_id || '/' || payload_hash FROM claimed) AS claimed,
            (SELECT n FROM locked) AS locks,
            (SELECT coalesce(json_agg(json_build_object('stream_id', s.stream_id, 'version', s.version, 'state', s.state)), '[]')
             FROM alert_group_snapshots s
             WHERE s.stream_id = ANY(ARRAY[${snapshotIds.map(textLiteral).join(', ')}]::text[])) AS snapshots`,
  )) as unknown as Array<{ rows: Array<{ claimed: string[]; snapshots: StoredSnapshot[] }> }>;
  const row = results[1]!.rows[0];
  // Read before the locks were granted, a snapshot may be older than the stream's last one: that
  // only means more events to fold after it, and those are read after the locks.
  return {
    claimed: new Set(row?.claimed ?? []),
    snapshots: new Map((row?.snapshots ?? []).map((s) => [s.stream_id, s])),
  };
};

interface StoredSnapshot {
  stream_id: string;
  version: number;
  state: Partial<AlertGroup>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const uuidLiteral = (id: string) => {
  if (!UUID.test(id)) throw new Error(`not a uuid: ${id}`);
  return `'${id}'::uuid`;
};

/** Text written into a statement; a NUL character cannot travel in one, so it is refused. */
const textLiteral = (text: string) => {
  if (text.includes('\u0000'))
    throw new Error('text with a NUL character cannot be written into a statement');
  return quoteLiteral(text);
};

interface LoadedGroup {
  version: number;
  state: AlertGroup;
  events: NewEvent[];
}

/**
 * Reads each locked group's state: from this process's cache or the stored
 * snapshot (which came back with the claim), plus whatever came after it
 * (normally nothing). The incidents the groups are known to point at are read
 * in the same round trip.
 */
const loadGroups = async (
  tx: PoolClient,
  store: PostgresEventStore,
  streamIds: string[],
  context: BatchContext,
  incidents: IncidentCache,
  snapshots: ReadonlyMap<string, StoredSnapshot>,
) => {
  const groups = new Map<string, LoadedGroup>();
  if (streamIds.length === 0) return groups;
  const known = new Map<string, { version: number; state: Partial<AlertGroup> }>();
  const inMemory = new Set<string>();
  for (const streamId of streamIds) {
    const cached = context.groups.get(streamId);
    if (cached) {
      known.set(streamId, cached);
      inMemory.add(streamId);
    }
  }
  for (const streamId of streamIds) {
    const snapshot = known.has(streamId) ? undefined : snapshots.get(streamId);
    if (snapshot) {
      known.set(streamId, snapshot);
      context.snapshots.set(streamId, snapshot.version, null);
    }
  }
  const pointedAt = [...known.values()].flatMap((k) => (k.state.incidentId ? [k.state.incidentId] : []));
  // With everything in memory and trusted, there is nothing to read: no round trip at all.
  const later = await store.readStreams(
    [
      ...streamIds
        .filter((streamId) => !(context.trusted && inMemory.has(streamId)))
        .map((streamId) => ({ streamId, fromVersion: known.get(streamId)?.version ?? 0 })),
      ...incidents.reads(pointedAt),
    ],
    tx,
  );
  incidents.take(pointedAt, later);
  for (const streamId of streamIds) {
    const start = known.get(streamId);
    const events = later.get(streamId) ?? [];
    groups.set(streamId, {
      version: events.at(-1)?.streamVersion ?? start?.version ?? 0,
      state: events.reduce((g, e) => evolveAlertGroup(g, e as unknown as AlertGroupEvent), {
        ...emptyAlertGroup,
        ...start?.state,
      }),
      events: [],
    });
  }
  // A group that changed since (another process opened a new incident for it) points elsewhere.
  await incidents.load([...groups.values()].flatMap((g) => (g.state.incidentId ? [g.state.incidentId] : [])));
  return groups;
};

/** The incidents a batch touches: read once, changed in memory, appended together. */
class IncidentCache {
  private readonly entries = new Map<string, { version: number; state: Incident; events: NewEvent[] }>();
  private readonly starts = new Map<string, { version: number; state: Incident } | null>();

  constructor(
    private readonly tx: Queryable,
    private readonly store: PostgresEventStore,
    private readonly cache: StateMemory<Incident>,
    /** Cached states are taken as current (see BatchContext.trusted). */
    private readonly trusted: boolean,
  ) {}

  /** Reads the incidents not read yet: each from its cached state on, or from the start. */
  async load(incidentIds: string[]) {
    const reads = this.reads(incidentIds);
    this.take(incidentIds, await this.store.readStreams(reads, this.tx));
  }

  /** What to read for the incidents not read yet (nothing for those in memory, when trusted). */
  reads(incidentIds: string[]) {
    return this.missing(incidentIds).flatMap((id) => {
      // The starting point is fixed here: another batch may commit and move the cache on meanwhile.
      const start = this.cache.get(incidentStreamId(id)) ?? null;
      this.starts.set(id, start);
      return start && this.trusted
        ? []
        : [{ streamId: incidentStreamId(id), fromVersion: start?.version ?? 0 }];
    });
  }

  /** Folds what `reads` asked for onto the cached states. */
  take(incidentIds: string[], streams: ReadonlyMap<string, RecordedEvent[]>) {
    for (const id of this.missing(incidentIds)) {
      const start = this.starts.get(id);
      const events = streams.get(incidentStreamId(id)) ?? [];
      this.entries.set(id, {
        version: events.at(-1)?.streamVersion ?? start?.version ?? 0,
        state: events.reduce((s, e) => evolve(s, e as never), start?.state ?? initialIncident),
        events: [],
      });
    }
  }

  private missing(incidentIds: string[]) {
    return [...new Set(incidentIds)].filter((id) => !this.entries.has(id));
  }

  remember(into: StateMemory<Incident>) {
    for (const [id, entry] of this.entries) {
      into.set(incidentStreamId(id), entry.version + entry.events.length, entry.state);
    }
  }

  async get(incidentId: string) {
    await this.load([incidentId]);
    return this.entries.get(incidentId)!;
  }

  async apply(command: IncidentCommand, eventMetadata: NewEvent['metadata']) {
    // An incident this batch opens has a fresh id and nothing to read.
    if (command.type === 'OpenIncident' && !this.entries.has(command.data.incidentId)) {
      this.entries.set(command.data.incidentId, { version: 0, state: initialIncident, events: [] });
    }
    const entry = await this.get(command.data.incidentId);
    for (const event of decide(command, entry.state)) {
      entry.state = evolve(entry.state, event);
      entry.events.push({
        type: event.type,
        data: event.data,
        metadata: eventMetadata,
        occurredAt: command.metadata.now,
      });
    }
  }

  /** The incidents this batch appends to. */
  private withEvents() {
    return [...this.entries].filter(([, entry]) => entry.events.length > 0);
  }

  /** The incidents this batch appends to, each folded to where its events leave it. */
  changed() {
    return this.withEvents().map(([incidentId, entry]) => ({
      incidentId,
      version: entry.version + entry.events.length,
      state: entry.state,
    }));
  }

  appendRequests(): AppendRequest[] {
    return this.withEvents().map(([incidentId, entry]) => ({
      streamId: incidentStreamId(incidentId),
      streamType: INCIDENT_STREAM_TYPE,
      expectedVersion: entry.version,
      events: entry.events,
    }));
  }
}

/** One alert against its group, and the incident consequences carried out by the incident's own decider. */
const receiveOne = async (
  delivery: Delivery,
  alert: NormalisedAlert,
  group: LoadedGroup,
  rule: GroupingRule | null,
  silences: readonly Silence[],
  incidents: IncidentCache,
) => {
  const { integration, now } = delivery;
  const metadata: CommandMetadata = {
    now,
    actor: { kind: 'alert', id: integration.id, name: integration.name },
    source: 'alert',
  };
  const eventMetadata = { actor: metadata.actor, source: 'alert' };
  const situation = await situationOf(group.state.incidentId, incidents);
  const firingIn = Object.hasOwn(group.state.firing, alert.dedupKey)
    ? group.state.firing[alert.dedupKey]!.incidentId
    : null;
  const alertIncident =
    firingIn && firingIn !== group.state.incidentId ? await situationOf(firingIn, incidents) : null;
  const decision = decideAlert(
    {
      alert,
      integrationId: integration.id,
      service: integration.service,
      receivedAt: now,
      newIncidentId: newId,
      autoResolve: integration.autoResolve,
      grouping: rule,
      // Silences match the alert's labels plus the service, source and severity Vigil gave it.
      silenceId:
        silencing(
          silences,
          { ...alert.labels, service: integration.service, source: alert.source, severity: alert.severity },
          now,
        )?.id ?? null,
    },
    group.state,
    situation,
    alertIncident,
  );
  for (const event of decision.events) {
    group.state = evolveAlertGroup(group.state, event);
    group.events.push({ type: event.type, data: event.data, metadata: eventMetadata, occurredAt: now });
  }
  for (const consequence of decision.incident) {
    await incidents.apply(toIncidentCommand(consequence, integration, metadata), eventMetadata);
  }
};

const situationOf = async (incidentId: string | null, incidents: IncidentCache) => {
  if (!incidentId) return null;
  const { state } = await incidents.get(incidentId);
  return {
    incidentId,
    open: isOpen(state),
    openedAt: state.status === 'none' ? undefined : state.openedAt,
  };
};

const isOpen = (incident: Incident) => incident.status !== 'none' && incident.status !== 'resolved';

/** Clock skew at the sender must not put impact in the future: the incident would refuse it. */
const notAfter = (time: string, now: string) => (Date.parse(time) > Date.parse(now) ? now : time);

const toIncidentCommand = (
  consequence: IncidentConsequence,
  integration: Integration,
  metadata: CommandMetadata,
): IncidentCommand => {
  switch (consequence.type) {
    case 'open': {
      const { alert } = consequence;
      return {
        type: 'OpenIncident',
        data: {
          incidentId: consequence.incidentId,
          title: (alert.summary || `Alert from ${integration.name}`).slice(0, 200),
          service: integration.service,
          severity: alert.severity,
          impactStartedAt: notAfter(alert.startsAt, metadata.now),
        },
        metadata,
      };
    }
    case 'attach': {
      const { alert } = consequence;
      return {
        type: 'AttachAlert',
        data: {
          incidentId: consequence.incidentId,
          integrationId: integration.id,
          alertKey: alert.dedupKey,
          source: alert.source,
          summary: alert.summary,
          severity: alert.severity,
          startsAt: alert.startsAt,
        },
        metadata,
      };
    }
    case 'resolve':
      return {
        type: 'ResolveIncident',
        data: { incidentId: consequence.incidentId, summary: consequence.summary },
        metadata,
      };
  }
};
