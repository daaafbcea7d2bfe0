import { createHash } from 'node:crypto';

import type { AdapterResult, AlertSource, NormalisedAlert } from './normalised-alert.js';
import { severityFromLabel } from './severity-map.js';

// ---------------------------------------------------------------------------
// Shared parsing helpers (used by every adapter in this folder).
// ---------------------------------------------------------------------------

export type JsonObject = Record<string, unknown>;
export type Link = { href: string; text?: string };

/** A plain JSON object: not null, not an array. */
export const isRecord = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** At most this many errors are reported; the rest are summarised in one line. */
export const MAX_ERRORS = 100;

/** Caps an error list so a hostile payload cannot make the error response huge. */
export const capErrors = (errors: readonly string[]): string[] =>
  errors.length <= MAX_ERRORS
    ? [...errors]
    : [...errors.slice(0, MAX_ERRORS), `… and ${errors.length - MAX_ERRORS} more errors`];

/** Quotes an object key for an error path, shortening absurdly long ones. */
export const pathKey = (key: string): string => (key.length > 64 ? `${key.slice(0, 61)}...` : key);

/** Length in Unicode code points (what vendors mean by "characters"). */
export const charLength = (value: string): number =>
  value.length - (value.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)?.length ?? 0);

export const isBlank = (value: string): boolean => value.trim() === '';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/;
// ISO 8601 as senders actually write it: `T` or a space, optional seconds and
// fraction (`.` or `,`), offset `Z`, `±hh:mm`, `±hhmm` or `±hh`; no offset means UTC.
const ISO8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

const toIso = (m: RegExpExecArray): string | null => {
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', offset = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  const ms = Number(frac.slice(0, 3).padEnd(3, '0'));
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0..99 to 1900..1999 (Go's zero time is year 1).
  date.setUTCFullYear(year, month - 1, day);
  // A leap second (:60) is held at :59.
  date.setUTCHours(hour, minute, Math.min(second, 59), ms);
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null; // e.g. 2023-02-30
  let offsetMinutes = 0;
  if (offset !== 'Z' && offset !== 'z') {
    const digits = offset.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2) || '0');
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (offset.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  const time = date.getTime() - offsetMinutes * 60_000;
  return Number.isFinite(time) ? new Date(time).toISOString() : null;
};

/** An RFC 3339 time (what Alertmanager and Grafana send) as a UTC ISO string, or null. */
export const parseRfc3339 = (value: unknown): string | null => {
  if (typeof value !== 'string' || value.length > 64) return null;
  const m = RFC3339.exec(value);
  return m ? toIso(m) : null;
};

/**
 * An ISO 8601 time as PagerDuty and CloudWatch write it (e.g.
 * `2015-07-17T08:42:58.315+0000`) as a UTC ISO string, or null.
 */
export const parseIso8601 = (value: unknown): string | null => {
  if (typeof value !== 'string' || value.length > 64) return null;
  const m = ISO8601.exec(value);
  return m ? toIso(m) : null;
};

/**
 * Only http(s) links are kept: they end up as anchors in Vigil's UI and
 * `javascript:` or `data:` URLs from a sender must never reach it.
 */
export const isWebUrl = (href: string): boolean => {
  if (href.length > 8192) return false;
  try {
    const url = new URL(href);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
};

/**
 * Reads an object of strings (labels, annotations). Returns null and records
 * errors when it is not one; `undefined`/null yield `{}` when `optional`.
 */
export const readStringMap = (
  value: unknown,
  path: string,
  errors: string[],
  optional: boolean,
): Record<string, string> | null => {
  if (value === undefined || value === null) {
    if (optional) return {};
    errors.push(`${path}: is required (an object of strings)`);
    return null;
  }
  if (!isRecord(value)) {
    errors.push(`${path}: must be an object of strings`);
    return null;
  }
  const entries: Array<[string, string]> = [];
  let ok = true;
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'string') entries.push([key, v]);
    else {
      errors.push(`${path}.${pathKey(key)}: must be a string`);
      ok = false;
    }
  }
  // Object.fromEntries defines own properties, so a "__proto__" label stays a label.
  return ok ? Object.fromEntries(entries) : null;
};

/** Reads an optional string field; wrong types are recorded as errors. */
export const readOptionalString = (value: unknown, path: string, errors: string[]): string | undefined => {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  errors.push(`${path}: must be a string`);
  return undefined;
};

const sortedPairs = (map: Record<string, string>): Array<[string, string]> =>
  Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * A stable stand-in for Alertmanager's fingerprint when a sender omits it:
 * the first 16 hex digits of sha256 over the label pairs sorted by name.
 * (Alertmanager's own is FNV-64a, so the two never coincide by accident.)
 */
export const labelsFingerprint = (labels: Record<string, string>): string =>
  createHash('sha256')
    .update(JSON.stringify(sortedPairs(labels)))
    .digest('hex')
    .slice(0, 16);

/** A group key when a sender omits `groupKey`: the group labels as sorted JSON pairs. */
export const groupKeyFromLabels = (groupLabels: Record<string, string>): string =>
  JSON.stringify(sortedPairs(groupLabels));

const firstPresent = (...values: Array<string | undefined>): string | undefined =>
  values.find((v) => v !== undefined && !isBlank(v));

// ---------------------------------------------------------------------------
// Alertmanager-shaped payloads (Alertmanager itself and Grafana).
// ---------------------------------------------------------------------------

export interface AlertmanagerShapedOptions {
  source: Extract<AlertSource, 'alertmanager' | 'grafana'>;
  /** Accepted values of the top-level `version`. */
  versions: readonly string[];
  /** Summary when an alert has no summary/description annotation and no alertname. */
  fallbackSummary: string;
  /** Per-alert URL fields turned into links, in order. */
  alertLinks: ReadonlyArray<{ field: string; text: string }>;
  /** Link text for the top-level `externalURL`. */
  externalUrlText: string;
  /** Extra details kept for people (e.g. Grafana's `values`). */
  alertDetails?: (alert: JsonObject) => Record<string, unknown> | undefined;
}

/**
 * Maps an Alertmanager-shaped webhook body to alerts, one per element of
 * `alerts`, collecting every error with its path.
 */
export const fromAlertmanagerShaped = (body: unknown, options: AlertmanagerShapedOptions): AdapterResult => {
  if (!isRecord(body)) return { ok: false, errors: ['body: must be a JSON object'] };
  const errors: string[] = [];
  const expected = options.versions.map((v) => `"${v}"`).join(' or ');

  const version = body['version'];
  if (version === undefined || version === null) errors.push(`version: is required (expected ${expected})`);
  else if (typeof version !== 'string' || !options.versions.includes(version)) {
    const shown = typeof version === 'string' ? `"${version.slice(0, 32)}"` : typeof version;
    errors.push(`version: unsupported webhook version ${shown} (expected ${expected})`);
  }

  const externalUrl = readOptionalString(body['externalURL'], 'externalURL', errors);
  let groupKey = readOptionalString(body['groupKey'], 'groupKey', errors);
  if (groupKey === undefined || isBlank(groupKey)) {
    const groupLabels = readStringMap(body['groupLabels'], 'groupLabels', errors, true);
    groupKey = groupLabels ? groupKeyFromLabels(groupLabels) : undefined;
  }

  const rawAlerts = body['alerts'];
  if (!Array.isArray(rawAlerts)) {
    errors.push('alerts: must be an array');
    return { ok: false, errors: capErrors(errors) };
  }

  const alerts: NormalisedAlert[] = [];
  rawAlerts.forEach((raw: unknown, i) => {
    const at = `alerts[${i}]`;
    if (!isRecord(raw)) {
      errors.push(`${at}: must be an object`);
      return;
    }
    const before = errors.length;
    const status = raw['status'];
    if (status !== 'firing' && status !== 'resolved')
      errors.push(`${at}.status: must be "firing" or "resolved"`);
    const labels = readStringMap(raw['labels'], `${at}.labels`, errors, false);
    const annotations = readStringMap(raw['annotations'], `${at}.annotations`, errors, true);
    const startsAt = parseRfc3339(raw['startsAt']);
    if (startsAt === null) errors.push(`${at}.startsAt: must be an RFC 3339 time`);
    let fingerprint = readOptionalString(raw['fingerprint'], `${at}.fingerprint`, errors);
    const links: Link[] = [];
    for (const { field, text } of options.alertLinks) {
      const href = readOptionalString(raw[field], `${at}.${field}`, errors);
      if (href !== undefined && isWebUrl(href)) links.push({ href, text });
    }
    if (errors.length > before || !labels || !annotations || startsAt === null) return;
    if (status !== 'firing' && status !== 'resolved') return;

    if (fingerprint === undefined || isBlank(fingerprint)) fingerprint = labelsFingerprint(labels);
    if (externalUrl !== undefined && isWebUrl(externalUrl))
      links.push({ href: externalUrl, text: options.externalUrlText });
    const summary =
      firstPresent(annotations['summary'], annotations['description'], labels['alertname']) ??
      options.fallbackSummary;
    const dedupKey = `${fingerprint}:${startsAt}`;
    const alert: NormalisedAlert = {
      source: options.source,
      action: status === 'firing' ? 'trigger' : 'resolve',
      dedupKey,
      groupKey: groupKey ?? dedupKey,
      fact: `${fingerprint}|${startsAt}|${status}`,
      severity: severityFromLabel(labels['severity']),
      summary,
      labels,
      annotations,
      links,
      startsAt,
    };
    const details = options.alertDetails?.(raw);
    if (details && Object.keys(details).length > 0) alert.details = details;
    alerts.push(alert);
  });

  return errors.length > 0 ? { ok: false, errors: capErrors(errors) } : { ok: true, alerts };
};

/** Alertmanager's `webhook_config` payload, version "4". */
export const ALERTMANAGER_OPTIONS: AlertmanagerShapedOptions = {
  source: 'alertmanager',
  versions: ['4'],
  fallbackSummary: 'Alertmanager alert',
  alertLinks: [{ field: 'generatorURL', text: 'Source' }],
  externalUrlText: 'Alertmanager',
};

/**
 * Maps an Alertmanager webhook (version "4") to one alert per element of
 * `alerts`: firing → trigger, resolved → resolve; dedup key
 * `fingerprint:startsAt`; group key the payload's `groupKey`. Every POST
 * re-sends the whole group, so the fact (`fingerprint|startsAt|status`) is
 * the same on a resend and downstream appends nothing for it.
 */
export const fromAlertmanager = (body: unknown): AdapterResult =>
  fromAlertmanagerShaped(body, ALERTMANAGER_OPTIONS);
