import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far Slack's request timestamp may be from now, either way (Slack's own rule is 5 minutes back). */
export const SLACK_SIGNATURE_MAX_SKEW_SECONDS = 5 * 60;

export type SlackSignatureCheck =
  { ok: true; timestamp: number } | { ok: false; reason: SlackSignatureFailure; detail: string };

export type SlackSignatureFailure = 'missing' | 'malformed' | 'stale' | 'future' | 'mismatch';

const V0_SIGNATURE = /^v0=[0-9a-f]{64}$/;
const UNIX_SECONDS = /^\d{1,12}$/;

/**
 * Checks Slack's v0 request signature: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}` with
 * the signing secret, compared in constant time. Unlike Bolt's check, a timestamp more than five
 * minutes *ahead* is refused as well as one more than five minutes old, so a request cannot be
 * signed for later use. (Replays inside the window are the replay cache's business.)
 */
export const checkSlackSignature = (input: {
  signingSecret: string;
  rawBody: Uint8Array;
  signature: string | undefined;
  timestamp: string | undefined;
  now: Date;
}): SlackSignatureCheck => {
  const { signingSecret, rawBody, signature, timestamp, now } = input;
  if (!signature || !timestamp) {
    return {
      ok: false,
      reason: 'missing',
      detail: 'X-Slack-Signature and X-Slack-Request-Timestamp are required',
    };
  }
  if (!UNIX_SECONDS.test(timestamp)) {
    return { ok: false, reason: 'malformed', detail: 'X-Slack-Request-Timestamp is not Unix seconds' };
  }
  if (!V0_SIGNATURE.test(signature)) {
    return { ok: false, reason: 'malformed', detail: 'X-Slack-Signature is not a v0 HMAC-SHA256' };
  }
  const ts = Number(timestamp);
  const skew = Math.floor(now.getTime() / 1000) - ts;
  if (skew > SLACK_SIGNATURE_MAX_SKEW_SECONDS) {
    return { ok: false, reason: 'stale', detail: 'the request timestamp is more than 5 minutes old' };
  }
  if (skew < -SLACK_SIGNATURE_MAX_SKEW_SECONDS) {
    return { ok: false, reason: 'future', detail: 'the request timestamp is more than 5 minutes ahead' };
  }
  const expected = createHmac('sha256', signingSecret).update(`v0:${timestamp}:`).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(signature.slice(3), 'hex'))
    ? { ok: true, timestamp: ts }
    : { ok: false, reason: 'mismatch', detail: 'the signature does not match the body' };
};

/** Signs a body as Slack does (tests, and the fake Slack). */
export const signSlackBody = (signingSecret: string, rawBody: string | Uint8Array, timestamp: number) => ({
  'x-slack-request-timestamp': String(timestamp),
  'x-slack-signature': `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:`).update(rawBody).digest('hex')}`,
});
