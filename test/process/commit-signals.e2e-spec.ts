import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.js';
import { waitFor } from '../support/wait-for.js';

describe('an API process and a worker process apart', () => {
  let api: TestApp;
  let worker: TestApp;
  before(async () => {
    api = await startTestApp({ roles: 'api' });
    // The worker would look at the log again only in an hour: only a signal can wake it sooner.
    worker = await startTestApp({ roles: 'worker', env: { VIGIL_SUBSCRIPTION_POLL_MS: '3600000' } });
  });
  after(async () => {
    await api.close();
    await worker.close();
  });

  it("the worker hears the API's commits at once: the incident's timeline fills", async () => {
    const service = `apart-${randomUUID().slice(0, 8)}`;
    const created = await api.call('POST', '/v1/integrations', {
      body: { name: 'apart', service, type: 'generic' },
    });
    assert.equal(created.status, 201);
    const { key } = created.body as { key: string };
    const alert = await api.call('POST', `/v1/integrations/${key}/alerts`, {
      key: null,
      body: { dedupKey: 'disk', summary: 'Disk full on db-1' },
    });
    assert.equal(alert.status, 202, JSON.stringify(alert.body));
    // The list is written with the alert's events; the timeline only by the worker's projection.
    const [listed] = (await api.call('GET', `/v1/incidents?service=${service}`)).body.items as Array<{
      id: string;
      title: string;
    }>;
    assert.ok(listed, 'the incident is listed when the alert is answered');
    assert.equal(listed.title, 'Disk full on db-1');
    const entries = await waitFor(async () => {
      const { rows } = await api.runtime.pool.query(
        `SELECT type FROM incident_timeline WHERE incident_id = $1`,
        [listed.id],
      );
      return rows.length > 0 && rows;
    }, 'the incident in the timeline');
    assert.equal(entries[0].type, 'IncidentOpened');
  });
});
