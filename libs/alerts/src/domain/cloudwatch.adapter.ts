import {
  capErrors,
  isBlank,
  isRecord,
  type JsonObject,
  type Link,
  parseIso8601,
} from './alertmanager.adapter.js';
import type { AdapterResult, NormalisedAlert } from './normalised-alert.js';
import { CLOUDWATCH_ALARM_SEVERITY, CLOUDWATCH_INSUFFICIENT_DATA_SEVERITY } from './severity-map.js';

export const CLOUDWATCH_STATES = ['ALARM', 'OK', 'INSUFFICIENT_DATA'] as const;
export type CloudWatchState = (typeof CLOUDWATCH_STATES)[number];

const isState = (value: unknown): value is CloudWatchState =>
  typeof value === 'string' && (CLOUDWATCH_STATES as readonly string[]).includes(value);

const present = (value: unknown): boolean => value !== undefined && value !== null;

const requiredString = (alarm: JsonObject, field: string, errors: string[]): string | undefined => {
  const value = alarm[field];
  if (!present(value) || (typeof value === 'string' && isBlank(value))) errors.push(`${field}: is required`);
  else if (typeof value !== 'string') errors.push(`${field}: must be a string`);
  else return value;
  return undefined;
};

const optionalString = (alarm: JsonObject, field: string, errors: string[]): string | undefined => {
  const value = alarm[field];
  if (!present(value)) return undefined;
  if (typeof value === 'string') return value;
  errors.push(`${field}: must be a string`);
  return undefined;
};

const stringOf = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;

/**
 * Labels from the alarm's `Trigger`: namespace, metric and dimensions
 * (`dimension_<name>`), from a single-metric alarm or the metrics of a
 * metric-math alarm (first one wins). `Trigger` is informative only, so
 * malformed parts are skipped rather than rejected.
 */
const triggerLabels = (trigger: unknown): Record<string, string> => {
  if (!isRecord(trigger)) return {};
  const entries: Array<[string, string]> = [];
  const addMetric = (metric: JsonObject): void => {
    const namespace = stringOf(metric['Namespace']);
    const name = stringOf(metric['MetricName']);
    if (namespace !== undefined) entries.push(['namespace', namespace]);
    if (name !== undefined) entries.push(['metric_name', name]);
    const dimensions = metric['Dimensions'];
    if (!Array.isArray(dimensions)) return;
    for (const dimension of dimensions as unknown[]) {
      if (!isRecord(dimension)) continue;
      const key = stringOf(dimension['name']);
      const value = stringOf(dimension['value']);
      if (key !== undefined && value !== undefined) entries.push([`dimension_${key}`, value]);
    }
  };
  addMetric(trigger);
  const metrics = trigger['Metrics'];
  if (Array.isArray(metrics))
    for (const metric of metrics as unknown[])
      if (isRecord(metric) && isRecord(metric['MetricStat']) && isRecord(metric['MetricStat']['Metric']))
        addMetric(metric['MetricStat']['Metric']);
  // First occurrence wins: reverse so Object.fromEntries keeps the earliest.
  return Object.fromEntries(entries.reverse());
};

const REGION_CODE = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;

/** A console link when the alarm ARN names a real region code (`arn:aws:cloudwatch:<region>:…`). */
const consoleLink = (alarmArn: string | undefined, alarmName: string): Link[] => {
  const region = alarmArn?.split(':')[3];
  if (region === undefined || !REGION_CODE.test(region)) return [];
  return [
    {
      href: `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(alarmName)}`,
      text: 'CloudWatch alarm',
    },
  ];
};

/**
 * Maps a CloudWatch alarm state change (the JSON carried, double-encoded, in
 * an SNS Notification's `Message`; the string itself is accepted too) to one
 * alert: ALARM → trigger (SEV2), OK → resolve, INSUFFICIENT_DATA → trigger
 * at SEV4 with the summary prefixed "Insufficient data: ". The dedup and group
 * key is `AWSAccountId:Region:AlarmName`, so an alarm's OK resolves its ALARM;
 * the fact is the SNS MessageId, which SNS keeps on redelivery.
 */
export const fromCloudWatchAlarm = (alarm: unknown, messageId: string): AdapterResult => {
  let value = alarm;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return { ok: false, errors: ['alarm: must be JSON'] };
    }
  }
  if (!isRecord(value)) return { ok: false, errors: ['alarm: must be a JSON object'] };
  const errors: string[] = [];

  if (typeof messageId !== 'string' || isBlank(messageId)) errors.push('MessageId: is required');
  const alarmName = requiredString(value, 'AlarmName', errors);
  const accountId = requiredString(value, 'AWSAccountId', errors);
  const region = requiredString(value, 'Region', errors);
  const description = optionalString(value, 'AlarmDescription', errors);
  const reason = optionalString(value, 'NewStateReason', errors);
  const alarmArn = optionalString(value, 'AlarmArn', errors);
  const oldState = optionalString(value, 'OldStateValue', errors);

  const rawState = value['NewStateValue'];
  if (!isState(rawState)) errors.push(`NewStateValue: must be one of ${CLOUDWATCH_STATES.join(', ')}`);

  const startsAt = parseIso8601(value['StateChangeTime']);
  if (startsAt === null) errors.push('StateChangeTime: must be an ISO 8601 time');

  if (
    errors.length > 0 ||
    alarmName === undefined ||
    accountId === undefined ||
    region === undefined ||
    !isState(rawState) ||
    startsAt === null
  )
    return { ok: false, errors: capErrors(errors) };

  const key = `${accountId}:${region}:${alarmName}`;
  const annotations: Record<string, string> = {};
  if (description !== undefined && !isBlank(description)) annotations['description'] = description;
  if (reason !== undefined && !isBlank(reason)) annotations['reason'] = reason;

  const details: Record<string, unknown> = {};
  if (alarmArn !== undefined) details['alarmArn'] = alarmArn;
  if (oldState !== undefined) details['oldState'] = oldState;
  if (isRecord(value['Trigger'])) details['trigger'] = value['Trigger'];

  const insufficient = rawState === 'INSUFFICIENT_DATA';
  const result: NormalisedAlert = {
    source: 'cloudwatch',
    action: rawState === 'OK' ? 'resolve' : 'trigger',
    dedupKey: key,
    groupKey: key,
    fact: messageId,
    severity: insufficient ? CLOUDWATCH_INSUFFICIENT_DATA_SEVERITY : CLOUDWATCH_ALARM_SEVERITY,
    summary: insufficient ? `Insufficient data: ${alarmName}` : alarmName,
    labels: {
      ...triggerLabels(value['Trigger']),
      alarm_name: alarmName,
      aws_account_id: accountId,
      region,
      state: rawState,
    },
    annotations,
    links: consoleLink(alarmArn, alarmName),
    startsAt,
  };
  if (Object.keys(details).length > 0) result.details = details;
  return { ok: true, alerts: [result] };
};
