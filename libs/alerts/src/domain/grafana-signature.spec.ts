import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  checkGrafanaSignature,
  firstHeader,
  GRAFANA_SIGNATURE_HEADERS,
  GRAFANA_TIMESTAMP_HEADERS,
} from './grafana-signature.js';

const SECRET = 'test-hmac-secret';
const BODY = Buffer.from('{"receiver":"vigil","status":"firing"}');
// Computed outside Node, so the check is not tested against itself:
//   printf '%s' "$BODY" | openssl dgst -sha256 -hmac test-hmac-secret
//   printf '%s' "1767225600:$BODY" | openssl dgst -sha256 -hmac test-hmac-secret
const BODY_SIGNATURE = '89bed1a141da11e57b5d7d844f3aed70a3a82ab36af23530b122ac017c011994';
const TIMESTAMP = '1767225600'; // 2026-01-01T00:00:00Z
const TIMESTAMPED_SIGNATURE = '95eeda36e017408f560bcddfea514ccfc82004f697540f13aa99221a2a9962a5';
const NOW = new Date('2026-01-01T00:00:00Z');

const check = (over: Partial<Parameters<typeof checkGrafanaSignature>[0]>) =>
  checkGrafanaSignature({
    secret: SECRET,
    body: BODY,
    signature: BODY_SIGNATURE,
    timestamp: undefined,
    now: NOW,
    ...over,
  });

describe('checkGrafanaSignature', () => {
  it('accepts the HMAC-SHA256 of the body', () => assert.deepEqual(check({}), { ok: true }));

  it('accepts upper-case hex', () =>
    assert.deepEqual(check({ signature: BODY_SIGNATURE.toUpperCase() }), { ok: true }));

  it('accepts the HMAC of "timestamp:body" with a timestamp', () =>
    assert.deepEqual(check({ signature: TIMESTAMPED_SIGNATURE, timestamp: TIMESTAMP }), { ok: true }));

  it('accepts a timestamp up to five minutes either side of now', () => {
    for (const offset of [-300_000, 300_000])
      assert.deepEqual(
        check({
          signature: TIMESTAMPED_SIGNATURE,
          timestamp: TIMESTAMP,
          now: new Date(NOW.getTime() + offset),
        }),
        { ok: true },
      );
  });

  const refusals: Array<[string, Partial<Parameters<typeof checkGrafanaSignature>[0]>, RegExp]> = [
    ['no signature', { signature: undefined }, /missing/],
    ['an empty signature', { signature: '' }, /missing/],
    ['a signature that is not hex', { signature: 'z'.repeat(64) }, /not a hex/],
    ['a truncated signature', { signature: BODY_SIGNATURE.slice(0, 62) }, /not a hex/],
    ['a sha256= prefix', { signature: `sha256=${BODY_SIGNATURE}` }, /not a hex/],
    ['another secret', { secret: 'other-secret' }, /does not match/],
    ['a changed body', { body: Buffer.from('{"receiver":"vigil","status":"resolved"}') }, /does not match/],
    ['a body signature sent with a timestamp', { timestamp: TIMESTAMP }, /does not match/],
    [
      'a timestamped signature sent without its timestamp',
      { signature: TIMESTAMPED_SIGNATURE },
      /does not match/,
    ],
    [
      'a timestamp over five minutes old',
      { signature: TIMESTAMPED_SIGNATURE, timestamp: TIMESTAMP, now: new Date(NOW.getTime() + 300_001) },
      /5 minutes/,
    ],
    [
      'a timestamp over five minutes ahead',
      { signature: TIMESTAMPED_SIGNATURE, timestamp: TIMESTAMP, now: new Date(NOW.getTime() - 300_001) },
      /5 minutes/,
    ],
    [
      'a timestamp in milliseconds',
      { signature: TIMESTAMPED_SIGNATURE, timestamp: '1767225600000' },
      /Unix seconds/,
    ],
    ['a timestamp that is not a number', { timestamp: '2026-01-01T00:00:00Z' }, /Unix seconds/],
    ['an empty timestamp', { timestamp: '' }, /Unix seconds/],
  ];
  for (const [name, over, reason] of refusals)
    it(`refuses ${name}`, () => {
      const result = check(over);
      assert.equal(result.ok, false);
      assert.match(result.ok ? '' : result.reason, reason);
    });
});

describe('firstHeader', () => {
  it("reads Grafana's documented header name, then the one in its code", () => {
    assert.equal(
      firstHeader(
        { 'x-grafana-alert-signature': 'b', 'x-grafana-alerting-signature': 'a' },
        GRAFANA_SIGNATURE_HEADERS,
      ),
      'a',
    );
    assert.equal(firstHeader({ 'x-grafana-alert-signature': 'b' }, GRAFANA_SIGNATURE_HEADERS), 'b');
    assert.equal(firstHeader({}, GRAFANA_SIGNATURE_HEADERS), undefined);
    assert.equal(firstHeader({ 'x-grafana-alerting-timestamp': ' 12 ' }, GRAFANA_TIMESTAMP_HEADERS), '12');
  });

  it('turns a repeated header into an empty, invalid value', () =>
    assert.equal(firstHeader({ 'x-grafana-alerting-signature': ['a', 'b'] }, GRAFANA_SIGNATURE_HEADERS), ''));
});
