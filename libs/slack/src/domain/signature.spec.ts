import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSlackSignature, signSlackBody } from './signature.js';

// Slack's own worked example ("Verifying requests from Slack"), checked with
//   printf '%s' "v0:1531420618:$BODY" | openssl dgst -sha256 -hmac 8f742231b10e8888abcd99yyyzzz85a5
const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const TIMESTAMP = '1531420618';
const SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
const AT = new Date(1531420618 * 1000);

const check = (over: Partial<Parameters<typeof checkSlackSignature>[0]> = {}) =>
  checkSlackSignature({
    signingSecret: SECRET,
    rawBody: Buffer.from(BODY),
    signature: SIGNATURE,
    timestamp: TIMESTAMP,
    now: AT,
    ...over,
  });

const reason = (r: ReturnType<typeof check>) => (r.ok ? 'ok' : r.reason);

describe('checkSlackSignature', () => {
  it("accepts Slack's documented example", () =>
    assert.deepEqual(check(), { ok: true, timestamp: 1531420618 }));

  it('accepts a timestamp up to five minutes either side of now', () => {
    assert.equal(reason(check({ now: new Date(AT.getTime() + 300_000) })), 'ok');
    assert.equal(reason(check({ now: new Date(AT.getTime() - 300_000) })), 'ok');
  });

  it('refuses a timestamp more than five minutes old', () =>
    assert.equal(reason(check({ now: new Date(AT.getTime() + 301_000) })), 'stale'));

  it('refuses a timestamp more than five minutes ahead (Bolt would accept it)', () =>
    assert.equal(reason(check({ now: new Date(AT.getTime() - 301_000) })), 'future'));

  it('refuses a forged signature, a changed body, a changed timestamp and the wrong secret', () => {
    assert.equal(reason(check({ signature: `v0=${'0'.repeat(64)}` })), 'mismatch');
    assert.equal(reason(check({ rawBody: Buffer.from(BODY.replace('roadrunner', 'coyote')) })), 'mismatch');
    assert.equal(reason(check({ rawBody: Buffer.from(`${BODY} `) })), 'mismatch');
    assert.equal(reason(check({ timestamp: '1531420619' })), 'mismatch');
    assert.equal(reason(check({ signingSecret: 'another-secret' })), 'mismatch');
  });

  it('refuses missing headers, another version prefix and malformed values', () => {
    assert.equal(reason(check({ signature: undefined })), 'missing');
    assert.equal(reason(check({ timestamp: undefined })), 'missing');
    assert.equal(reason(check({ signature: '' })), 'missing');
    assert.equal(reason(check({ signature: SIGNATURE.replace('v0=', 'v1=') })), 'malformed');
    assert.equal(reason(check({ signature: SIGNATURE.slice(3) })), 'malformed');
    assert.equal(reason(check({ signature: SIGNATURE.toUpperCase() })), 'malformed');
    assert.equal(reason(check({ signature: `${SIGNATURE}00` })), 'malformed');
    assert.equal(reason(check({ timestamp: '1531420618.5' })), 'malformed');
    assert.equal(reason(check({ timestamp: '-1' })), 'malformed');
  });

  it('signs as it checks', () => {
    const headers = signSlackBody(SECRET, BODY, 1531420618);
    assert.equal(headers['x-slack-signature'], SIGNATURE);
    assert.equal(headers['x-slack-request-timestamp'], TIMESTAMP);
  });
});
