import type { Severity } from '#vigil/incidents';

/**
 * How each alert source's notion of urgency becomes a Vigil severity.
 *
 * | Source                    | Vendor value (case-insensitive for labels)   | Vigil |
 * | ------------------------- | -------------------------------------------- | ----- |
 * | PagerDuty payload.severity| critical                                     | SEV1  |
 * |                           | error                                        | SEV2  |
 * |                           | warning                                      | SEV3  |
 * |                           | info                                         | SEV4  |
 * | Alertmanager / Grafana    | critical, page, p1                           | SEV1  |
 * | label `severity`          | error, high, major, p2                       | SEV2  |
 * |                           | warning, warn, medium, minor, p3             | SEV3  |
 * |                           | info, low, p4, p5, none                      | SEV4  |
 * |                           | absent, blank or anything else               | SEV3  |
 * | CloudWatch NewStateValue  | ALARM (and OK, which only resolves)          | SEV2  |
 * |                           | INSUFFICIENT_DATA                            | SEV4  |
 * | Vigil generic `severity`  | SEV1..SEV4, or PagerDuty's four names        | as is |
 *
 * PagerDuty's values are validated before mapping (the API rejects others), so
 * that map is total; label values are free text, so unknown ones fall back to
 * {@link DEFAULT_SEVERITY}. CloudWatch alarms carry no severity at all.
 */

/** Used when a source says nothing usable about severity. */
export const DEFAULT_SEVERITY: Severity = 'SEV3';

export const PAGERDUTY_SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
export type PagerDutySeverity = (typeof PAGERDUTY_SEVERITIES)[number];

export const PAGERDUTY_SEVERITY_MAP: Readonly<Record<PagerDutySeverity, Severity>> = {
  critical: 'SEV1',
  error: 'SEV2',
  warning: 'SEV3',
  info: 'SEV4',
};

export const isPagerDutySeverity = (value: unknown): value is PagerDutySeverity =>
  typeof value === 'string' && (PAGERDUTY_SEVERITIES as readonly string[]).includes(value);

export const severityFromPagerDuty = (severity: PagerDutySeverity): Severity =>
  PAGERDUTY_SEVERITY_MAP[severity];

/** Values of the Alertmanager/Grafana `severity` label, lower-cased, by Vigil severity. */
export const LABEL_SEVERITY_VALUES: Readonly<Record<Severity, readonly string[]>> = {
  SEV1: ['critical', 'page', 'p1'],
  SEV2: ['error', 'high', 'major', 'p2'],
  SEV3: ['warning', 'warn', 'medium', 'minor', 'p3'],
  SEV4: ['info', 'low', 'p4', 'p5', 'none'],
};

// A Map, not an object literal: label values such as "constructor" must not hit Object.prototype.
const LABEL_SEVERITY = new Map<string, Severity>(
  (Object.entries(LABEL_SEVERITY_VALUES) as Array<[Severity, readonly string[]]>).flatMap(
    ([severity, values]) => values.map((value): [string, Severity] => [value, severity]),
  ),
);

/** Maps an Alertmanager/Grafana `severity` label value; absent or unknown values give SEV3. */
export const severityFromLabel = (value: string | undefined): Severity =>
  (value === undefined ? undefined : LABEL_SEVERITY.get(value.trim().toLowerCase())) ?? DEFAULT_SEVERITY;

/** An alarm in ALARM state; CloudWatch has no severity of its own. */
export const CLOUDWATCH_ALARM_SEVERITY: Severity = 'SEV2';
/** An alarm that cannot be evaluated is worth a look, not a page. */
export const CLOUDWATCH_INSUFFICIENT_DATA_SEVERITY: Severity = 'SEV4';

const VIGIL_SEVERITY = new Map<string, Severity>([
  ['sev1', 'SEV1'],
  ['sev2', 'SEV2'],
  ['sev3', 'SEV3'],
  ['sev4', 'SEV4'],
  ...Object.entries(PAGERDUTY_SEVERITY_MAP),
]);

/**
 * The generic format's `severity`: Vigil's own SEV1..SEV4 or PagerDuty's four
 * names, case-insensitive. Returns null for anything else.
 */
export const parseGenericSeverity = (value: string): Severity | null =>
  VIGIL_SEVERITY.get(value.trim().toLowerCase()) ?? null;
