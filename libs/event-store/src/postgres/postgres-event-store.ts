import { newId } from '../domain/ids.js';
import type { ClientBase, Pool, PoolClient } from 'pg';
import { ConcurrencyError } from '../domain/errors.js';
import {
  canonicalJson,
  chainHashOfJson,
  GENESIS_HASH,
  verifyChain,
  type ChainVerdict,
} from '../domain/hash-chain.js';
import type {
  AppendRequest,
  AppendResult,
  EventMetadata,
  LogPosition,
  LogRead,
  RecordedEvent,
} from '../domain/types.js';
import { UpcasterChain } from '../domain/upcasting.js';
import { HeadHashCache } from './head-hash-cache.js';
import { EVENT_COLUMNS, positionLiterals, quoteLiteral, toRecordedEvent, type EventRow } from './rows.js';

/**
 * The events after a position in subscription order, only of transactions older than every one
 * still running (see `readAll`), at most `limit`; each argument an SQL expression.
 */
const readAllText = (transactionId: string, globalPosition: string, limit: string) =>
  `SELECT ${EVENT_COLUMNS} FROM events
   WHERE (transaction_id, global_position) > (${transactionId}, ${globalPosition})
     AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
   ORDER BY transaction_id, global_position
   LIMIT ${limit}`;

export type Queryable = Pool | ClientBase;

/** An event by its stream, version and hash: what a later statement can check was stored. */
export interface StoredEventRef {
  streamId: string;
  version: number;
  hash: string;
}

export interface EventStoreOptions {
  upcasters?: UpcasterChain;
  /** Called after each successful append statement (inside a caller's transaction too). */
  onAppended?: (count: number) => void;
  now?: () => Date;
}

const UNIQUE_VIOLATION = '23505';
const STREAM_VERSION_CONSTRAINT = 'events_stream_version_unique';

/**
 * Inserts every event of every request in one statement. Each stream's first new
 * event must find its predecessor with the hash it links to, so a writer whose
 * expected version is ahead of the stream gets nothing written (or, with
 * `refuse`, an error); a writer that is behind collides with the unique
 * (stream_id, stream_version) index. A `prelude` of common table expressions
 * goes first; its last one, `gate`, is read before any event is written.
 */
const appendSql = (input: string, refuse: boolean, prelude?: string) => `
WITH ${prelude ? `${prelude},` : ''}
input AS MATERIALIZED (
  SELECT * FROM jsonb_to_recordset(${input})
    AS t(event_id uuid, stream_id text, stream_type text, stream_version int, type text, schema_version int,
         data jsonb, metadata jsonb, occurred_at timestamptz, prev_hash text, hash text, is_first bool)
  ${prelude ? 'WHERE (SELECT ok FROM gate)' : ''}
), broken AS (
  SELECT i.stream_id, i.stream_version FROM input i
  WHERE i.is_first AND i.stream_version > 1
    AND NOT EXISTS (SELECT 1 FROM events e
                    WHERE e.stream_id = i.stream_id AND e.stream_version = i.stream_version - 1
                      AND e.hash = i.prev_hash)
  LIMIT 1
)
INSERT INTO events (event_id, stream_id, stream_type, stream_version, type, schema_version,
                    data, metadata, occurred_at, prev_hash, hash)
SELECT event_id, stream_id, stream_type, stream_version, type, schema_version,
       data, metadata, occurred_at, prev_hash, hash
FROM input WHERE NOT EXISTS (SELECT 1 FROM broken${refuse ? ' WHERE vigil_refuse_append(broken.stream_id, broken.stream_version)' : ''})
RETURNING event_id, global_position, transaction_id, floor(extract(epoch FROM recorded_at) * 1000)::float8 AS recorded_ms`;

/** Statements the store has written for a caller's prelude, by name: a name must keep its text. */
const gatedStatements = new Map<string, string>();

/** The prepared append: a refused predecessor writes nothing, and the caller finds out why. */
const APPEND_SQL = appendSql('$1::jsonb', false);

/** Raised by an append that must fail rather than write nothing (see migration 0013). */
const APPEND_REFUSED = 'VG409';

type InsertedRow = { event_id: string; global_position: string; transaction_id: string; recorded_ms: number };

/** The PostgreSQL event store: append-only, hash-chained, optimistic concurrency per stream. */
export class PostgresEventStore {
  readonly upcasters: UpcasterChain;
  private readonly heads = new HeadHashCache();
  private readonly now: () => Date;

  constructor(
    readonly pool: Pool,
    private readonly options: EventStoreOptions = {},
  ) {
    this.upcasters = options.upcasters ?? new UpcasterChain();
    this.now = options.now ?? (() => new Date());
  }

  /** Appends to one stream. Throws ConcurrencyError when the stream is not at `expectedVersion`. */
  async append(request: AppendRequest, tx?: PoolClient): Promise<AppendResult> {
    const [result] = await this.appendMany([request], tx);
    return result!;
  }

  /** Appends to many streams in one statement and one round trip, all or nothing. */
  async appendMany(requests: readonly AppendRequest[], tx?: PoolClient): Promise<AppendResult[]> {
    const nonEmpty = requests.filter((r) => r.events.length > 0);
    if (nonEmpty.length === 0) return requests.map((r) => emptyResult(r));
    let heads = await this.headHashes(nonEmpty, tx);
    for (let attempt = 0; ; attempt++) {
      const prepared = this.prepare(nonEmpty, heads);
      const rows = await this.insert(prepared, tx);
      if (rows.length > 0) {
        this.options.onAppended?.(rows.length);
        return this.results(requests, prepared, rows, !tx);
      }
      // Nothing written: a predecessor is missing, or a cached hash named a rolled-back event.
      for (const r of nonEmpty) this.heads.forget(r.streamId, r.expectedVersion);
      const fresh = await this.headHashes(nonEmpty, tx);
      if (attempt > 0 || sameHeads(heads, fresh)) {
        const culprit = nonEmpty.find((r) => r.expectedVersion > 0 && !fresh.has(r.streamId)) ?? nonEmpty[0]!;
        throw new ConcurrencyError(culprit.streamId, culprit.expectedVersion);
      }
      heads = fresh;
    }
  }

  /**
   * Appends in the transaction `tx` began and commits it, in one round trip: the append, then
   * `after` (statements without parameters, written with their values), then COMMIT, sent as one
   * message. All of it commits or none: an append that finds a predecessor missing fails instead
   * of writing nothing. A lost race throws ConcurrencyError; the caller rolls back.
   */
  async appendManyAndCommit(
    requests: readonly AppendRequest[],
    tx: PoolClient,
    { after = [] }: { after?: readonly string[] } = {},
  ): Promise<AppendResult[]> {
    const tail = [...after, 'COMMIT'].join(';\n');
    const nonEmpty = requests.filter((r) => r.events.length > 0);
    if (nonEmpty.length === 0) {
      await tx.query(tail);
      return requests.map((r) => emptyResult(r));
    }
    const prepared = this.prepare(nonEmpty, await this.headHashes(nonEmpty, tx));
    return this.insertRefusing(prepared, async (rows) => {
      const results = (await tx.query(
        `${appendSql(`${quoteLiteral(rows)}::jsonb`, true)};\n${tail}`,
      )) as unknown as Array<{ rows: InsertedRow[] }>;
      return results[0]!.rows;
    }).then((rows) => this.results(requests, prepared, rows, true));
  }

  /**
   * Appends in one statement of its own, outside any transaction, so it commits by itself: one
   * round trip. `prelude` is common table expressions (their parameters from $2, in `values`)
   * that run in the same statement, and so commit or fail with the append; its last one, `gate`,
   * yields one row whose column `ok` is read before any event is written, so what it depends on
   * (a lock, a check that raises) comes first. Its `name` names the prepared statement. An append
   * that finds a predecessor missing fails; a lost race throws ConcurrencyError. With no events
   * the prelude would not run: that throws.
   */
  async appendManyInOneStatement(
    requests: readonly AppendRequest[],
    db: Queryable,
    prelude: {
      name: string;
      ctes: string;
      values: unknown[];
      /**
       * Called once the statement is handed to the connection, before its answer, with one of the
       * events it appends: stored if, and only if, the statement commits.
       */
      sent?: (event: StoredEventRef) => void;
    },
  ): Promise<AppendResult[]> {
    const nonEmpty = requests.filter((r) => r.events.length > 0);
    if (nonEmpty.length === 0) throw new Error('appendManyInOneStatement needs events to append');
    const name = `vigil-append-after-${prelude.name}`;
    const text = appendSql('$1::jsonb', true, prelude.ctes);
    if ((gatedStatements.get(name) ?? text) !== text) throw new Error(`statement ${name} changed its text`);
    gatedStatements.set(name, text);
    const prepared = this.prepare(nonEmpty, await this.headHashes(nonEmpty, db));
    // Known before the commit, so that a statement sent behind this one can link to these events;
    // forgotten again if this one fails.
    const heads = prepared.map((p) => p.at(-1)!);
    for (const head of heads) this.heads.set(head.stream_id, head.stream_version, head.hash);
    try {
      const rows = await this.insertRefusing(prepared, async (input) => {
        const sending = db.query<InsertedRow>({ name, text }, [input, ...prelude.values]);
        const [first] = heads;
        prelude.sent?.({ streamId: first!.stream_id, version: first!.stream_version, hash: first!.hash });
        return (await sending).rows;
      });
      return this.results(requests, prepared, rows, true);
    } catch (error) {
      for (const head of heads) this.heads.forget(head.stream_id, head.stream_version);
      throw error;
    }
  }

  /**
   * Runs `insert` with the prepared rows as one JSON document; an append refused for a missing
   * predecessor forgets the heads it went by, and it and a lost race throw ConcurrencyError.
   */
  private async insertRefusing(
    prepared: Prepared,
    insert: (rows: string) => Promise<InsertedRow[]>,
  ): Promise<InsertedRow[]> {
    let rows: InsertedRow[];
    try {
      rows = await insert(rowsJson(prepared.flat()));
    } catch (error) {
      if ((error as { code?: string }).code === APPEND_REFUSED) {
        for (const p of prepared) this.heads.forget(p[0]!.stream_id, p[0]!.stream_version - 1);
        const streamId = /^stream (.*) has no event /.exec((error as Error).message)?.[1];
        const culprit = prepared.find((p) => p[0]!.stream_id === streamId)?.[0] ?? prepared[0]![0]!;
        throw new ConcurrencyError(culprit.stream_id, culprit.stream_version - 1);
      }
      throw raced(error, prepared) ?? error;
    }
    this.options.onAppended?.(rows.length);
    return rows;
  }

  /** A stream's events after `fromVersion` (default 0) up to `toVersion` (default: all), in order. */
  async readStream(
    streamId: string,
    options: { fromVersion?: number; toVersion?: number } = {},
    db: Queryable = this.pool,
  ) {
    const { rows } = await db.query<EventRow>({
      name: 'vigil-read-stream',
      text: `SELECT ${EVENT_COLUMNS} FROM events
             WHERE stream_id = $1 AND stream_version > $2 AND stream_version <= $3 ORDER BY stream_version`,
      values: [streamId, options.fromVersion ?? 0, options.toVersion ?? 2_147_483_647],
    });
    const last = rows.at(-1);
    if (last) this.heads.set(streamId, last.stream_version, last.hash);
    return rows.map((row) => toRecordedEvent(row, this.upcasters));
  }

  /** The stream's current version; 0 when it does not exist. */
  /**
   * Several streams' events after each one's `fromVersion`, in one round trip:
   * a map from stream id to its events in order (streams with none are absent).
   */
  async readStreams(
    streams: ReadonlyArray<{ streamId: string; fromVersion?: number }>,
    db: Queryable = this.pool,
  ): Promise<Map<string, RecordedEvent[]>> {
    const byStream = new Map<string, RecordedEvent[]>();
    if (streams.length === 0) return byStream;
    const { rows } = await db.query<EventRow>({
      name: 'vigil-read-streams',
      text: `SELECT e.* FROM unnest($1::text[], $2::int[]) AS wanted(sid, after),
             LATERAL (SELECT ${EVENT_COLUMNS} FROM events
                      WHERE stream_id = wanted.sid AND stream_version > wanted.after
                      ORDER BY stream_version) e`,
      values: [streams.map((s) => s.streamId), streams.map((s) => s.fromVersion ?? 0)],
    });
    for (const row of rows) {
      const events = byStream.get(row.stream_id) ?? [];
      if (events.length === 0) byStream.set(row.stream_id, events);
      events.push(toRecordedEvent(row, this.upcasters));
    }
    for (const [streamId, events] of byStream) {
      const last = events.at(-1)!;
      this.heads.set(streamId, last.streamVersion, last.hash);
    }
    return byStream;
  }

  async streamVersion(streamId: string, db: Queryable = this.pool): Promise<number> {
    const { rows } = await db.query<{ v: number | null }>({
      name: 'vigil-stream-version',
      text: `SELECT max(stream_version) AS v FROM events WHERE stream_id = $1`,
      values: [streamId],
    });
    return rows[0]?.v ?? 0;
  }

  /**
   * Events after `after` in subscription order: of the next `limit` events of the log, those whose
   * stream type is in `streamTypes` (all of them when it is absent; the others are skipped here
   * and never sent). Only events of transactions older than every transaction still running are
   * returned, so a later read can never find an event that sorts before one already returned.
   * `end` is the last event looked at (null when none was), where the next read starts.
   */
  async readAll(
    after: LogPosition,
    limit: number,
    db: Queryable = this.pool,
    streamTypes?: readonly string[],
  ): Promise<LogRead> {
    if (!streamTypes) {
      // Prepared, like every hot statement here: planning costs more than running these.
      const { rows } = await db.query<EventRow>({
        name: 'vigil-read-all',
        text: readAllText('$1::xid8', '$2::bigint', '$3'),
        values: [after.transactionId, after.globalPosition, limit],
      });
      return this.logReadOf(rows);
    }
    // The log is walked by its index and only the wanted rows are fetched whole; one more row,
    // without an event, says where the walk ended and how many it passed.
    const { rows } = await db.query<EventRow & { scanned: string | null }>({
      name: 'vigil-read-all-of',
      text: `WITH scanned AS MATERIALIZED (
               SELECT transaction_id, global_position, stream_type, ctid AS at FROM events
               WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
                 AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
               ORDER BY transaction_id, global_position
               LIMIT $3)
             SELECT * FROM (
               SELECT ${EVENT_COLUMNS}, NULL::bigint AS scanned FROM events
               WHERE ctid = ANY(ARRAY(SELECT at FROM scanned WHERE stream_type = ANY($4::text[])))
               UNION ALL
               (SELECT global_position, transaction_id, NULL::uuid, NULL::text, NULL::text, NULL::int, NULL::text,
                       NULL::int, NULL::jsonb, NULL::jsonb, NULL::float8, NULL::float8, NULL::text, NULL::text,
                       count(*) OVER () AS scanned
                FROM scanned ORDER BY transaction_id DESC, global_position DESC LIMIT 1)
             ) r ORDER BY scanned IS NOT NULL, transaction_id, global_position`,
      values: [after.transactionId, after.globalPosition, limit, streamTypes],
    });
    const marker = rows.at(-1);
    if (!marker || marker.scanned === null) return { events: [], end: null, scanned: 0 };
    return {
      events: rows.slice(0, -1).map((row) => toRecordedEvent(row, this.upcasters)),
      end: { transactionId: marker.transaction_id, globalPosition: marker.global_position },
      scanned: Number(marker.scanned),
    };
  }

  /** The position of the last event committed, by the subscription index; null for an empty log. */
  async logHead(db: Queryable = this.pool): Promise<LogPosition | null> {
    const { rows } = await db.query<{ transaction_id: string; global_position: string }>({
      name: 'vigil-log-head',
      text: `SELECT transaction_id, global_position FROM events
             ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
    });
    const row = rows[0];
    return row ? { transactionId: row.transaction_id, globalPosition: row.global_position } : null;
  }

  /**
   * `readAll` (of every stream type) as a statement with its values written in, to send with
   * others in one round trip; `logReadOf` turns the rows it answers into the same result.
   */
  readAllStatement(after: LogPosition, limit: number): string {
    if (!Number.isSafeInteger(limit)) throw new Error(`not a limit: ${limit}`);
    return readAllText(...positionLiterals(after), String(limit));
  }

  logReadOf(rows: readonly EventRow[]): LogRead {
    const events = rows.map((row) => toRecordedEvent(row, this.upcasters));
    return { events, end: events.at(-1)?.position ?? null, scanned: events.length };
  }

  /** Re-derives the hash chain of a stream from its stored rows. */
  async verifyStream(streamId: string, db: Queryable = this.pool): Promise<ChainVerdict> {
    const { rows } = await db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = $1 ORDER BY stream_version`,
      [streamId],
    );
    return verifyChain(
      rows.map((r) => ({
        eventId: r.event_id,
        streamId: r.stream_id,
        streamType: r.stream_type,
        streamVersion: r.stream_version,
        type: r.type,
        schemaVersion: r.schema_version,
        data: r.data,
        metadata: r.metadata,
        occurredAt: new Date(r.occurred_ms).toISOString(),
        prevHash: r.prev_hash,
        hash: r.hash,
      })),
    );
  }

  private async headHashes(requests: readonly AppendRequest[], db: Queryable = this.pool) {
    const heads = new Map<string, string>();
    const missing: AppendRequest[] = [];
    for (const r of requests) {
      if (r.expectedVersion === 0) continue;
      const cached = this.heads.get(r.streamId, r.expectedVersion);
      if (cached) heads.set(r.streamId, cached);
      else missing.push(r);
    }
    if (missing.length > 0) {
      const { rows } = await db.query<{ stream_id: string; hash: string }>(
        `SELECT e.stream_id, e.hash FROM events e
         JOIN unnest($1::text[], $2::int[]) AS h(stream_id, stream_version)
           ON e.stream_id = h.stream_id AND e.stream_version = h.stream_version`,
        [missing.map((r) => r.streamId), missing.map((r) => r.expectedVersion)],
      );
      for (const row of rows) heads.set(row.stream_id, row.hash);
      const absent = missing.find((r) => !heads.has(r.streamId));
      if (absent) throw new ConcurrencyError(absent.streamId, absent.expectedVersion);
    }
    return heads;
  }

  private prepare(requests: readonly AppendRequest[], heads: Map<string, string>) {
    const appendedAt = this.now().toISOString();
    const seen = new Set<string>();
    return requests.map((request) => {
      if (seen.has(request.streamId)) {
        throw new Error(`appendMany got stream ${request.streamId} twice; merge its events into one request`);
      }
      seen.add(request.streamId);
      let prevHash = request.expectedVersion === 0 ? GENESIS_HASH : heads.get(request.streamId)!;
      return request.events.map((event, i): PreparedRow => {
        const metadata = event.metadata ?? {};
        const row: PreparedRow = {
          // Time-ordered ids land at the right edge of the unique index instead of all over it.
          event_id: event.eventId ?? newId(),
          stream_id: request.streamId,
          stream_type: request.streamType,
          stream_version: request.expectedVersion + i + 1,
          type: event.type,
          schema_version: event.schemaVersion ?? this.upcasters.latestVersion(event.type),
          data: event.data,
          metadata,
          occurred_at: event.occurredAt ? new Date(event.occurredAt).toISOString() : appendedAt,
          prev_hash: prevHash,
          hash: '',
          is_first: i === 0,
          // Serialised once: the hash seals this JSON, and the insert sends it as it is.
          dataJson: canonicalJson(event.data),
          metadataJson: canonicalJson(metadata),
        };
        row.hash = chainHashOfJson(
          prevHash,
          {
            eventId: row.event_id,
            streamId: row.stream_id,
            streamType: row.stream_type,
            streamVersion: row.stream_version,
            type: row.type,
            schemaVersion: row.schema_version,
            occurredAt: row.occurred_at,
          },
          row.dataJson,
          row.metadataJson,
        );
        prevHash = row.hash;
        return row;
      });
    });
  }

  private async insert(prepared: Prepared, tx?: PoolClient) {
    const rows = prepared.flat();
    try {
      const result = await (tx ?? this.pool).query<InsertedRow>({ name: 'vigil-append', text: APPEND_SQL }, [
        // One JSON document of the prepared rows (their keys are the columns): cheaper to build
        // here and to parse there than a dozen parallel arrays.
        rowsJson(rows),
      ]);
      return result.rows;
    } catch (error) {
      throw raced(error, prepared) ?? error;
    }
  }

  private results(
    requests: readonly AppendRequest[],
    prepared: Prepared,
    rows: InsertedRow[],
    cacheHeads: boolean,
  ): AppendResult[] {
    const byId = new Map(rows.map((r) => [r.event_id, r]));
    const byStream = new Map(prepared.map((p) => [p[0]!.stream_id, p]));
    return requests.map((request) => {
      const written = byStream.get(request.streamId);
      if (!written) return emptyResult(request);
      const events = written.map((e): RecordedEvent => {
        const row = byId.get(e.event_id)!;
        return {
          eventId: e.event_id,
          streamId: e.stream_id,
          streamType: e.stream_type,
          streamVersion: e.stream_version,
          type: e.type,
          schemaVersion: e.schema_version,
          storedSchemaVersion: e.schema_version,
          data: e.data,
          metadata: e.metadata,
          occurredAt: e.occurred_at,
          recordedAt: new Date(row.recorded_ms).toISOString(),
          position: { transactionId: row.transaction_id, globalPosition: row.global_position },
          prevHash: e.prev_hash,
          hash: e.hash,
        };
      });
      const last = events.at(-1)!;
      if (cacheHeads) this.heads.set(request.streamId, last.streamVersion, last.hash);
      return {
        streamId: request.streamId,
        fromVersion: request.expectedVersion,
        toVersion: last.streamVersion,
        events,
      };
    });
  }

  /** Caches a head after the caller's transaction committed. */
  rememberHead(streamId: string, version: number, hash: string): void {
    this.heads.set(streamId, version, hash);
  }
}

/** A lost race: the unique (stream_id, stream_version) index refused a row another writer took first. */
const raced = (error: unknown, prepared: Prepared): ConcurrencyError | undefined => {
  const pgError = error as { code?: string; constraint?: string; detail?: string };
  if (pgError.code !== UNIQUE_VIOLATION || pgError.constraint !== STREAM_VERSION_CONSTRAINT) return undefined;
  const streamId = /\(stream_id, stream_version\)=\((.*), \d+\)/.exec(pgError.detail ?? '')?.[1];
  const first = prepared.find((p) => p[0]!.stream_id === streamId)?.[0] ?? prepared[0]![0]!;
  return new ConcurrencyError(first.stream_id, first.stream_version - 1);
};

/** Each request's rows, ready to insert. */
type Prepared = PreparedRow[][];

/** An event ready to insert: its columns (see rowsJson), and its data and metadata as JSON. */
interface PreparedRow {
  event_id: string;
  stream_id: string;
  stream_type: string;
  stream_version: number;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  occurred_at: string;
  prev_hash: string;
  hash: string;
  is_first: boolean;
  dataJson: string;
  metadataJson: string;
}

/**
 * The rows as one JSON array of objects whose keys are the columns jsonb_to_recordset reads, data
 * and metadata written in as the JSON their hashes were taken over.
 */
const rowsJson = (rows: readonly PreparedRow[]): string => {
  let out = '[';
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (i > 0) out += ',';
    out +=
      `{"event_id":${JSON.stringify(r.event_id)},"stream_id":${JSON.stringify(r.stream_id)},` +
      `"stream_type":${JSON.stringify(r.stream_type)},"stream_version":${r.stream_version},` +
      `"type":${JSON.stringify(r.type)},"schema_version":${r.schema_version},` +
      `"data":${r.dataJson},"metadata":${r.metadataJson},"occurred_at":${JSON.stringify(r.occurred_at)},` +
      `"prev_hash":${JSON.stringify(r.prev_hash)},"hash":${JSON.stringify(r.hash)},"is_first":${r.is_first}}`;
  }
  return `${out}]`;
};

const emptyResult = (r: AppendRequest): AppendResult => ({
  streamId: r.streamId,
  fromVersion: r.expectedVersion,
  toVersion: r.expectedVersion,
  events: [],
});

const sameHeads = (a: Map<string, string>, b: Map<string, string>) =>
  a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
