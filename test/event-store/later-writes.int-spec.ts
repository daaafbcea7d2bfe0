import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { PostgresEventStore, RoundWrites, SubscriptionRunner, type Projection } from '#vigil/event-store';
import { testPool } from '../support/database.js';

describe('writes left to the end of a subscription round', () => {
  let pool: pg.Pool;
  let store: PostgresEventStore;
  const table = `later_${process.pid}`;

  before(async () => {
    pool = testPool(4);
    store = new PostgresEventStore(pool);
    await pool.query(
      `CREATE TABLE ${table} (k text, doc jsonb, ids uuid[], labels text[], n int, flag boolean)`,
    );
  });
  after(async () => {
    await pool.query(`DROP TABLE ${table}`);
    await pool.end();
  });

  it('carry any text, JSON, arrays, numbers, booleans and nulls exactly into the statement', async () => {
    const awkward = `it's a "quote", a back\\slash, a $1, a tab\tand a\nnewline; DROP TABLE x; --`;
    const writes = new RoundWrites();
    const ids = [randomUUID(), randomUUID()];
    writes.add(`INSERT INTO ${table} VALUES ($1, $2::jsonb, $3::uuid[], $4::text[], $5, $6)`, [
      awkward,
      JSON.stringify({ summary: awkward, nested: [awkward, null] }),
      ids,
      [awkward, '{braces}', 'NULL', null],
      42,
      true,
    ]);
    writes.add(`INSERT INTO ${table} (k, n, flag) VALUES ($1, $2, $3)`, ['nulls', null, false]);
    await pool.query(`BEGIN;\n${writes.sql()}COMMIT`);
    const { rows } = await pool.query(`SELECT * FROM ${table} ORDER BY k = 'nulls'`);
    assert.deepEqual(rows, [
      {
        k: awkward,
        doc: { summary: awkward, nested: [awkward, null] },
        ids,
        labels: [awkward, '{braces}', 'NULL', null],
        n: 42,
        flag: true,
      },
      { k: 'nulls', doc: null, ids: null, labels: null, n: null, flag: false },
    ]);
    assert.throws(() => writes.add('SELECT $2', ['only one']), /refers to \$2/);
  });

  it('are handed to live rounds of a few events, not to a catch-up of many', async () => {
    const prefix = `later-big-${randomUUID()}`;
    const handed: boolean[] = [];
    const projection: Projection = {
      name: `handed-${prefix}`,
      apply: async (_tx, events, later) => {
        if (events.some((e) => e.streamId.startsWith(prefix))) handed.push(later !== undefined);
      },
      reset: async () => undefined,
    };
    const runner = new SubscriptionRunner(pool, store, [projection]);
    await runner.catchUpAll();
    const append = (n: number) =>
      store.append({
        streamId: `${prefix}-${n}`,
        streamType: 'test',
        expectedVersion: 0,
        events: Array.from({ length: n }, () => ({ type: 'E', data: {} })),
      });
    await append(3);
    await runner.catchUpAll();
    await append(600);
    await runner.catchUpAll();
    assert.deepEqual(handed, [true, false]);
  });

  it('commit with the checkpoint; one that fails rolls its round back and sets its projection apart', async () => {
    const prefix = `later-${randomUUID()}`;
    const written = (name: string, fails: () => boolean): Projection => ({
      name,
      apply: async (_tx, events, later) => {
        const mine = events.filter((e) => e.streamId.startsWith(prefix));
        if (mine.length === 0) return;
        assert.ok(later, 'a round hands its later writes');
        // A failing write fails at the commit, not here: the cast is checked by the database.
        later.add(`INSERT INTO ${table} (k, n) SELECT $1, $2::int FROM generate_series(1, $3)`, [
          name,
          fails() ? 'not a number' : 1,
          mine.length,
        ]);
      },
      reset: async () => undefined,
    });
    let broken = true;
    const good = written(`good-${prefix}`, () => false);
    const bad = written(`bad-${prefix}`, () => broken);
    const failed: string[] = [];
    const runner = new SubscriptionRunner(pool, store, [good, bad], {
      idlePollMs: 20,
      onError: (name) => failed.push(name),
    });
    const count = async (p: Projection) =>
      Number((await pool.query(`SELECT count(*) FROM ${table} WHERE k = $1`, [p.name])).rows[0].count);
    await runner.catchUpAll();
    const before = await runner.checkpoint(bad.name);
    await store.append({
      streamId: `${prefix}-a`,
      streamType: 'test',
      expectedVersion: 0,
      events: [{ type: 'A', data: {} }],
    });
    await runner.start();
    try {
      const waitFor = async (check: () => Promise<boolean>) => {
        for (let i = 0; i < 250 && !(await check()); i++) await new Promise((r) => setTimeout(r, 20));
        assert.ok(await check());
      };
      await waitFor(async () => (await count(good)) === 1 && failed.includes(bad.name));
      assert.equal(await count(bad), 0, 'the failed round wrote nothing');
      assert.deepEqual(await runner.checkpoint(bad.name), before, 'nor moved its checkpoint');
      broken = false;
      await waitFor(async () => (await count(bad)) === 1);
      assert.equal(await count(good), 1, 'applied once');
      assert.deepEqual(await runner.checkpoint(bad.name), await runner.checkpoint(good.name));
    } finally {
      await runner.stop();
    }
  });
});
