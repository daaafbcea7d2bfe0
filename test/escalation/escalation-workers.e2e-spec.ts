import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '#vigil/common';
import { startRuntime, type Runtime } from '../../apps/vigil/src/runtime.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { testDatabaseUrl } from '../support/database.js';
import { openIncident, setUpEscalation } from './escalation-fixtures.js';
import { eventually } from '../support/wait-for.js';

const INCIDENTS = 60;
const SENDERS = 4;
/** Two seconds a level. */
const DELAY_MINUTES = 2 / 60;

describe('two workers on one database', () => {
  let t: TestApp;
  let second: Runtime;
  before(async () => {
    t = await startTestApp();
    second = await startRuntime(
      loadConfig({
        ...process.env,
        DATABASE_URL: testDatabaseUrl(),
        VIGIL_ROLES: 'worker',
        LOG_LEVEL: 'silent',
      }),
      pino({ level: 'silent' }),
    );
  });
  after(async () => {
    await second?.close();
    await t?.close();
  });

  it('a burst of incidents with short delays: every step fires exactly once, none is missed', async () => {
    const setup = await setUpEscalation(t.call, {
      layerStart: new Date(Date.now() - 3_600_000).toISOString(),
      delays: [DELAY_MINUTES, DELAY_MINUTES],
      repeats: 1,
    });
    // Besides both processes' one-second ticks, both engines tick as fast as they can: maximum contention.
    let racing = true;
    const hammer = async (runtime: Runtime) => {
      while (racing) {
        await runtime.escalation.engine.tick();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    const hammers = [hammer(t.runtime), hammer(second)];
    const ids: string[] = [];
    let next = 0;
    const sender = async () => {
      while (next < INCIDENTS) {
        next++;
        ids.push(await openIncident(t.call, setup.service));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    await Promise.all(Array.from({ length: SENDERS }, sender));

    const perIncident = async () =>
      (
        await t.runtime.pool.query<{ incident: string; types: string[]; steps: number[] }>(
          `SELECT data->>'incidentId' AS incident,
                  array_agg(type ORDER BY stream_version) AS types,
                  array_agg((data->>'step')::int ORDER BY stream_version)
                    FILTER (WHERE type = 'EscalationStepStarted') AS steps
           FROM events WHERE stream_id = ANY($1::text[])
             AND type IN ('EscalationStepStarted', 'ResponderPaged', 'EscalationExhausted')
           GROUP BY 1`,
          [ids.map((id) => `incident-${id}`)],
        )
      ).rows;
    const rows = await eventually(async () => {
      const found = await perIncident();
      const done = found.filter((r) => r.types.includes('EscalationExhausted'));
      return done.length === INCIDENTS && found;
    }, 60_000);
    racing = false;
    await Promise.all(hammers);

    assert.equal(rows.length, INCIDENTS);
    for (const row of rows) {
      assert.deepEqual(row.steps, [0, 1, 2, 3], `incident ${row.incident}: every step once, in order`);
      assert.equal(row.types.filter((type) => type === 'EscalationExhausted').length, 1);
      // Level 1 pages the on-call user, level 2 a user and a channel; twice over.
      assert.equal(row.types.filter((type) => type === 'ResponderPaged').length, 6);
    }
    const { rows: timers } = await t.runtime.pool.query<{ state: string; n: number }>(
      `SELECT state, count(*)::int AS n FROM escalation_timers WHERE incident_id = ANY($1::uuid[]) GROUP BY state`,
      [ids],
    );
    assert.deepEqual(timers, [{ state: 'fired', n: INCIDENTS * 5 }]);
    const fired = async (runtime: Runtime) =>
      (await runtime.metrics.escalationSteps.get()).values.reduce((sum, v) => sum + v.value, 0);
    assert.ok((await fired(t.runtime)) > 0 && (await fired(second)) > 0, 'both workers fired steps');
  });
});
