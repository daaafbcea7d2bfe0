import type { PoolClient } from 'pg';
import type { LaterWrites, Projection, RecordedEvent } from '#vigil/event-store';
import type { AlertGroupEvent } from '../domain/alert-group.js';
import { ALERT_GROUP_STREAM_TYPE } from '../application/alert-ingestion.js';

/** The rule an alert stands for: its alert name, else its class, else its summary. */
export const ruleOf = (labels: Record<string, string>, summary: string): string =>
  (labels.alertname || labels.class || summary || '(unnamed)').slice(0, 200);

/** People act on incidents; alerts and the system do not. */
const HUMAN_ACTORS = new Set(['user', 'api-key', 'slack']);

/** The start of the minute (UTC) a time falls in. */
const minuteOf = (time: string) => new Date(Math.floor(Date.parse(time) / 60_000) * 60_000).toISOString();

/** Rows counted by all their fields, summed in memory before they are written. */
class Tally<R extends Record<string, string>> {
  private readonly counts = new Map<string, R & { count: number }>();

  add(row: R) {
    const key = Object.values(row).join('\n');
    const entry = this.counts.get(key);
    if (entry) entry.count++;
    else this.counts.set(key, { ...row, count: 1 });
  }

  get size() {
    return this.counts.size;
  }

  rows() {
    return [...this.counts.values()];
  }
}

/**
 * The one statement that stores a batch's counts: a call of the function that holds the write
 * (migration 0015), so only the call is planned each round. Its values: the alert keys first seen
 * ($1), repeats and flaps counted by alert, minute and kind ($2), the other facts counted ($3),
 * the incidents people acted on ($4) and the incidents alerts opened ($5).
 */
export const ALERT_FATIGUE_STATEMENT = `SELECT vigil_count_alert_facts($1::jsonb, $2::jsonb, $3::jsonb, $4::uuid[], $5::jsonb)`;

/**
 * Counts what alerts did (received, deduplicated, suppressed, flapping, opened
 * an incident) per minute, service and rule, and whether anyone acted on the
 * incidents they opened. Counts are added up, so this relies on the
 * subscription committing its checkpoint with them (each event applied once).
 */
export class AlertFatigueProjection implements Projection {
  readonly name = 'alert-fatigue@2';

  async apply(tx: PoolClient, events: readonly RecordedEvent[], later?: LaterWrites): Promise<void> {
    /** Facts by minute, service, rule and kind. */
    const facts = new Tally<{ minute: string; service: string; rule: string; kind: string }>();
    const keys = new Map<
      string,
      { group_stream_id: string; alert_key: string; service: string; rule: string }
    >();
    const opened: Array<{ incident_id: string; service: string; rule: string; opened_at: string }> = [];
    const acted = new Set<string>();
    /** Repeats and flaps by group, alert key, minute and kind: their service and rule are looked up. */
    const repeats = new Tally<{ group_stream_id: string; alert_key: string; minute: string; kind: string }>();

    for (const e of events) {
      if (e.streamType === ALERT_GROUP_STREAM_TYPE) {
        const event = { type: e.type, data: e.data } as AlertGroupEvent;
        const minute = minuteOf(e.occurredAt);
        const fact = (kind: string, service: string, rule: string) =>
          facts.add({ minute, service, rule, kind });
        switch (event.type) {
          case 'AlertTriggered': {
            const { service, labels, summary, alertKey, incidentId, openedIncident } = event.data;
            const rule = ruleOf(labels, summary);
            keys.set(`${e.streamId}\n${alertKey}`, {
              group_stream_id: e.streamId,
              alert_key: alertKey,
              service,
              rule,
            });
            fact('received', service, rule);
            if (openedIncident) {
              fact('opened', service, rule);
              opened.push({ incident_id: incidentId, service, rule, opened_at: e.occurredAt });
            }
            break;
          }
          case 'AlertSuppressed': {
            const { service, labels, summary, alertKey } = event.data;
            const rule = ruleOf(labels, summary);
            keys.set(`${e.streamId}\n${alertKey}`, {
              group_stream_id: e.streamId,
              alert_key: alertKey,
              service,
              rule,
            });
            fact('received', service, rule);
            fact('suppressed', service, rule);
            break;
          }
          case 'AlertRepeated':
          case 'AlertFlapping':
            repeats.add({
              group_stream_id: e.streamId,
              alert_key: event.data.alertKey,
              minute,
              kind: event.type === 'AlertRepeated' ? 'deduplicated' : 'flapping',
            });
            break;
          case 'AlertAcknowledged':
          case 'AlertResolved':
            break;
        }
      } else if (
        e.streamType === 'incident' &&
        HUMAN_ACTORS.has(e.metadata.actor?.kind ?? '') &&
        e.type !== 'IncidentOpened'
      ) {
        acted.add(e.streamId.slice('incident-'.length));
      }
    }

    if (keys.size + repeats.size + facts.size + opened.length + acted.size === 0) return;
    // Sent with the round's commit when it can wait.
    const statement = {
      text: ALERT_FATIGUE_STATEMENT,
      values: [
        JSON.stringify([...keys.values()]),
        JSON.stringify(repeats.rows()),
        JSON.stringify(facts.rows()),
        [...acted],
        JSON.stringify(opened),
      ],
    };
    if (later) later.add(statement.text, statement.values);
    else await tx.query({ name: 'vigil-alert-fatigue-apply', ...statement });
  }

  async reset(tx: PoolClient): Promise<void> {
    await tx.query(`TRUNCATE alert_fact_counts, alert_keys, alert_incidents`);
  }
}
