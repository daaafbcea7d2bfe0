import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Grafana's webhook contact point signs a request, when given an HMAC secret,
 * with the hex HMAC-SHA256 of the raw body, or of `timestamp + ":" + body` when
 * a timestamp header is configured (Unix seconds). Both header names are
 * configurable in Grafana: the signature header defaults to
 * `X-Grafana-Alerting-Signature` in its documentation and to
 * `X-Grafana-Alert-Signature` in its code, and the timestamp header has no
 * default. Vigil reads the names below, first found wins.
 */
export const GRAFANA_SIGNATURE_HEADERS = [
  'x-grafana-alerting-signature',
  'x-grafana-alert-signature',
] as const;
export const GRAFANA_TIMESTAMP_HEADERS = [
  'x-grafana-alerting-signature-timestamp',
  'x-grafana-alerting-timestamp',
] as const;

/** How far a signed timestamp may be from now, either way. */
export const GRAFANA_SIGNATURE_MAX_SKEW_MS = 5 * 60 * 1000;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;
const UNIX_SECONDS = /^\d{1,12}$/;

/**
 * Checks a Grafana webhook signature over the raw body bytes, in constant time.
 * Without a timestamp nothing stops a replay of a captured request; with one,
 * a request more than five minutes old (or ahead) is refused.
 */
export const checkGrafanaSignature = (input: {
  secret: string;
  body: Uint8Array;
  signature: string | undefined;
  timestamp: string | undefined;
  now: Date;
}): SignatureCheck => {
  const { secret, body, signature, timestamp, now } = input;
  if (signature === undefined || signature === '')
    return { ok: false, reason: 'the signature header is missing' };
  if (!HEX_SHA256.test(signature)) return { ok: false, reason: 'the signature is not a hex HMAC-SHA256' };
  const hmac = createHmac('sha256', secret);
  if (timestamp !== undefined) {
    if (!UNIX_SECONDS.test(timestamp)) return { ok: false, reason: 'the timestamp is not Unix seconds' };
    if (Math.abs(now.getTime() - Number(timestamp) * 1000) > GRAFANA_SIGNATURE_MAX_SKEW_MS)
      return { ok: false, reason: 'the timestamp is more than 5 minutes from now' };
    hmac.update(`${timestamp}:`);
  }
  const expected = hmac.update(body).digest();
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'))
    ? { ok: true }
    : { ok: false, reason: 'the signature does not match' };
};

/** The first of `names` present as a single header value; a repeated header counts as invalid (''). */
export const firstHeader = (
  headers: Record<string, string | string[] | undefined>,
  names: readonly string[],
): string | undefined => {
  for (const name of names) {
    const value = headers[name];
    if (value === undefined) continue;
    return typeof value === 'string' ? value.trim() : '';
  }
  return undefined;
};
