import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { ConcurrencyError, PostgresEventStore, UpcasterChain, type NewEvent } from '#vigil/event-store';
import { testPool, uniqueStream } from '../support/database.js';

const events = (n: number, type = 'ThingHappened'): NewEvent[] =>
  Array.from({ length: n }, (_, i) => ({
    type,
    data: { i, note: `event ${i}` },
    metadata: { source: 'test' },
  }));

describe('PostgresEventStore', () => {
  let pool: pg.Pool;
  let store: PostgresEventStore;

  before(() => {
    pool = testPool();
    store = new PostgresEventStore(pool);
  });
  after(() => pool.end());

  it('appends a stream at consecutive versions and reads it back in order', async () => {
    const streamId = uniqueStream();
    const first = await store.append({ streamId, streamType: 'test', expectedVersion: 0, events: events(3) });
    const second = await store.append({
      streamId,
      streamType: 'test',
      expectedVersion: 3,
      events: events(2),
    });
    assert.equal(first.toVersion, 3);
    assert.equal(second.fromVersion, 3);
    assert.equal(second.toVersion, 5);
    const read = await store.readStream(streamId);
    assert.deepEqual(
      read.map((e) => e.streamVersion),
      [1, 2, 3, 4, 5],
    );
    assert.deepEqual(read[3]!.data, { i: 0, note: 'event 0' });
    assert.equal(read[1]!.prevHash, read[0]!.hash);
    assert.deepEqual(await store.verifyStream(streamId), { valid: true, events: 5, headHash: read[4]!.hash });
  });

  it('refuses a writer that is behind or ahead of the stream, and writes nothing', async () => {
    const streamId = uniqueStream();
    await store.append({ streamId, streamType: 'test', expectedVersion: 0, events: events(2) });
    await assert.rejects(
      store.append({ streamId, streamType: 'test', expectedVersion: 1, events: events(1) }),
      (e: unknown) => e instanceof ConcurrencyError && e.streamId === streamId && e.expectedVersion === 1,
    );
    await assert.rejects(
      store.append({ streamId, streamType: 'test', expectedVersion: 0, events: events(1) }),
      ConcurrencyError,
    );
    await assert.rejects(
      store.append({ streamId, streamType: 'test', expectedVersion: 5, events: events(1) }),
      ConcurrencyError,
    );
    assert.equal(await store.streamVersion(streamId), 2);
  });

  it('appends to many streams in one statement, all or nothing', async () => {
    const a = uniqueStream();
    const b = uniqueStream();
    const c = uniqueStream();
    await store.append({ streamId: c, streamType: 'test', expectedVersion: 0, events: events(1) });
    const results = await store.appendMany([
      { streamId: a, streamType: 'test', expectedVersion: 0, events: events(100) },
      { streamId: b, streamType: 'test', expectedVersion: 0, events: events(50) },
    ]);
    assert.deepEqual(
      results.map((r) => r.toVersion),
      [100, 50],
    );
    await assert.rejects(
      store.appendMany([
        { streamId: a, streamType: 'test', expectedVersion: 100, events: events(1) },
        { streamId: c, streamType: 'test', expectedVersion: 0, events: events(1) },
      ]),
      (e: unknown) => e instanceof ConcurrencyError && e.streamId === c,
    );
    assert.equal(await store.streamVersion(a), 100, 'the failed batch wrote nothing to a');
  });

  it('appends and commits in one round trip; a refused append commits nothing else either', async () => {
    const [target, other] = [uniqueStream(), uniqueStream()];
    await store.append({ streamId: target, streamType: 'test', expectedVersion: 0, events: events(1) });
    const begin = async () => {
      const tx = await pool.connect();
      await tx.query('BEGIN');
      await store.append({ streamId: other, streamType: 'test', expectedVersion: 0, events: events(1) }, tx);
      return tx;
    };

    // A head remembered wrongly (as after a rolled-back write): the predecessor check refuses it.
    store.rememberHead(target, 1, 'not-the-hash-of-event-1');
    const tx = await begin();
    try {
      await assert.rejects(
        store.appendManyAndCommit(
          [{ streamId: target, streamType: 'test', expectedVersion: 1, events: events(1) }],
          tx,
        ),
        ConcurrencyError,
      );
      await tx.query('ROLLBACK');
    } finally {
      tx.release();
    }
    assert.equal((await store.readStream(other)).length, 0, 'the rest of the transaction did not commit');
    assert.equal((await store.readStream(target)).length, 1);

    // The wrong head was forgotten: the same append now goes through, and commits both.
    const again = await begin();
    try {
      const [result] = await store.appendManyAndCommit(
        [{ streamId: target, streamType: 'test', expectedVersion: 1, events: events(2) }],
        again,
        { after: [`SELECT 1`] },
      );
      assert.equal(result!.toVersion, 3);
    } finally {
      again.release();
    }
    assert.equal((await store.readStream(other)).length, 1);
    assert.equal((await store.verifyStream(target)).valid, true);
  });

  it('is append-only: the database refuses UPDATE, DELETE and TRUNCATE on events', async () => {
    const streamId = uniqueStream();
    await store.append({ streamId, streamType: 'test', expectedVersion: 0, events: events(1) });
    await assert.rejects(
      pool.query(`UPDATE events SET data = '{}' WHERE stream_id = $1`, [streamId]),
      /append-only/,
    );
    await assert.rejects(pool.query(`DELETE FROM events WHERE stream_id = $1`, [streamId]), /append-only/);
    await assert.rejects(pool.query(`TRUNCATE events`), /append-only/);
    assert.equal((await store.readStream(streamId)).length, 1);
  });

  it('detects a stream whose stored content was changed behind its back', async () => {
    const streamId = uniqueStream();
    await store.append({ streamId, streamType: 'test', expectedVersion: 0, events: events(3) });
    const tx = await pool.connect();
    try {
      // Only a superuser can get past the trigger, and only inside this rolled-back transaction.
      await tx.query('BEGIN');
      await tx.query(`ALTER TABLE events DISABLE TRIGGER events_no_update_delete`);
      await tx.query(`UPDATE events SET data = '{"i": 99}' WHERE stream_id = $1 AND stream_version = 2`, [
        streamId,
      ]);
      const verdict = await store.verifyStream(streamId, tx);
      assert.equal(verdict.valid, false);
      assert.equal(!verdict.valid && verdict.brokenAtVersion, 2);
    } finally {
      await tx.query('ROLLBACK');
      tx.release();
    }
    assert.equal((await store.verifyStream(streamId)).valid, true);
  });

  it('upcasts old schema versions on read and leaves the stored row as it was', async () => {
    const upcasters = new UpcasterChain([
      { type: 'TemperatureRecorded', from: 1, up: (d: { f: number }) => ({ celsius: ((d.f - 32) * 5) / 9 }) },
    ]);
    const upcasting = new PostgresEventStore(pool, { upcasters });
    const streamId = uniqueStream();
    await upcasting.append({
      streamId,
      streamType: 'test',
      expectedVersion: 0,
      events: [
        { type: 'TemperatureRecorded', schemaVersion: 1, data: { f: 212 } },
        { type: 'TemperatureRecorded', data: { celsius: 20 } },
      ],
    });
    const read = await upcasting.readStream(streamId);
    assert.deepEqual(
      read.map((e) => [e.storedSchemaVersion, e.schemaVersion, e.data]),
      [
        [1, 2, { celsius: 100 }],
        [2, 2, { celsius: 20 }],
      ],
    );
    const { rows } = await pool.query(
      `SELECT data FROM events WHERE stream_id = $1 ORDER BY stream_version`,
      [streamId],
    );
    assert.deepEqual(rows[0].data, { f: 212 });
  });
});
