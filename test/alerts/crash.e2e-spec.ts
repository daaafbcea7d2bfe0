import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { alertGroupStreamId, Integrations } from '#vigil/alerts';
import { testDatabaseUrl } from '../support/database.js';
import { freePort } from '../../apps/vigil/src/support/free-port.js';
import { startServerProcess } from '../../apps/vigil/src/support/server-process.js';

const BURST_MS = 30_000;
const KILL_AT_MS = 10_000;
const SENDERS = 16;

const startServer = (port: number): Promise<ChildProcess> => startServerProcess(testDatabaseUrl(), port);

describe('durability', () => {
  let pool: pg.Pool;
  let server: ChildProcess | undefined;
  before(() => {
    pool = new pg.Pool({ connectionString: testDatabaseUrl(), max: 2 });
  });
  after(async () => {
    server?.kill('SIGKILL');
    await pool.end();
  });

  it('kill -9 during a 30-second burst: every alert answered 2xx is in the log, none twice', async () => {
    const { integration, key } = await new Integrations(pool).create({
      name: 'burst',
      service: `burst-${randomUUID().slice(0, 8)}`,
      type: 'generic',
    });
    const port = await freePort();
    server = await startServer(port);
    const acked = new Set<string>();
    const attempted = new Set<string>();
    let failures = 0;
    let next = 0;
    const started = Date.now();
    let restarted: Promise<void> | undefined;

    const sender = async () => {
      while (Date.now() - started < BURST_MS) {
        if (!restarted && Date.now() - started >= KILL_AT_MS) {
          server!.kill('SIGKILL');
          restarted = (async () => {
            await new Promise((resolve) => server!.once('exit', resolve));
            server = await startServer(port);
          })();
        }
        const dedupKey = `burst-${next++}`;
        attempted.add(dedupKey);
        const ok = await fetch(`http://127.0.0.1:${port}/v1/integrations/${key}/alerts`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            dedupKey,
            summary: `Burst alert ${dedupKey}`,
            startsAt: '2026-01-01T00:00:00Z',
          }),
        })
          .then((r) => r.status === 202)
          .catch(() => false);
        if (ok) acked.add(dedupKey);
        else {
          failures++;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    };
    await Promise.all(Array.from({ length: SENDERS }, sender));
    await restarted;

    assert.ok(failures > 0, 'the kill interrupted some deliveries');
    assert.ok(acked.size > 100, `a real burst: ${acked.size} alerts acknowledged`);
    const { rows } = await pool.query<{ stream_id: string; n: number }>(
      `SELECT stream_id, count(*)::int AS n FROM events
       WHERE type = 'AlertTriggered' AND data->>'integrationId' = $1 GROUP BY stream_id`,
      [integration.id],
    );
    const stored = new Map(rows.map((r) => [r.stream_id, r.n]));
    for (const dedupKey of acked) {
      assert.equal(
        stored.get(alertGroupStreamId(integration.id, dedupKey)),
        1,
        `${dedupKey} stored exactly once`,
      );
    }
    for (const [, n] of stored) assert.equal(n, 1, 'no alert stored twice');
    assert.ok(stored.size <= attempted.size);
  });
});
