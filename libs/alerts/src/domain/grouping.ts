import type { NormalisedAlert } from './normalised-alert.js';

/**
 * A service's grouping rule: which alerts fold into one incident.
 *
 * - `groupBy` lists label names; alerts whose values of those labels are equal
 *   form one group (a missing label counts as empty, as in Alertmanager). `[]`
 *   puts every alert of the integration in one group; `['...']` groups by every
 *   label, so each distinct label set is its own group.
 * - `windowMinutes`: a new alert joins its group's open incident only while the
 *   incident is younger than this; after it, the alert opens a fresh incident.
 *   `null` joins for as long as the incident is open.
 *
 * Without a rule, an alert keeps the group its source gave it (Alertmanager's
 * group, or the dedup key for sources that have no groups).
 */
export interface GroupingRule {
  groupBy: string[];
  windowMinutes: number | null;
}

export const GROUP_BY_ALL = '...';
export const MAX_GROUP_BY_LABELS = 20;
export const MAX_GROUPING_WINDOW_MINUTES = 7 * 24 * 60;

/** The label names a rule may group by: Prometheus label names, or `...` alone. */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** What is wrong with a rule, or nothing. */
export const groupingRuleErrors = (rule: GroupingRule): Array<{ field: string; message: string }> => {
  const errors: Array<{ field: string; message: string }> = [];
  if (rule.groupBy.length > MAX_GROUP_BY_LABELS) {
    errors.push({ field: 'groupBy', message: `at most ${MAX_GROUP_BY_LABELS} labels` });
  }
  if (rule.groupBy.includes(GROUP_BY_ALL) && rule.groupBy.length > 1) {
    errors.push({ field: 'groupBy', message: `'${GROUP_BY_ALL}' must be the only entry` });
  }
  rule.groupBy.forEach((label, i) => {
    if (label !== GROUP_BY_ALL && !LABEL_NAME.test(label)) {
      errors.push({ field: `groupBy[${i}]`, message: 'must be a label name ([a-zA-Z_][a-zA-Z0-9_]*)' });
    }
  });
  if (new Set(rule.groupBy).size !== rule.groupBy.length) {
    errors.push({ field: 'groupBy', message: 'must not repeat a label' });
  }
  if (
    rule.windowMinutes !== null &&
    (!Number.isInteger(rule.windowMinutes) ||
      rule.windowMinutes < 1 ||
      rule.windowMinutes > MAX_GROUPING_WINDOW_MINUTES)
  ) {
    errors.push({
      field: 'windowMinutes',
      message: `must be null or a whole number of minutes from 1 to ${MAX_GROUPING_WINDOW_MINUTES}`,
    });
  }
  return errors;
};

/** The group an alert belongs to under a rule (or the one its source gave it, without one). */
export const groupKeyOf = (alert: NormalisedAlert, rule: GroupingRule | null | undefined): string => {
  if (!rule) return alert.groupKey;
  const names =
    rule.groupBy.length === 1 && rule.groupBy[0] === GROUP_BY_ALL
      ? Object.keys(alert.labels).sort()
      : [...rule.groupBy].sort();
  const values = names.map((name) => [name, Object.hasOwn(alert.labels, name) ? alert.labels[name]! : '']);
  return `rule:${JSON.stringify(values)}`;
};

/** Whether a new alert received at `receivedAt` may still join an incident opened at `openedAt`. */
export const withinWindow = (
  rule: GroupingRule | null | undefined,
  openedAt: string,
  receivedAt: string,
): boolean =>
  !rule ||
  rule.windowMinutes === null ||
  Date.parse(receivedAt) - Date.parse(openedAt) < rule.windowMinutes * 60_000;
