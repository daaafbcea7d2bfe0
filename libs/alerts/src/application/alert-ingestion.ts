import type { Pool, PoolClient } from 'pg';
import {
  newId,
  ConcurrencyError,
  FoldedStateCache,
  type PostgresEventStore,
  type RecordedEvent,
} from '#vigil/event-store';
import type { Incident } from '#vigil/incidents';
import type { AlertGroup } from '../domain/alert-group.js';
import type { GroupingRules } from '../grouping/grouping-rules.js';
import type { Integration } from '../integrations/integrations.js';
import type { Silences } from '../silences/silences.js';
import { commitBatch, receiptKey, type Delivery, type DeliveryOutcome } from './delivery-batch.js';
import { RecentReceipts } from './recent-receipts.js';

export { ALERT_GROUP_STREAM_TYPE, alertGroupStreamId, SNAPSHOT_EVERY } from './delivery-batch.js';
export type { Delivery, DeliveryOutcome } from './delivery-batch.js';

export interface IngestionOptions {
  /** Most deliveries taken in one transaction. */
  maxBatch?: number;
  /**
   * Most transactions in flight at once; deliveries arriving meanwhile wait and go together in the
   * next. One (the default) measured fastest: batches that share groups queue on each other's
   * locks anyway, and with one in flight the states in memory are current and need no read.
   */
  maxInFlight?: number;
  /** Told of each committed transaction: how many deliveries it took and how long it ran. */
  onBatch?: (deliveries: number, seconds: number) => void;
  /** Told of each delivery answered from memory, and whether its bytes or its receipt gave it away. */
  onKnown?: (by: 'bytes' | 'receipt') => void;
}

/** The key a payload's bytes are remembered by, next to its receipt key. */
const bytesKey = (integrationId: string, bytesHash: string) => `${integrationId}/bytes:${bytesHash}`;

interface Waiting {
  delivery: Delivery;
  resolve: (outcome: DeliveryOutcome) => void;
  reject: (error: unknown) => void;
}

const MAX_ATTEMPTS = 5;

/** A batch's guess that its receipts were all new was wrong (see BatchContext.guess). */
const RECEIPTS_TAKEN = 'VG410';

const sqlState = (error: unknown) => (error as { code?: string } | null)?.code ?? '';

/**
 * Lost a race that a fresh read settles (a person changed the incident, or two batches crossed),
 * or guessed wrong.
 */
const retryable = (error: unknown) =>
  error instanceof ConcurrencyError || ['40P01', '40001', RECEIPTS_TAKEN].includes(sqlState(error));

/**
 * Alert ingestion with group commit. Deliveries that arrive while a
 * transaction is in flight wait, and the next transaction takes them all
 * together, so commits per second do not bound alerts per second and a quiet
 * system adds no delay. Every delivery is answered only after its transaction
 * committed. A transaction that fails for a reason other than a lost race is
 * retried one delivery at a time, so one bad delivery cannot fail the others.
 */
export class AlertIngestion {
  private readonly waiting: Waiting[] = [];
  private inFlight = 0;
  private readonly groups = new FoldedStateCache<AlertGroup>();
  private readonly incidents = new FoldedStateCache<Incident>();
  private readonly snapshots = new FoldedStateCache<null>();
  private readonly receipts = new RecentReceipts();
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly onBatch: (deliveries: number, seconds: number) => void;
  private readonly onKnown: (by: 'bytes' | 'receipt') => void;

  constructor(
    private readonly pool: Pool,
    private readonly store: PostgresEventStore,
    private readonly silences: Pick<Silences, 'notOver'>,
    private readonly rules: Pick<GroupingRules, 'all'>,
    private readonly onCommitted: (events: RecordedEvent[]) => void = () => undefined,
    options: IngestionOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 128;
    this.maxInFlight = options.maxInFlight ?? 1;
    this.onBatch = options.onBatch ?? (() => undefined);
    this.onKnown = options.onKnown ?? (() => undefined);
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
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      this.inFlight++;
      void this.settle(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async settle(batch: Waiting[]) {
    try {
      const outcomes = await this.commit(batch.map((w) => w.delivery));
      batch.forEach((w, i) => w.resolve(outcomes[i]!));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      for (const one of batch) await this.settle([one]);
    }
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

  private async commit(deliveries: Delivery[]): Promise<DeliveryOutcome[]> {
    // With one batch in flight the states in memory are current, unless another process moved
    // them: the first attempt trusts them and guesses; a lost race reads.
    let trusted = this.maxInFlight === 1;
    let guess = trusted;
    for (let attempt = 1; ; attempt++) {
      try {
        // Read before the transaction: a transaction that waits for a second connection can
        // starve a full pool.
        const context = {
          silences: await this.silences.notOver(deliveries[0]!.now),
          rules: await this.rules.all(),
          groups: this.groups,
          incidents: this.incidents,
          snapshots: this.snapshots,
          trusted,
          guess,
        };
        const started = performance.now();
        const { outcomes, events, remember } = await this.inTransaction((tx) =>
          commitBatch(tx, this.store, deliveries, context),
        );
        remember();
        deliveries.forEach((d, i) => {
          const { response } = outcomes[i]!;
          this.receipts.remember(receiptKey(d), response);
          if (d.bytesHash) this.receipts.remember(bytesKey(d.integration.id, d.bytesHash), response);
        });
        this.onBatch(deliveries.length, (performance.now() - started) / 1000);
        // The store kept the new heads itself: the append committed in the same round trip.
        if (events.length > 0) this.onCommitted(events);
        return outcomes;
      } catch (error) {
        if (!retryable(error) || attempt >= MAX_ATTEMPTS) throw error;
        guess = false;
        // Receipts taken already leave the states in memory as true as they were.
        if (sqlState(error) !== RECEIPTS_TAKEN) trusted = false;
      }
    }
  }
}
