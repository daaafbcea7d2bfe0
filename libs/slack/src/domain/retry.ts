/** How a Slack Web API call ended, as the outbox dispatcher sees it. */
export type CallOutcome =
  | { kind: 'ok' }
  /** HTTP 429 (or `ok: false, error: ratelimited`): Slack says when to come back. */
  | { kind: 'rate-limited'; retryAfterSeconds: number }
  /** 5xx, a timeout or a network failure: worth trying again later. */
  | { kind: 'transient'; detail: string }
  /** Slack refused the call itself (`channel_not_found`, `invalid_auth`, …): retrying cannot help. */
  | { kind: 'rejected'; detail: string };

export type FailedCall = Exclude<CallOutcome, { kind: 'ok' }>;

export interface RetryPolicy {
  /** The first backoff after a transient failure; it doubles each attempt. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Attempts (rate-limited ones included) before a row is given up as failed. */
  maxAttempts: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseDelayMs: 1000,
  maxDelayMs: 5 * 60_000,
  maxAttempts: 15,
};

/** Slack's `ok: false` errors that say "later", not "never". */
const TRANSIENT_PLATFORM_ERRORS = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'team_not_found_in_cache',
]);

export const classifyPlatformError = (error: string): FailedCall =>
  error === 'ratelimited'
    ? { kind: 'rate-limited', retryAfterSeconds: 1 }
    : TRANSIENT_PLATFORM_ERRORS.has(error)
      ? { kind: 'transient', detail: error }
      : { kind: 'rejected', detail: error };

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: string };

/**
 * What to do after a failed attempt (`attempts` counts it). A 429 waits exactly as long as
 * Retry-After says; other transient failures back off exponentially (1 s, 2 s, 4 s … capped);
 * rejections and exhausted attempts give up.
 */
export const afterFailure = (
  outcome: FailedCall,
  attempts: number,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
): RetryDecision => {
  if (outcome.kind === 'rejected') return { retry: false, reason: outcome.detail };
  if (attempts >= policy.maxAttempts) {
    return { retry: false, reason: `gave up after ${attempts} attempts (last: ${describeOutcome(outcome)})` };
  }
  if (outcome.kind === 'rate-limited') {
    return { retry: true, delayMs: Math.max(1, outcome.retryAfterSeconds) * 1000 };
  }
  const delay = policy.baseDelayMs * 2 ** Math.max(0, attempts - 1);
  return { retry: true, delayMs: Math.min(delay, policy.maxDelayMs) };
};

export const describeOutcome = (outcome: CallOutcome): string => {
  switch (outcome.kind) {
    case 'ok':
      return 'ok';
    case 'rate-limited':
      return `rate limited, retry after ${outcome.retryAfterSeconds} s`;
    case 'transient':
    case 'rejected':
      return outcome.detail;
  }
};
