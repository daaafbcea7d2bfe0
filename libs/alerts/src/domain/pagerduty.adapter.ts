import {
  charLength,
  capErrors,
  isBlank,
  isRecord,
  isWebUrl,
  type JsonObject,
  type Link,
  parseIso8601,
} from './alertmanager.adapter.js';
import type { AdapterResult, NormalisedAlert } from './normalised-alert.js';
import {
  DEFAULT_SEVERITY,
  isPagerDutySeverity,
  PAGERDUTY_SEVERITIES,
  severityFromPagerDuty,
} from './severity-map.js';

export const PAGERDUTY_EVENT_ACTIONS = ['trigger', 'acknowledge', 'resolve'] as const;
export type PagerDutyEventAction = (typeof PAGERDUTY_EVENT_ACTIONS)[number];

export const PAGERDUTY_ROUTING_KEY_LENGTH = 32;
export const PAGERDUTY_MAX_DEDUP_KEY_LENGTH = 255;
export const PAGERDUTY_MAX_SUMMARY_LENGTH = 1024;

/** PagerDuty's 400 body carries `message: "Event object is invalid"` with these errors. */
export const PAGERDUTY_INVALID_EVENT = 'Event object is invalid';

// Error wording follows PagerDuty's own responses, e.g.
// "'payload.severity' is missing or blank" (seen in SigNoz/signoz#9536) and
// "Length of 'routing_key' is incorrect (should be 32 characters)" (alertmanager notify/pagerduty tests).
const missing = (field: string): string => `'${field}' is missing or blank`;
const invalid = (field: string, why: string): string => `'${field}' is invalid (${why})`;
const tooLong = (field: string, max: number): string => `'${field}' is too long (max ${max})`;

const isAction = (value: unknown): value is PagerDutyEventAction =>
  typeof value === 'string' && (PAGERDUTY_EVENT_ACTIONS as readonly string[]).includes(value);

const present = (value: unknown): boolean => value !== undefined && value !== null;

const readRoutingKey = (body: JsonObject, errors: string[]): void => {
  const key = body['routing_key'];
  if (!present(key) || (typeof key === 'string' && isBlank(key))) errors.push(missing('routing_key'));
  else if (typeof key !== 'string') errors.push(invalid('routing_key', 'must be a string'));
  else if (key.length !== PAGERDUTY_ROUTING_KEY_LENGTH)
    errors.push(
      `Length of 'routing_key' is incorrect (should be ${PAGERDUTY_ROUTING_KEY_LENGTH} characters)`,
    );
};

/** A string field: required ones report blank as missing; `max` bounds its length. */
const readText = (
  value: unknown,
  field: string,
  errors: string[],
  required: boolean,
  max?: number,
): string | undefined => {
  if (!present(value) || (typeof value === 'string' && isBlank(value))) {
    if (required) errors.push(missing(field));
    return typeof value === 'string' ? value : undefined;
  }
  if (typeof value !== 'string') {
    errors.push(invalid(field, 'must be a string'));
    return undefined;
  }
  if (max !== undefined && charLength(value) > max) {
    errors.push(tooLong(field, max));
    return undefined;
  }
  return value;
};

/** component/group/class: free text; numbers and booleans are taken as their string form. */
const readLabel = (value: unknown, field: string, errors: string[]): string | undefined => {
  if (!present(value)) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  errors.push(invalid(field, 'must be a string'));
  return undefined;
};

const readTimestamp = (value: unknown, field: string, errors: string[]): string | undefined => {
  if (!present(value)) return undefined;
  const iso = parseIso8601(value);
  if (iso === null) errors.push(invalid(field, 'must be an ISO 8601 timestamp'));
  return iso ?? undefined;
};

/** `links[]`: objects with a string `href` and optional `text`. Non-http(s) hrefs are dropped, not errors. */
const readLinks = (value: unknown, errors: string[]): Link[] => {
  if (!present(value)) return [];
  if (!Array.isArray(value)) {
    errors.push(invalid('links', 'must be an array'));
    return [];
  }
  const links: Link[] = [];
  value.forEach((link: unknown, i) => {
    const at = `links[${i}]`;
    if (!isRecord(link)) {
      errors.push(invalid(at, 'must be an object'));
      return;
    }
    const href = readText(link['href'], `${at}.href`, errors, true);
    const text = readText(link['text'], `${at}.text`, errors, false);
    if (href === undefined || isBlank(href) || !isWebUrl(href)) return;
    links.push(text === undefined || isBlank(text) ? { href } : { href, text });
  });
  return links;
};

type Image = { src: string; href?: string; alt?: string };

/** `images[]`: objects with a string `src` and optional `href`, `alt`. */
const readImages = (value: unknown, errors: string[]): Image[] | undefined => {
  if (!present(value)) return undefined;
  if (!Array.isArray(value)) {
    errors.push(invalid('images', 'must be an array'));
    return undefined;
  }
  const images: Image[] = [];
  value.forEach((image: unknown, i) => {
    const at = `images[${i}]`;
    if (!isRecord(image)) {
      errors.push(invalid(at, 'must be an object'));
      return;
    }
    const src = readText(image['src'], `${at}.src`, errors, true);
    const href = readText(image['href'], `${at}.href`, errors, false);
    const alt = readText(image['alt'], `${at}.alt`, errors, false);
    if (src === undefined || isBlank(src)) return;
    images.push({ src, ...(href ? { href } : {}), ...(alt ? { alt } : {}) });
  });
  return images;
};

/** custom_details is normally an object; anything else is kept whole under `custom_details`. */
const customDetails = (value: unknown): Record<string, unknown> =>
  !present(value) ? {} : isRecord(value) ? { ...value } : { custom_details: value };

/**
 * Maps a PagerDuty Events API v2 event (POST /v2/enqueue) to one alert,
 * validating it as PagerDuty does and reporting every problem at once. The
 * routing key is checked for presence and length only (the caller looks it
 * up). A trigger without `dedup_key` gets `generateKey()`, returned as the
 * result's `dedupKey` for the 202 response. Every trigger is news to
 * PagerDuty, so its fact is unique (a repeat); acknowledge and resolve are
 * idempotent (`fact` = the action).
 */
export const fromPagerDutyEvent = (body: unknown, now: string, generateKey: () => string): AdapterResult => {
  if (!isRecord(body)) return { ok: false, errors: [PAGERDUTY_INVALID_EVENT] };
  const errors: string[] = [];

  readRoutingKey(body, errors);

  const rawAction = body['event_action'];
  let action: PagerDutyEventAction | undefined;
  if (!present(rawAction) || (typeof rawAction === 'string' && isBlank(rawAction)))
    errors.push(missing('event_action'));
  else if (isAction(rawAction)) action = rawAction;
  else errors.push(invalid('event_action', `must be one of ${PAGERDUTY_EVENT_ACTIONS.join(', ')}`));

  const isTrigger = action === 'trigger';
  const rawDedup = body['dedup_key'];
  let dedupKey: string | undefined;
  if (!present(rawDedup) || (typeof rawDedup === 'string' && isBlank(rawDedup))) {
    if (action === 'acknowledge' || action === 'resolve') errors.push(missing('dedup_key'));
  } else if (typeof rawDedup !== 'string') errors.push(invalid('dedup_key', 'must be a string'));
  else if (charLength(rawDedup) > PAGERDUTY_MAX_DEDUP_KEY_LENGTH)
    errors.push(tooLong('dedup_key', PAGERDUTY_MAX_DEDUP_KEY_LENGTH));
  else dedupKey = rawDedup;

  // The payload is required on triggers; on acknowledge/resolve it is optional but still checked.
  const rawPayload = body['payload'];
  let payload: JsonObject | undefined;
  if (isRecord(rawPayload)) payload = rawPayload;
  else if (present(rawPayload)) errors.push(invalid('payload', 'must be an object'));
  else if (isTrigger) payload = {};

  let summary: string | undefined;
  let severityName: unknown;
  let timestamp: string | undefined;
  const labels: Record<string, string> = {};
  let details: Record<string, unknown> = {};
  if (payload) {
    summary = readText(
      payload['summary'],
      'payload.summary',
      errors,
      isTrigger,
      PAGERDUTY_MAX_SUMMARY_LENGTH,
    );
    const source = readText(payload['source'], 'payload.source', errors, isTrigger);
    severityName = payload['severity'];
    if (!present(severityName) || (typeof severityName === 'string' && isBlank(severityName))) {
      if (isTrigger) errors.push(missing('payload.severity'));
    } else if (!isPagerDutySeverity(severityName))
      errors.push(invalid('payload.severity', `must be one of ${PAGERDUTY_SEVERITIES.join(', ')}`));
    timestamp = readTimestamp(payload['timestamp'], 'payload.timestamp', errors);
    if (source !== undefined && !isBlank(source)) labels['source'] = source;
    for (const name of ['component', 'group', 'class'] as const) {
      const value = readLabel(payload[name], `payload.${name}`, errors);
      if (value !== undefined) labels[name] = value;
    }
    details = customDetails(payload['custom_details']);
  }

  const client = readText(body['client'], 'client', errors, false);
  const clientUrl = readText(body['client_url'], 'client_url', errors, false);
  const links = readLinks(body['links'], errors);
  const images = readImages(body['images'], errors);

  if (errors.length > 0 || action === undefined) return { ok: false, errors: capErrors(errors) };

  if (dedupKey === undefined) dedupKey = generateKey();
  if (client !== undefined) details['client'] = client;
  if (clientUrl !== undefined) details['client_url'] = clientUrl;
  if (images !== undefined) details['images'] = images;

  const alert: NormalisedAlert = {
    source: 'pagerduty',
    action,
    dedupKey,
    groupKey: dedupKey,
    fact: isTrigger ? `${action}:${now}:${generateKey()}` : action,
    severity: isPagerDutySeverity(severityName) ? severityFromPagerDuty(severityName) : DEFAULT_SEVERITY,
    summary: summary ?? '',
    labels,
    annotations: {},
    links,
    startsAt: timestamp ?? now,
  };
  if (Object.keys(details).length > 0) alert.details = details;
  return { ok: true, alerts: [alert], dedupKey };
};

/** A PagerDuty change event (deploys, config changes): context, never an alert. */
export interface ChangeEvent {
  summary: string;
  source: string | null;
  /** ISO-8601; `now` when the sender gave none. */
  timestamp: string;
  details: Record<string, unknown>;
  links: Link[];
}

export type ChangeEventResult = { ok: true; change: ChangeEvent } | { ok: false; errors: string[] };

/** Validates and reads a change event (POST /v2/change/enqueue). */
export const parseChangeEvent = (body: unknown, now: string): ChangeEventResult => {
  if (!isRecord(body)) return { ok: false, errors: [PAGERDUTY_INVALID_EVENT] };
  const errors: string[] = [];
  readRoutingKey(body, errors);

  const rawPayload = body['payload'];
  let payload: JsonObject = {};
  if (isRecord(rawPayload)) payload = rawPayload;
  else if (present(rawPayload)) errors.push(invalid('payload', 'must be an object'));

  const summary = readText(payload['summary'], 'payload.summary', errors, true, PAGERDUTY_MAX_SUMMARY_LENGTH);
  const source = readText(payload['source'], 'payload.source', errors, false);
  const timestamp = readTimestamp(payload['timestamp'], 'payload.timestamp', errors);
  const links = readLinks(body['links'], errors);

  if (errors.length > 0 || summary === undefined) return { ok: false, errors: capErrors(errors) };
  return {
    ok: true,
    change: {
      summary,
      source: source !== undefined && !isBlank(source) ? source : null,
      timestamp: timestamp ?? now,
      details: customDetails(payload['custom_details']),
      links,
    },
  };
};

/**
 * The change-event route as an adapter: validates and yields no alerts (use
 * {@link parseChangeEvent} to record the change itself).
 */
export const fromPagerDutyChangeEvent = (body: unknown, now: string): AdapterResult => {
  const result = parseChangeEvent(body, now);
  return result.ok ? { ok: true, alerts: [] } : result;
};
