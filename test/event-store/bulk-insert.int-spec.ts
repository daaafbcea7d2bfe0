import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { insertNewRows, withTransaction } from '#vigil/event-store';
import { testPool } from '../support/database.js';

describe('insertNewRows', () => {
  let pool: pg.Pool;
  const table = `bulk_${process.pid}`;
  before(async () => {
    pool = testPool(2);
    await pool.query(`CREATE TABLE ${table} (id int PRIMARY KEY, label text, doc jsonb, at timestamptz)`);
  });
  after(async () => {
    await pool.query(`DROP TABLE ${table}`);
    await pool.end();
  });

  it('stores text with tabs, newlines, backslashes and quotes, JSON and nulls exactly', async () => {
    const awkward = 'a\tb\nc\\d\re "q" \\N é 😀';
    const doc = { path: 'C:\\temp', list: [1, 'two\tthree'], nested: { nl: 'x\ny' } };
    await withTransaction(pool, (tx) =>
      insertNewRows(
        tx,
        table,
        ['id', 'label', 'doc', 'at'],
        [
          [1, awkward, doc, '2026-01-01T00:00:00.000Z'],
          [2, null, null, null],
          [3, '\\N', { n: null }, '2026-01-02T03:04:05.678Z'],
        ],
      ),
    );
    const { rows } = await pool.query(`SELECT id, label, doc, at FROM ${table} ORDER BY id`);
    assert.deepEqual(rows, [
      { id: 1, label: awkward, doc, at: new Date('2026-01-01T00:00:00.000Z') },
      { id: 2, label: null, doc: null, at: null },
      { id: 3, label: '\\N', doc: { n: null }, at: new Date('2026-01-02T03:04:05.678Z') },
    ]);
  });

  it('inserting rows that already exist changes nothing and adds the new ones', async () => {
    await withTransaction(pool, (tx) =>
      insertNewRows(
        tx,
        table,
        ['id', 'label'],
        [
          [1, 'changed?'],
          [4, 'new'],
        ],
      ),
    );
    const { rows } = await pool.query(`SELECT id, label FROM ${table} WHERE id IN (1, 4) ORDER BY id`);
    assert.equal(rows[0].label, 'a\tb\nc\\d\re "q" \\N é 😀');
    assert.equal(rows[1].label, 'new');
  });

  it('takes many rows by COPY with the same escaping, and skips existing ones there too', async () => {
    const awkward = 'tab\there\nnewline \\ backslash \\N';
    const many = (from: number, label: string) =>
      Array.from({ length: 250 }, (_, i) => [from + i, `${label} ${i} ${awkward}`, { i, s: awkward }]);
    await withTransaction(pool, (tx) =>
      insertNewRows(tx, table, ['id', 'label', 'doc'], many(1000, 'first')),
    );
    // Overlaps the first 250 by half: COPY fails on the duplicates and the rows go in one INSERT.
    await withTransaction(pool, (tx) =>
      insertNewRows(tx, table, ['id', 'label', 'doc'], many(1125, 'second')),
    );
    const { rows } = await pool.query(`SELECT id, label, doc FROM ${table} WHERE id >= 1000 ORDER BY id`);
    assert.equal(rows.length, 375);
    assert.deepEqual(rows[0], { id: 1000, label: `first 0 ${awkward}`, doc: { i: 0, s: awkward } });
    assert.equal(rows[125].label, `first 125 ${awkward}`);
    assert.equal(rows[374].label, `second 249 ${awkward}`);
  });
});
