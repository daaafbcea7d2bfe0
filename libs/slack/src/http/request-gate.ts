import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { Clock } from '#vigil/common';
import { SLACK_SIGNATURE_MAX_SKEW_SECONDS } from '../domain/signature.js';

/** `fresh`: first sight; `replay`: this exact signed request was seen; `duplicate`: a retry of a delivery already taken. */
export type GateVerdict = 'fresh' | 'replay' | 'duplicate';

/**
 * The replay cache and the retry dedupe, in PostgreSQL so every Vigil process shares them.
 * A signature is remembered until its timestamp is out of the window (plus a minute), so an
 * exact replay is refused; a delivery key (event_id, trigger_id) for an hour, so Slack's
 * retries (X-Slack-Retry-Num, freshly signed) are acknowledged and not processed again.
 */
export class SlackRequestGate {
  private lastPrune = 0;

  constructor(
    private readonly pool: Pool,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  async check(signature: string, timestamp: number, deliveryKey: string | null): Promise<GateVerdict> {
    this.prune();
    const { rows } = await this.pool.query<{ fresh_signature: boolean; fresh_delivery: boolean }>({
      name: 'vigil-slack-gate',
      text: `WITH sig AS (
               INSERT INTO slack_seen_signatures (signature, expires_at) VALUES ($1, to_timestamp($2::bigint))
               ON CONFLICT DO NOTHING RETURNING 1),
             del AS (
               INSERT INTO slack_deliveries (delivery_key, seen_at)
               SELECT $3::text, $4 WHERE $3::text IS NOT NULL AND EXISTS (SELECT 1 FROM sig)
               ON CONFLICT DO NOTHING RETURNING 1)
             SELECT EXISTS (SELECT 1 FROM sig) AS fresh_signature, EXISTS (SELECT 1 FROM del) AS fresh_delivery`,
      values: [signature, timestamp + SLACK_SIGNATURE_MAX_SKEW_SECONDS + 60, deliveryKey, this.clock.now()],
    });
    const row = rows[0]!;
    if (!row.fresh_signature) return 'replay';
    if (deliveryKey !== null && !row.fresh_delivery) return 'duplicate';
    return 'fresh';
  }

  /**
   * Socket Mode's dedupe: envelopes come over Vigil's own authenticated WebSocket, so there is no
   * signature to check, but Slack redelivers an envelope it thinks was not acknowledged. True the
   * first time a delivery key is seen (or when the delivery has none).
   */
  async admitDelivery(deliveryKey: string | null): Promise<boolean> {
    if (deliveryKey === null) return true;
    this.prune();
    const { rowCount } = await this.pool.query({
      name: 'vigil-slack-delivery',
      text: `INSERT INTO slack_deliveries (delivery_key, seen_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
      values: [deliveryKey, this.clock.now()],
    });
    return rowCount === 1;
  }

  /** At most once a minute per process, forgets what can no longer be replayed or retried. */
  private prune(): void {
    const now = this.clock.now();
    if (now.getTime() - this.lastPrune < 60_000) return;
    this.lastPrune = now.getTime();
    Promise.all([
      this.pool.query(`DELETE FROM slack_seen_signatures WHERE expires_at < $1`, [now]),
      this.pool.query(`DELETE FROM slack_deliveries WHERE seen_at < $1`, [
        new Date(now.getTime() - 3600_000),
      ]),
    ]).catch((err: unknown) => this.log.warn({ err }, 'could not prune the Slack replay cache'));
  }
}
