import type { PoolClient } from 'pg';
import { PreconditionFailedError, type Decider } from '../domain/decider.js';
import { ConcurrencyError, IdempotencyKeyReusedError } from '../domain/errors.js';
import type { EventMetadata, RecordedEvent } from '../domain/types.js';
import type { PostgresEventStore, Queryable } from './postgres-event-store.js';
import { withTransaction } from './transactions.js';

export interface CommandOptions {
  streamId: string;
  metadata: EventMetadata;
  occurredAt: string;
  /** The client's precondition (If-Match): the version it last saw. */
  expectedVersion?: number;
  /** A retried request with the same key appends nothing and answers the first result. */
  idempotency?: { scope: string; key: string; requestHash: string };
}

export interface CommandResult<State> {
  state: State;
  version: number;
  events: RecordedEvent[];
  /** True when an earlier request with the same idempotency key already did the work. */
  replayed: boolean;
}

type AnyDecider<S, C> = Decider<S, C, { type: string; data: unknown }>;

/**
 * Load the stream, fold it, decide, append at the loaded version. A conflict with
 * another writer is retried once from a fresh load; a conflict with the client's
 * own If-Match is never retried.
 */
export class CommandRunner {
  constructor(
    private readonly store: PostgresEventStore,
    private readonly onCommitted: (events: RecordedEvent[]) => void = () => undefined,
  ) {}

  async load<S, C>(decider: AnyDecider<S, C>, streamId: string, toVersion?: number, db?: Queryable) {
    const events = await this.store.readStream(streamId, { toVersion }, db);
    const state = events.reduce(
      (s, e) => decider.evolve(s, { type: e.type, data: e.data }),
      decider.initialState,
    );
    return { state, version: events.at(-1)?.streamVersion ?? 0, events };
  }

  async handle<S, C>(
    decider: AnyDecider<S, C>,
    command: C,
    options: CommandOptions,
  ): Promise<CommandResult<S>> {
    for (let attempt = 0; ; attempt++) {
      try {
        const result = options.idempotency
          ? await withTransaction(this.store.pool, (tx) => this.once(decider, command, options, tx))
          : await this.once(decider, command, options);
        const last = result.events.at(-1);
        if (last) {
          this.store.rememberHead(last.streamId, last.streamVersion, last.hash);
          this.onCommitted(result.events);
        }
        return result;
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        if (options.expectedVersion !== undefined) {
          const actual = await this.store.streamVersion(options.streamId);
          throw new PreconditionFailedError(options.streamId, options.expectedVersion, actual);
        }
        if (attempt > 0) throw error;
      }
    }
  }

  private async once<S, C>(
    decider: AnyDecider<S, C>,
    command: C,
    options: CommandOptions,
    tx?: PoolClient,
  ): Promise<CommandResult<S>> {
    if (tx && options.idempotency) {
      const earlier = await this.claimKey(tx, options);
      if (earlier) {
        const { state, version } = await this.load(decider, earlier.stream_id, earlier.to_version, tx);
        return { state, version, events: [], replayed: true };
      }
    }
    const { state, version } = await this.load(decider, options.streamId, undefined, tx);
    if (options.expectedVersion !== undefined && options.expectedVersion !== version) {
      throw new PreconditionFailedError(options.streamId, options.expectedVersion, version);
    }
    const decided = decider.decide(command, state);
    const appended =
      decided.length === 0
        ? []
        : (
            await this.store.append(
              {
                streamId: options.streamId,
                streamType: decider.streamType,
                expectedVersion: version,
                events: decided.map((e) => ({
                  type: e.type,
                  data: e.data,
                  metadata: options.metadata,
                  occurredAt: options.occurredAt,
                })),
              },
              tx,
            )
          ).events;
    const newVersion = version + appended.length;
    if (tx && options.idempotency) {
      await tx.query(
        `UPDATE idempotency_keys SET stream_id = $3, from_version = $4, to_version = $5
         WHERE scope = $1 AND key = $2`,
        [options.idempotency.scope, options.idempotency.key, options.streamId, version, newVersion],
      );
    }
    return {
      state: decided.reduce((s, e) => decider.evolve(s, e), state),
      version: newVersion,
      events: appended,
      replayed: false,
    };
  }

  /** Inserts the key, or (after waiting for a concurrent first request to commit) answers its row. */
  private async claimKey(tx: PoolClient, options: CommandOptions) {
    const { scope, key, requestHash } = options.idempotency!;
    const claimed = await tx.query(
      `INSERT INTO idempotency_keys (scope, key, request_hash, stream_id, from_version, to_version)
       VALUES ($1, $2, $3, $4, -1, -1) ON CONFLICT DO NOTHING RETURNING 1`,
      [scope, key, requestHash, options.streamId],
    );
    if (claimed.rowCount === 1) return undefined;
    const { rows } = await tx.query<{ request_hash: string; stream_id: string; to_version: number }>(
      `SELECT request_hash, stream_id, to_version FROM idempotency_keys WHERE scope = $1 AND key = $2`,
      [scope, key],
    );
    const row = rows[0]!;
    if (row.request_hash !== requestHash) throw new IdempotencyKeyReusedError(key);
    return row;
  }
}
