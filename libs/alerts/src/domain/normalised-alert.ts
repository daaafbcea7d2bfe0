import type { Severity } from '#vigil/incidents';

export const ALERT_SOURCES = ['pagerduty', 'alertmanager', 'grafana', 'cloudwatch', 'generic'] as const;
export type AlertSource = (typeof ALERT_SOURCES)[number];

/**
 * One alert, whatever sent it. Adapters are pure functions from a vendor's
 * payload to these; everything after them (dedup, grouping, incidents) sees only
 * this shape.
 */
export interface NormalisedAlert {
  source: AlertSource;
  /**
   * `trigger` fires (or re-fires) the alert, `resolve` ends it, `acknowledge` is
   * PagerDuty's acknowledgement from the sender's side.
   */
  action: 'trigger' | 'acknowledge' | 'resolve';
  /** Identifies the alert within its integration: PagerDuty's dedup_key, Alertmanager's fingerprint+startsAt. */
  dedupKey: string;
  /** Alerts with the same group key fold into one incident (Alertmanager's groupKey; else the dedup key). */
  groupKey: string;
  /**
   * Identifies this delivery's fact: a second delivery with the same fact is a
   * resend of what is already known (Alertmanager re-sends whole groups) and
   * appends nothing; a trigger with a new fact for a firing alert is a repeat.
   */
  fact: string;
  severity: Severity;
  summary: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  links: Array<{ href: string; text?: string }>;
  /** When the problem began (impact start), ISO-8601. */
  startsAt: string;
  /** Extra vendor details kept for people to read (PagerDuty custom_details…). */
  details?: Record<string, unknown>;
}

/** An adapter's answer: the alerts in the payload, or what is wrong with it. */
export type AdapterResult =
  { ok: true; alerts: NormalisedAlert[]; dedupKey?: string } | { ok: false; errors: string[] };
