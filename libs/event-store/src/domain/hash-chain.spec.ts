import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, chainHash, GENESIS_HASH, verifyChain, type HashedContent } from './hash-chain.js';

const content = (streamVersion: number, data: unknown): HashedContent => ({
  eventId: `00000000-0000-4000-8000-00000000000${streamVersion}`,
  streamId: 'incident-1',
  streamType: 'incident',
  streamVersion,
  type: 'Thing',
  schemaVersion: 1,
  data,
  metadata: { source: 'api', actor: { kind: 'user', id: 'u' } },
  occurredAt: '2026-01-01T00:00:00.000Z',
});

const chain = (datas: unknown[]) => {
  let prev = GENESIS_HASH;
  return datas.map((d, i) => {
    const c = content(i + 1, d);
    const hash = chainHash(prev, c);
    const row = { ...c, prevHash: prev, hash };
    prev = hash;
    return row;
  });
};

describe('canonical JSON', () => {
  it('sorts keys at every depth and drops undefined members, as RFC 8785 does', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [3, { z: 1, y: undefined }], c: 'x' } }),
      '{"a":{"c":"x","d":[3,{"z":1}]},"b":1}',
    );
    assert.equal(canonicalJson([undefined, null, 1e21, -0]), '[null,null,1e+21,0]');
    assert.equal(canonicalJson({ '\u00e9': 1, e: 2, E: 3 }), '{"E":3,"e":2,"\u00e9":1}');
  });

  it('orders keys in any starting order as a full sort by UTF-16 code units would', () => {
    const keys = ['b', 'a', 'B', '10', '9', '\u00e9', 'e', '\ud83d\ude00', '\uffff', 'ab', 'a', 'aa', ''];
    for (let seed = 1; seed <= 200; seed++) {
      // A different order each time (a small linear congruential shuffle, so failures repeat).
      let state = seed;
      const shuffled = [...new Set(keys)].sort(() => {
        state = (state * 1103515245 + 12345) % 2 ** 31;
        return (state % 3) - 1;
      });
      const value = Object.fromEntries(shuffled.map((k, i) => [k, i]));
      const expected = `{${Object.keys(value)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${value[k]}`)
        .join(',')}}`;
      assert.equal(canonicalJson(value), expected, `order ${JSON.stringify(Object.keys(value))}`);
    }
  });

  it('writes keys that need escaping escaped, the same the first time and every time after', () => {
    const value = { 'a"b': 1, 'tab\there': [{ 'a"b': true }], plain: 'x' };
    const expected = '{"a\\"b":1,"plain":"x","tab\\there":[{"a\\"b":true}]}';
    assert.equal(canonicalJson(value), expected);
    assert.equal(canonicalJson(value), expected);
    assert.equal(canonicalJson({ 'a"b': 1, plain: 'x' }), '{"a\\"b":1,"plain":"x"}', 'keys already in order');
  });

  it('matches the canonical form of the whole envelope, so a key order change in jsonb cannot break a hash', () => {
    const c = content(1, { b: 2, a: 1 });
    const reordered = {
      ...c,
      data: { a: 1, b: 2 },
      metadata: { actor: { id: 'u', kind: 'user' }, source: 'api' },
    };
    assert.equal(chainHash(GENESIS_HASH, c), chainHash(GENESIS_HASH, reordered));
  });
});

describe('hash chain', () => {
  it('verifies an intact stream', () => {
    const rows = chain([{ n: 1 }, { n: 2 }, { n: 3 }]);
    assert.deepEqual(verifyChain(rows), { valid: true, events: 3, headHash: rows[2]!.hash });
  });

  it('finds edited content, a broken link, and a missing version', () => {
    const edited = chain([{ n: 1 }, { n: 2 }, { n: 3 }]);
    edited[1] = { ...edited[1]!, data: { n: 20 } };
    assert.deepEqual(verifyChain(edited), {
      valid: false,
      events: 3,
      brokenAtVersion: 2,
      reason: 'content does not match its hash',
    });

    const relinked = chain([{ n: 1 }, { n: 2 }]);
    relinked[1] = { ...relinked[1]!, prevHash: GENESIS_HASH };
    assert.equal(verifyChain(relinked).valid, false);

    const gap = chain([{ n: 1 }, { n: 2 }, { n: 3 }]);
    gap.splice(1, 1);
    assert.deepEqual(verifyChain(gap), {
      valid: false,
      events: 2,
      brokenAtVersion: 2,
      reason: 'version missing',
    });
  });
});
