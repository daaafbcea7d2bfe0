import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { afterFailure, classifyPlatformError, DEFAULT_RETRY_POLICY } from './retry.js';

describe('afterFailure', () => {
  it('waits exactly as long as Retry-After says', () =>
    assert.deepEqual(afterFailure({ kind: 'rate-limited', retryAfterSeconds: 7 }, 1), {
      retry: true,
      delayMs: 7000,
    }));

  it('backs off exponentially from the base, up to the cap', () => {
    const delays = [1, 2, 3, 4, 12].map((n) => afterFailure({ kind: 'transient', detail: '500' }, n));
    assert.deepEqual(delays, [
      { retry: true, delayMs: 1000 },
      { retry: true, delayMs: 2000 },
      { retry: true, delayMs: 4000 },
      { retry: true, delayMs: 8000 },
      { retry: true, delayMs: 300_000 },
    ]);
  });

  it('gives up on a rejection at once, and on anything after the last attempt', () => {
    assert.deepEqual(afterFailure({ kind: 'rejected', detail: 'channel_not_found' }, 1), {
      retry: false,
      reason: 'channel_not_found',
    });
    const last = afterFailure({ kind: 'transient', detail: 'HTTP 503' }, DEFAULT_RETRY_POLICY.maxAttempts);
    assert.equal(last.retry, false);
  });

  it("tells Slack's temporary errors from permanent ones", () => {
    assert.equal(classifyPlatformError('internal_error').kind, 'transient');
    assert.equal(classifyPlatformError('ratelimited').kind, 'rate-limited');
    assert.equal(classifyPlatformError('not_in_channel').kind, 'rejected');
  });
});
