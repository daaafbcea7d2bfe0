import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { freePort } from '../apps/vigil/src/support/free-port.js';

const BARE_RECEIVER = new URL('./bare-receiver.js', import.meta.url).pathname;

/** The ingestion bench's reference receiver: it must do what the bench says it does, no less. */
describe('bare receiver (the ingestion bench reference)', () => {
  const databaseUrl = process.env.TEST_DATABASE_URL!;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  const children: ChildProcess[] = [];

  const start = async (mode: 'answer' | 'commit') => {
    const port = await freePort();
    const child = fork(BARE_RECEIVER, [mode, String(port), databaseUrl], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    children.push(child);
    await once(child, 'message');
    return (body: string) =>
      fetch(`http://127.0.0.1:${port}/v2/enqueue`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
  };
  const stored = async (keys: string[]) =>
    Number(
      (await pool.query(`SELECT count(*) AS n FROM raw_alerts WHERE dedup_key = ANY($1)`, [keys])).rows[0].n,
    );

  before(async () => {
    await pool.query(
      `CREATE TABLE IF NOT EXISTS raw_alerts (id bigserial, dedup_key text, body jsonb, received_at timestamptz DEFAULT now())`,
    );
  });
  after(async () => {
    for (const child of children) {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    }
    await pool.query(`DROP TABLE raw_alerts`);
    await pool.end();
  });

  it('answers each of many concurrent bodies only once it is committed', async () => {
    const post = await start('commit');
    const keys = Array.from({ length: 40 }, (_, i) => `bare-${process.pid}-${i}`);
    const seenAtAnswer = await Promise.all(
      keys.map(async (key) => {
        const res = await post(JSON.stringify({ event_action: 'trigger', dedup_key: key }));
        assert.equal(res.status, 202);
        assert.deepEqual(await res.json(), { status: 'success', message: 'Event processed', dedup_key: key });
        return stored([key]);
      }),
    );
    assert.deepEqual(
      seenAtAnswer,
      keys.map(() => 1),
    );
    assert.equal(await stored(keys), 40);
  });

  it('does not answer while its batch cannot commit', async () => {
    const post = await start('commit');
    const blocker = await pool.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE raw_alerts IN EXCLUSIVE MODE');
      let answered = false;
      const answer = post(JSON.stringify({ dedup_key: 'bare-held' })).then((res) => {
        answered = true;
        return res;
      });
      // Until the receiver's INSERT waits for the lock, its batch is in flight and unanswered.
      for (let waiting = 0, looks = 0; waiting === 0; looks++) {
        assert.ok(looks < 1000, 'the INSERT never waited for the lock');
        if (looks > 0) await new Promise((resolve) => setTimeout(resolve, 10));
        waiting = Number(
          (
            await pool.query(
              `SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO raw_alerts%'`,
            )
          ).rows[0].n,
        );
      }
      assert.equal(answered, false);
      await blocker.query('COMMIT');
      assert.equal((await answer).status, 202);
      assert.equal(await stored(['bare-held']), 1);
    } finally {
      blocker.release();
    }
  });

  it('refuses a body that is not JSON and stores nothing', async () => {
    const post = await start('commit');
    const before = Number((await pool.query(`SELECT count(*) AS n FROM raw_alerts`)).rows[0].n);
    const res = await post('{"dedup_key": "bare-broken"');
    assert.equal(res.status, 400);
    assert.equal(Number((await pool.query(`SELECT count(*) AS n FROM raw_alerts`)).rows[0].n), before);
  });

  it('answers at once without a database in answer mode', async () => {
    const post = await start('answer');
    const res = await post(JSON.stringify({ dedup_key: 'bare-answer' }));
    assert.equal(res.status, 202);
    assert.equal(((await res.json()) as { dedup_key: string }).dedup_key, 'bare-answer');
    assert.equal(await stored(['bare-answer']), 0);
  });
});
