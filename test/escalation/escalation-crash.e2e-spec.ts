import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { ApiKeys } from '#vigil/common';
import { testDatabaseUrl } from '../support/database.js';
import { freePort } from '../../apps/vigil/src/support/free-port.js';
import { startServerProcess } from '../../apps/vigil/src/support/server-process.js';
import { setUpEscalation, streamOf } from './escalation-fixtures.js';
import { eventually } from '../support/wait-for.js';

/** Each level waits 3 seconds for an acknowledgement. */
const DELAY_MINUTES = 3 / 60;

const startServer = (port: number): Promise<ChildProcess> => startServerProcess(testDatabaseUrl(), port);

describe('escalation survives kill -9', () => {
  let pool: pg.Pool;
  let server: ChildProcess | undefined;
  before(() => {
    pool = new pg.Pool({ connectionString: testDatabaseUrl(), max: 2 });
  });
  after(async () => {
    server?.kill('SIGKILL');
    await pool.end();
  });

  it('a step pending when the server is killed fires once after the restart, late, and says so', async () => {
    const { key } = await new ApiKeys(pool).create('crash test', ['admin']);
    const port = await freePort();
    server = await startServer(port);
    const call = async (method: string, path: string, options: { body?: unknown } = {}) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
    };
    const layerStart = new Date(Date.now() - 3_600_000);
    const setup = await setUpEscalation(call, {
      layerStart: layerStart.toISOString(),
      // Level 2 is due 6 s after level 1: the kill below must land before it, on a slow machine too.
      delays: [2 * DELAY_MINUTES, DELAY_MINUTES],
    });
    // Alice's first turn ends at the first 09:00 UTC handoff after the layer starts; Bob's follows.
    const handoff = new Date(layerStart);
    handoff.setUTCHours(9, 0, 0, 0);
    if (handoff <= layerStart) handoff.setUTCDate(handoff.getUTCDate() + 1);
    const onCallAt = (at: string) =>
      Date.parse(at) < handoff.getTime() ? setup.users.alice : setup.users.bob;
    const opened = await call('POST', '/v1/incidents', {
      body: { title: 'Disk full', severity: 'SEV2', service: setup.service },
    });
    assert.equal(opened.status, 201);
    const id: string = opened.body.id;
    await eventually(async () => (await streamOf(pool, id)).some((e) => e.type === 'ResponderPaged'));

    // Level 2 is pending. Kill the server without a chance to clean up, and stay down past its due time.
    server.kill('SIGKILL');
    await once(server, 'exit');
    const { rows } = await pool.query<{ due_at: Date; state: string }>(
      `SELECT due_at, state FROM escalation_timers WHERE incident_id = $1 AND step = 1`,
      [id],
    );
    assert.equal(rows[0]?.state, 'pending', 'the pending step is a row, not a timer in the dead process');
    const dueIn = rows[0].due_at.getTime() - Date.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, dueIn) + 1500));
    assert.equal(
      (await streamOf(pool, id)).filter((e) => e.type === 'EscalationStepStarted').length,
      1,
      'nothing fires while the server is down',
    );

    server = await startServer(port);
    const events = await eventually(async () => {
      const stream = await streamOf(pool, id);
      return stream.some((e) => e.type === 'EscalationExhausted') && stream;
    }, 30_000);
    const steps = events.filter((e) => e.type === 'EscalationStepStarted');
    assert.deepEqual(
      steps.map((e) => e.data.step),
      [0, 1],
      'each step exactly once',
    );
    assert.ok(
      steps[1]!.data.delayMs >= 1000,
      `level 2 fired late and records it (${steps[1]!.data.delayMs} ms)`,
    );
    const paged = events.filter((e) => e.type === 'ResponderPaged');
    assert.deepEqual(
      paged.map((e) => [e.data.level, e.data.userId ?? e.data.channelId]),
      [
        [1, onCallAt(paged[0]!.occurredAt)],
        [2, setup.users.carol],
        [2, 'C0ESCALATE'],
      ],
    );
    assert.equal(events.filter((e) => e.type === 'EscalationExhausted').length, 1);
  });
});
