import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import {
  ConcurrencyError,
  PostgresEventStore,
  SubscriptionRunner,
  type Projection,
  type RecordedEvent,
} from '#vigil/event-store';
import { testPool } from '../support/database.js';
import { waitFor } from '../support/wait-for.js';

/** A projection that remembers, in order, the events of the streams under `prefix`. */
const collector = (prefix: string) => {
  const seen: RecordedEvent[] = [];
  const projection: Projection = {
    name: `collector-${randomUUID()}`,
    apply: async (_tx, events) => {
      seen.push(...events.filter((e) => e.streamId.startsWith(prefix)));
    },
    reset: async () => {
      seen.length = 0;
    },
  };
  return { projection, seen };
};

/** A pool of two connections that counts the statements sent through it. */
const countingPool = () => {
  const pool = testPool(2);
  const statements = { sent: 0 };
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
      statements.sent++;
      return query(...args);
    };
  });
  return { pool, statements };
};

describe('subscriptions', () => {
  let pool: pg.Pool;
  let store: PostgresEventStore;

  before(() => {
    pool = testPool(20);
    store = new PostgresEventStore(pool);
  });
  after(() => pool.end());

  it('never passes an event that commits late with a lower position', async () => {
    const prefix = `late-${randomUUID()}`;
    const { projection, seen } = collector(prefix);
    const runner = new SubscriptionRunner(pool, store, [projection]);
    await runner.catchUp(projection);

    const slow = await pool.connect();
    try {
      await slow.query('BEGIN');
      // The slow writer takes the lower global position but has not committed yet.
      await store.append(
        {
          streamId: `${prefix}-a`,
          streamType: 'test',
          expectedVersion: 0,
          events: [{ type: 'A', data: {} }],
        },
        slow,
      );
      await store.append({
        streamId: `${prefix}-b`,
        streamType: 'test',
        expectedVersion: 0,
        events: [{ type: 'B', data: {} }],
      });
      await runner.catchUp(projection);
      assert.deepEqual(
        seen.map((e) => e.type),
        [],
        'B must wait while the older transaction is open',
      );
      await slow.query('COMMIT');
    } finally {
      slow.release();
    }
    await runner.catchUp(projection);
    assert.deepEqual(
      seen.map((e) => e.type),
      ['A', 'B'],
    );
    assert.ok(BigInt(seen[0]!.position.globalPosition) < BigInt(seen[1]!.position.globalPosition));
  });

  it('8 concurrent writers × 1,000 events: none lost, none duplicated, one order for every subscriber', async () => {
    const prefix = `mix-${randomUUID()}`;
    const streams = Array.from({ length: 24 }, (_, i) => `${prefix}-${i}`);
    const subscribers = [collector(prefix), collector(prefix), collector(prefix)];
    const runner = new SubscriptionRunner(
      pool,
      store,
      subscribers.map((s) => s.projection),
      { batchSize: 250, idlePollMs: 5 },
    );
    await runner.start();

    let conflicts = 0;
    const writer = async (w: number) => {
      // Each writer appends 1,000 events, one or a few at a time, to streams shared with the others.
      let written = 0;
      let n = 0;
      while (written < 1000) {
        const streamId = streams[(w * 7 + n++) % streams.length]!;
        const count = Math.min(1 + (n % 3), 1000 - written);
        const expectedVersion = await store.streamVersion(streamId);
        try {
          await store.append({
            streamId,
            streamType: 'test',
            expectedVersion,
            events: Array.from({ length: count }, (_, i) => ({
              type: 'Wrote',
              data: { w, seq: written + i },
            })),
          });
          written += count;
        } catch (error) {
          if (!(error instanceof ConcurrencyError)) throw error;
          conflicts++;
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, w) => writer(w)));
    await runner.stop();
    await runner.catchUpAll();

    assert.ok(conflicts > 0, 'writers sharing streams must have collided at least once');
    const { rows } = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM events WHERE stream_id LIKE $1`,
      [`${prefix}-%`],
    );
    assert.equal(Number(rows[0]!.n), 8000);

    const orders = subscribers.map((s) => s.seen.map((e) => e.eventId));
    for (const order of orders) {
      assert.equal(order.length, 8000, 'every subscriber sees every event');
      assert.equal(new Set(order).size, 8000, 'no event twice');
    }
    assert.deepEqual(orders[1], orders[0]);
    assert.deepEqual(orders[2], orders[0]);

    const perWriter = new Map<number, number[]>();
    const lastVersion = new Map<string, number>();
    for (const e of subscribers[0]!.seen) {
      const { w, seq } = e.data as { w: number; seq: number };
      perWriter.set(w, [...(perWriter.get(w) ?? []), seq]);
      assert.equal(
        e.streamVersion,
        (lastVersion.get(e.streamId) ?? 0) + 1,
        'stream versions arrive in order',
      );
      lastVersion.set(e.streamId, e.streamVersion);
    }
    for (const [w, seqs] of perWriter) {
      assert.deepEqual(
        seqs,
        Array.from({ length: 1000 }, (_, i) => i),
        `writer ${w}'s events in its own order`,
      );
    }
    for (const streamId of streams) assert.equal((await store.verifyStream(streamId)).valid, true);
  });

  it('two runners of one projection never apply a batch twice', async () => {
    const prefix = `pair-${randomUUID()}`;
    const { projection, seen } = collector(prefix);
    await store.appendMany(
      Array.from({ length: 10 }, (_, i) => ({
        streamId: `${prefix}-${i}`,
        streamType: 'test',
        expectedVersion: 0,
        events: Array.from({ length: 30 }, () => ({ type: 'X', data: {} })),
      })),
    );
    const a = new SubscriptionRunner(pool, store, [projection], { batchSize: 7 });
    const b = new SubscriptionRunner(pool, store, [projection], { batchSize: 7 });
    // Runners that give up when the other holds the projection, and ones that wait for it.
    const race = (r: SubscriptionRunner): Promise<number> =>
      r.processBatch(projection).then((n) => (n > 0 ? race(r) : n));
    await Promise.all([race(a), race(b), a.catchUp(projection), b.catchUp(projection)]);
    assert.equal(seen.length, 300);
    assert.equal(new Set(seen.map((e) => e.eventId)).size, 300);
  });

  it('a projection that names its stream types gets only those, and its checkpoint passes the rest', async () => {
    const prefix = `types-${randomUUID()}`;
    const wanted = `wanted-${prefix}`;
    const { projection, seen } = collector(prefix);
    const typed: Projection = { ...projection, streamTypes: [wanted] };
    await new SubscriptionRunner(pool, store, [typed]).catchUp(typed); // past the log so far
    // Small batches: some hold nothing it wants, and reading must still go on past them.
    const runner = new SubscriptionRunner(pool, store, [typed], { batchSize: 4 });
    const write = (type: string, n: number) =>
      store.append({
        streamId: `${prefix}-${randomUUID()}`,
        streamType: type,
        expectedVersion: 0,
        events: Array.from({ length: n }, (_, i) => ({ type: 'Happened', data: { i } })),
      });
    await write('other', 9);
    await write(wanted, 2);
    await write('other', 9);
    await write(wanted, 1);
    await write('other', 5);

    const passed = await runner.catchUp(typed);
    assert.deepEqual(
      seen.map((e) => [e.streamType, e.data]),
      [
        [wanted, { i: 0 }],
        [wanted, { i: 1 }],
        [wanted, { i: 0 }],
      ],
    );
    assert.ok(passed >= 26, `passed ${passed} events of the log`);
    // The checkpoint stands at the last event of the log, though that one was not wanted.
    const last = (await store.readAll(await runner.checkpoint(typed.name), 10)).events;
    assert.deepEqual(last, []);
    const { rows } = await pool.query<{ transaction_id: string; global_position: string }>(
      `SELECT transaction_id, global_position FROM events WHERE stream_id LIKE $1
       ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
      [`${prefix}-%`],
    );
    assert.deepEqual(await runner.checkpoint(typed.name), {
      transactionId: rows[0]!.transaction_id,
      globalPosition: rows[0]!.global_position,
    });
    assert.equal(await runner.catchUp(typed), 0, 'nothing left to pass');
  });

  it('an event held back by an older transaction is taken once that ends, though nothing signals it', async () => {
    const prefix = `held-${randomUUID()}`;
    const { projection, seen } = collector(prefix);
    // It would look at the log again only in an hour: only its own retry can find the event sooner.
    const runner = new SubscriptionRunner(pool, store, [projection], { idlePollMs: 3_600_000 });
    await runner.catchUp(projection);
    const older = await pool.connect();
    try {
      await older.query('BEGIN');
      await older.query('SELECT pg_current_xact_id()'); // holds a transaction id below the append's
      await runner.start();
      await store.append({
        streamId: `${prefix}-a`,
        streamType: 'test',
        expectedVersion: 0,
        events: [{ type: 'A', data: {} }],
      });
      runner.nudge(); // what an append in this process does; its round cannot take A yet
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(seen.length, 0, 'A must wait while the older transaction is open');
      await older.query('COMMIT'); // appended nothing, so it wakes no one
      await waitFor(async () => seen.length === 1, 'A to be taken without a signal');
      assert.equal(seen[0]!.type, 'A');
    } finally {
      older.release();
      await runner.stop();
    }
  });

  it('a live round reads the log in the round trip that locks, from where its last round left them; not once another runner moves them', async () => {
    const prefix = `early-${randomUUID()}`;
    const { projection, seen } = collector(prefix);
    const { pool: counted, statements } = countingPool();
    const runner = new SubscriptionRunner(counted, store, [projection], { idlePollMs: 3_600_000 });
    /** Appends one event, wakes the runner and answers how many statements its round took. */
    const roundFor = async (name: string) => {
      await store.append({
        streamId: `${prefix}-${name}`,
        streamType: 'test',
        expectedVersion: 0,
        events: [{ type: name, data: {} }],
      });
      statements.sent = 0;
      runner.nudge();
      await waitFor(async () => seen.some((e) => e.type === name), name);
      // Every round sends at least two statements; its commit is the last.
      await waitFor(async () => statements.sent >= 2, `the commit of ${name}'s round`);
      await new Promise((resolve) => setTimeout(resolve, 200)); // and no round after it
      return statements.sent;
    };
    try {
      await runner.catchUpAll();
      await store.append({
        streamId: `${prefix}-0`,
        streamType: 'test',
        expectedVersion: 0,
        events: [{ type: '0', data: {} }],
      });
      statements.sent = 0;
      await runner.catchUpAll();
      // A catch-up reads ahead on another connection instead: reading early too would read twice.
      assert.equal(
        statements.sent,
        3,
        'one batch of lock, read, commit: it reached where the log stood when called',
      );
      seen.length = 0;
      await runner.start();
      await new Promise((resolve) => setTimeout(resolve, 200));
      await roundFor('A'); // after a catch-up (which reads ahead instead), the loop learns where it stands
      assert.equal(await roundFor('B'), 2, 'locks, checkpoints and the read; the commit');

      // Another runner of the same projection moves it: the early read is from a stale place.
      await store.append({
        streamId: `${prefix}-C`,
        streamType: 'test',
        expectedVersion: 0,
        events: [{ type: 'C', data: {} }],
      });
      await new SubscriptionRunner(pool, store, [projection]).catchUpAll();
      await roundFor('D');
      assert.equal(await roundFor('E'), 3, 'after a miss it reads the usual way: lock, read, commit');
      assert.deepEqual(
        seen.map((e) => e.type),
        ['A', 'B', 'C', 'D', 'E'],
        'nothing twice, nothing skipped',
      );
    } finally {
      await runner.stop();
      await counted.end();
    }
  });

  it('a nudge for events a round has read already starts no round; a nudge naming none always does', async () => {
    const prefix = `nudged-${randomUUID()}`;
    const { projection, seen } = collector(prefix);
    const { pool: counted, statements } = countingPool();
    const runner = new SubscriptionRunner(counted, store, [projection], { idlePollMs: 3_600_000 });
    const append = async (name: string) => {
      const [result] = await store.appendMany([
        {
          streamId: `${prefix}-${name}`,
          streamType: 'test',
          expectedVersion: 0,
          events: [{ type: name, data: {} }],
        },
      ]);
      return result!.events;
    };
    const settle = () => new Promise((resolve) => setTimeout(resolve, 200));
    try {
      await runner.start();
      const z = await append('Z');
      runner.nudge(z);
      await waitFor(async () => seen.length === 1, 'Z');
      await settle();

      // Both are committed before the round begins, so it reads both; B's nudge comes during or after it.
      const a = await append('A');
      const b = await append('B');
      statements.sent = 0;
      runner.nudge(a);
      await waitFor(async () => statements.sent > 0, 'the round to begin');
      runner.nudge(b);
      await waitFor(async () => seen.length === 3, 'A and B');
      await settle();
      assert.equal(statements.sent, 2, 'one round (locks, checkpoints and the read; the commit), none for B');

      statements.sent = 0;
      runner.nudge(b);
      await settle();
      assert.equal(statements.sent, 0, 'events read already: no round');
      runner.nudge();
      await waitFor(async () => statements.sent >= 2, 'the round');
      await settle();
      assert.equal(statements.sent, 2, 'a nudge naming no events gets its round');
      assert.deepEqual(
        seen.map((e) => e.type),
        ['Z', 'A', 'B'],
      );
    } finally {
      await runner.stop();
      await counted.end();
    }
  });

  it(
    'under load, commits wait out the round gap and go in one round; stop ends the wait at once',
    { timeout: 20_000 },
    async () => {
      const prefix = `gap-${randomUUID()}`;
      const { projection, seen } = collector(prefix);
      let rounds = 0;
      // Its own stream type: other tests' events pass it by, and are no load to it.
      const counting: Projection = {
        ...projection,
        streamTypes: [prefix],
        apply: async (tx, events, later) => {
          rounds++;
          await projection.apply(tx, events, later);
        },
      };
      // A gap no test waits out: the second round can only come from stop, or from a gap not kept.
      const runner = new SubscriptionRunner(pool, store, [counting], {
        idlePollMs: 3_600_000,
        roundGapMs: 3_600_000,
      });
      const append = async (name: string) => {
        const [result] = await store.appendMany([
          {
            streamId: `${prefix}-${name}`,
            streamType: prefix,
            expectedVersion: 0,
            events: [{ type: name, data: {} }],
          },
        ]);
        runner.nudge(result!.events);
      };
      await runner.catchUpAll();
      try {
        await runner.start();
        await append('A');
        await waitFor(async () => seen.length === 1, 'A');
        for (const name of ['B', 'C', 'D']) await append(name);
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal(rounds, 1, 'B, C and D wait out the gap');
      } finally {
        await runner.stop(); // a wait nothing ends but stop: the test times out if stop cannot end it
      }
      assert.equal(seen.length, 1);
      await runner.catchUpAll();
      assert.deepEqual(
        seen.map((e) => e.type),
        ['A', 'B', 'C', 'D'],
      );
    },
  );

  it(
    'a catch-up takes what was committed before it was called, and returns though appends go on',
    { timeout: 20_000 },
    async () => {
      const prefix = `steady-${randomUUID()}`;
      const { projection, seen } = collector(prefix);
      // A batch takes long enough for appends to land meanwhile: each next batch has events to take.
      const slow: Projection = {
        ...projection,
        apply: async (tx, events, later) => {
          await projection.apply(tx, events, later);
          await new Promise((resolve) => setTimeout(resolve, 20));
        },
      };
      const runner = new SubscriptionRunner(pool, store, [slow]);
      await runner.catchUpAll();
      const append = (name: string) =>
        store.append({
          streamId: `${prefix}-${name}`,
          streamType: 'test',
          expectedVersion: 0,
          events: [{ type: name, data: {} }],
        });
      await append('before');
      // Steady load: every batch of the catch-up would find new events, so it must stop by itself.
      let appending = true;
      const appender = (async () => {
        for (let i = 0; appending; i++) await append(`during-${i}`);
      })();
      try {
        await runner.catchUpAll();
        assert.equal(seen[0]?.type, 'before');
      } finally {
        appending = false;
        await appender;
      }
    },
  );

  it('a failing projection is set apart: the others go on, and it catches up once it works again', async () => {
    const prefix = `apart-${randomUUID()}`;
    const table = `apart_${process.pid}`;
    await pool.query(`CREATE TABLE ${table} (projection text, event_id uuid)`);
    // Each projection writes what it applied in the runner's transaction, so a rolled-back batch leaves nothing.
    const recording = (name: string, broken: () => boolean): Projection => ({
      name,
      apply: async (tx, events) => {
        const mine = events.filter((e) => e.streamId.startsWith(prefix)).map((e) => e.eventId);
        if (mine.length === 0) return;
        if (broken()) throw new Error(`${name} is broken`);
        await tx.query(`INSERT INTO ${table} SELECT $1, unnest($2::uuid[])`, [name, mine]);
      },
      reset: async () => undefined,
    });
    let broken = true;
    const [a, b, c] = [
      recording(`a-${prefix}`, () => false),
      recording(`b-${prefix}`, () => broken),
      recording(`c-${prefix}`, () => false),
    ];
    const failed: string[] = [];
    const runner = new SubscriptionRunner(pool, store, [a, b, c], {
      idlePollMs: 20,
      onError: (name) => failed.push(name),
    });
    const applied = async (p: Projection) =>
      Number(
        (await pool.query(`SELECT count(*) FROM ${table} WHERE projection = $1`, [p.name])).rows[0].count,
      );
    try {
      await runner.catchUpAll();
      await runner.start();
      for (let i = 0; i < 3; i++) {
        await store.append({
          streamId: `${prefix}-${i}`,
          streamType: 'test',
          expectedVersion: 0,
          events: [{ type: 'Happened', data: { i } }],
        });
      }
      runner.nudge();
      await waitFor(async () => (await applied(a)) === 3 && (await applied(c)) === 3, 'a and c to go on');
      assert.equal(await applied(b), 0);
      assert.ok(failed.includes(b.name));
      assert.ok(!failed.includes(a.name) && !failed.includes(c.name), failed.join());

      broken = false;
      await waitFor(async () => (await applied(b)) === 3, 'b to catch up');
    } finally {
      await runner.stop();
    }
    const { rows } = await pool.query(
      `SELECT projection, count(*)::int AS n, count(DISTINCT event_id)::int AS events FROM ${table}
       GROUP BY projection ORDER BY projection`,
    );
    assert.deepEqual(
      rows.map((r) => [r.n, r.events]),
      [
        [3, 3],
        [3, 3],
        [3, 3],
      ],
    );
    await pool.query(`DROP TABLE ${table}`);
  });
  it('tells a projection once its batch committed, never for one rolled back; a replay leaves one that is not rebuildable alone', async () => {
    const prefix = `told-${randomUUID()}`;
    const told: string[] = [];
    const kept = collector(prefix);
    // Like the escalation starter: what it wrote is state of its own, which no reset empties.
    const keeper: Projection = {
      ...kept.projection,
      rebuildable: false,
      afterCommit: () => told.push('kept'),
      reset: async () => undefined,
    };
    const rebuilt = collector(prefix);
    const view: Projection = { ...rebuilt.projection, afterCommit: () => told.push('view') };
    const runner = new SubscriptionRunner(pool, store, [view, keeper]);
    await runner.catchUpAll();
    told.length = 0;

    const happen = (n: number) =>
      store.append({
        streamId: `${prefix}-${n}`,
        streamType: 'test',
        expectedVersion: 0,
        events: [{ type: 'Happened', data: { n } }],
      });
    await happen(1);
    await runner.catchUpAll();
    assert.deepEqual(told.sort(), ['kept', 'view']);
    told.length = 0;
    await runner.catchUpAll();
    assert.deepEqual([...told], [], 'a round that applied nothing tells no one');

    // In a batch that fails after the view applied, the view is not told: nothing committed.
    const failing: Projection = {
      name: `failing-${randomUUID()}`,
      apply: async () => {
        throw new Error('broken');
      },
      reset: async () => undefined,
    };
    const other = collector(prefix);
    const otherView: Projection = { ...other.projection, afterCommit: () => told.push('other') };
    await assert.rejects(new SubscriptionRunner(pool, store, [otherView, failing]).catchUpAll(), /broken/);
    assert.deepEqual([...told], []);

    await runner.replay();
    assert.equal(kept.seen.length, 1, 'not fed history again');
    assert.deepEqual(
      rebuilt.seen.map((e) => e.data),
      [{ n: 1 }],
      'the view rebuilt from the start of the log',
    );
  });
});
