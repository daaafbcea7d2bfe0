import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nestsDeeperThan } from './json-depth.js';

describe('nestsDeeperThan', () => {
  const nested = (depth: number, wrap: (v: unknown) => unknown): unknown => {
    let value: unknown = 'leaf';
    for (let i = 0; i < depth; i++) value = wrap(value);
    return value;
  };

  it('counts objects and arrays alike, scalars not at all', () => {
    for (const wrap of [(v: unknown) => ({ v }), (v: unknown) => [v]]) {
      assert.equal(nestsDeeperThan(nested(3, wrap), 3), false);
      assert.equal(nestsDeeperThan(nested(4, wrap), 3), true);
    }
    for (const scalar of [null, 1, 'x', true]) assert.equal(nestsDeeperThan(scalar, 0), false);
    assert.equal(nestsDeeperThan({}, 0), true);
  });

  it('finds the deep branch among shallow ones', () => {
    const value = { a: 1, b: [1, 2, { c: 3 }], d: { e: { f: { g: [] } } } };
    assert.equal(nestsDeeperThan(value, 5), false);
    assert.equal(nestsDeeperThan(value, 4), true);
  });

  it('walks a body 100,000 deep without recursion', () => {
    assert.equal(nestsDeeperThan(JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), 64), true);
  });
});
