import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { incidentStreamId } from '#vigil/incidents';
import { startTestApp, type TestApp } from '../support/app.js';
import { plain, projectedRows } from '../support/incident-list.js';

describe('the incident list, written by incident commands', () => {
  // No worker: no projection runs in this process, so whatever the list shows, the commands wrote.
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ roles: 'api' });
  });
  after(() => t.close());

  it('shows a declared incident, and each change of its status, when the command is answered', async () => {
    const service = `listed-${randomUUID().slice(0, 8)}`;
    const declared = await t.call('POST', '/v1/incidents', {
      body: { title: 'Checkout returns 502', severity: 'SEV2', service },
    });
    assert.equal(declared.status, 201);
    const id = declared.body.id as string;
    const listed = async () =>
      (await t.call('GET', `/v1/incidents?service=${service}`)).body.items as Array<{
        id: string;
        status: string;
        version: number;
      }>;

    const [opened] = await listed();
    assert.equal(opened?.id, id, 'the incident is listed when the declaration is answered');
    assert.equal(opened.status, 'triggered');

    for (const [route, status] of [
      ['acknowledge', 'acknowledged'],
      ['resolve', 'resolved'],
    ] as const) {
      const res = await t.call('POST', `/v1/incidents/${id}/${route}`, {
        body: route === 'resolve' ? { summary: 'Rolled back' } : {},
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const [row] = await listed();
      assert.equal(row?.status, status, `${route}: the list shows it when the command is answered`);
    }

    // A command that changes nothing writes nothing, and the list stays where it was.
    const again = await t.call('POST', `/v1/incidents/${id}/resolve`, { body: { summary: 'Rolled back' } });
    assert.ok(again.status < 500, JSON.stringify(again.body));
    assert.equal((await listed())[0]?.status, 'resolved');

    // Row for row what the projection writes for the same events, so a replay changes nothing.
    const events = await t.runtime.store.readStream(incidentStreamId(id));
    const { rows } = await t.runtime.pool.query(
      `SELECT incident_id, service, severity, status, opened_at, version, state FROM incidents
       WHERE incident_id = $1`,
      [id],
    );
    assert.deepEqual(plain(rows[0]), plain((await projectedRows(t.runtime.pool, events))[0]));
  });
});
