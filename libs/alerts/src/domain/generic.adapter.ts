import {
  capErrors,
  charLength,
  isBlank,
  isRecord,
  isWebUrl,
  type Link,
  parseIso8601,
  readStringMap,
} from './alertmanager.adapter.js';
import type { AdapterResult, NormalisedAlert } from './normalised-alert.js';
import { DEFAULT_SEVERITY, parseGenericSeverity } from './severity-map.js';

export const GENERIC_MAX_KEY_LENGTH = 255;
export const GENERIC_MAX_SUMMARY_LENGTH = 1024;

/** Vigil's own alert format, for senders with no format of their own (and Grafana custom payloads). */
export interface GenericAlertBody {
  /** Default `firing`. */
  status?: 'firing' | 'resolved';
  /** Required, at most 255 characters. */
  dedupKey: string;
  /** Default: the dedup key. At most 255 characters. */
  groupKey?: string;
  /** Required, at most 1024 characters. */
  summary: string;
  /** SEV1..SEV4 or critical|error|warning|info (case-insensitive); default SEV3. */
  severity?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** http(s) links only. */
  links?: Array<{ href: string; text?: string }>;
  /** ISO 8601; default `now`. */
  startsAt?: string;
}

const present = (value: unknown): boolean => value !== undefined && value !== null;

const readKey = (value: unknown, field: string, errors: string[], required: boolean): string | undefined => {
  if (!present(value)) {
    if (required) errors.push(`${field}: is required`);
    return undefined;
  }
  if (typeof value !== 'string') errors.push(`${field}: must be a string`);
  else if (isBlank(value)) errors.push(required ? `${field}: is required` : `${field}: must not be blank`);
  else if (charLength(value) > GENERIC_MAX_KEY_LENGTH)
    errors.push(`${field}: must be at most ${GENERIC_MAX_KEY_LENGTH} characters`);
  else return value;
  return undefined;
};

const readLinks = (value: unknown, errors: string[]): Link[] => {
  if (!present(value)) return [];
  if (!Array.isArray(value)) {
    errors.push('links: must be an array');
    return [];
  }
  const links: Link[] = [];
  value.forEach((link: unknown, i) => {
    const at = `links[${i}]`;
    if (!isRecord(link)) {
      errors.push(`${at}: must be an object`);
      return;
    }
    const href = link['href'];
    const text = link['text'];
    let ok = true;
    if (typeof href !== 'string' || !isWebUrl(href)) {
      errors.push(`${at}.href: must be an http(s) URL`);
      ok = false;
    }
    if (present(text) && typeof text !== 'string') {
      errors.push(`${at}.text: must be a string`);
      ok = false;
    }
    if (ok && typeof href === 'string')
      links.push(typeof text === 'string' && !isBlank(text) ? { href, text } : { href });
  });
  return links;
};

/**
 * Maps Vigil's generic JSON alert to one alert. The fact is
 * `status|startsAt|summary`: resending the same body is a no-op, a changed
 * summary is a repeat.
 */
export const fromGeneric = (body: unknown, now: string): AdapterResult => {
  if (!isRecord(body)) return { ok: false, errors: ['body: must be a JSON object'] };
  const errors: string[] = [];

  const rawStatus = body['status'];
  let status: 'firing' | 'resolved' = 'firing';
  if (rawStatus === 'firing' || rawStatus === 'resolved') status = rawStatus;
  else if (present(rawStatus)) errors.push('status: must be "firing" or "resolved"');

  const dedupKey = readKey(body['dedupKey'], 'dedupKey', errors, true);
  const groupKey = readKey(body['groupKey'], 'groupKey', errors, false);

  const rawSummary = body['summary'];
  let summary: string | undefined;
  if (!present(rawSummary) || (typeof rawSummary === 'string' && isBlank(rawSummary)))
    errors.push('summary: is required');
  else if (typeof rawSummary !== 'string') errors.push('summary: must be a string');
  else if (charLength(rawSummary) > GENERIC_MAX_SUMMARY_LENGTH)
    errors.push(`summary: must be at most ${GENERIC_MAX_SUMMARY_LENGTH} characters`);
  else summary = rawSummary;

  const rawSeverity = body['severity'];
  let severity = DEFAULT_SEVERITY;
  if (present(rawSeverity)) {
    const parsed = typeof rawSeverity === 'string' ? parseGenericSeverity(rawSeverity) : null;
    if (parsed === null)
      errors.push('severity: must be one of SEV1, SEV2, SEV3, SEV4, critical, error, warning, info');
    else severity = parsed;
  }

  const labels = readStringMap(body['labels'], 'labels', errors, true);
  const annotations = readStringMap(body['annotations'], 'annotations', errors, true);
  const links = readLinks(body['links'], errors);

  let startsAt = now;
  if (present(body['startsAt'])) {
    const parsed = parseIso8601(body['startsAt']);
    if (parsed === null) errors.push('startsAt: must be an ISO 8601 time');
    else startsAt = parsed;
  }

  if (errors.length > 0 || dedupKey === undefined || summary === undefined || !labels || !annotations)
    return { ok: false, errors: capErrors(errors) };

  const alert: NormalisedAlert = {
    source: 'generic',
    action: status === 'firing' ? 'trigger' : 'resolve',
    dedupKey,
    groupKey: groupKey ?? dedupKey,
    fact: `${status}|${startsAt}|${summary}`,
    severity,
    summary,
    labels,
    annotations,
    links,
    startsAt,
  };
  return { ok: true, alerts: [alert] };
};
