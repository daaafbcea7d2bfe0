import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecentMap } from './recent-map.js';

describe('RecentMap', () => {
  it('holds at most its capacity, and keeps every entry written within the last half of it', () => {
    const map = new RecentMap<number>(100);
    for (let i = 0; i < 1000; i++) {
      map.set(`k${i}`, i);
      assert.ok(map.size <= 100, `size ${map.size} after ${i + 1} writes`);
    }
    for (let i = 950; i < 1000; i++) assert.equal(map.get(`k${i}`), i);
    assert.equal(map.get('k0'), undefined);
  });

  it('keeps an entry that is read, however many others come and go', () => {
    const map = new RecentMap<string>(10);
    map.set('hot', 'kept');
    for (let i = 0; i < 100; i++) {
      map.set(`cold${i}`, 'x');
      assert.equal(map.get('hot'), 'kept', `after ${i + 1} others`);
    }
    assert.equal(map.get('cold0'), undefined);
  });

  it('peek does not keep an entry longer; set replaces; delete removes from both generations', () => {
    const map = new RecentMap<number>(4);
    map.set('a', 1);
    map.set('b', 2); // the young generation is full: a and b become old
    map.set('a', 3);
    assert.equal(map.peek('a'), 3);
    assert.equal(map.size, 2, 'a is held once');
    map.set('c', 4); // a and c become old; b is dropped
    assert.equal(map.peek('b'), undefined);
    map.peek('c');
    map.set('d', 5);
    map.set('e', 6); // c was only peeked at: dropped with a
    assert.equal(map.get('c'), undefined);
    map.delete('e');
    assert.equal(map.get('e'), undefined);
    assert.equal(map.get('d'), 5);
  });
});
