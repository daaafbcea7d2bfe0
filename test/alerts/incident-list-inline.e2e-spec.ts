import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { incidentStreamId } from '#vigil/incidents';
import { startTestApp, type TestApp } from '../support/app.js';
import { plain, projectedRows } from '../support/incident-list.js';

describe('the incident list, written by ingestion', () => {
  // No worker: no projection runs in this process, so whatever the list shows, ingestion wrote.
  let t: TestApp;
  /** A second process, which has none of the first one's alert groups in memory. */
  let other: TestApp;
  before(async () => {
    t = await startTestApp({ roles: 'api' });
    other = await startTestApp({ roles: 'api' });
  });
  after(async () => {
    await t.close();
    await other.close();
  });

  it("shows an alert's incident when the alert is answered, and its resolution when the resolve is", async () => {
    const service = `inline-${randomUUID().slice(0, 8)}`;
    const created = await t.call('POST', '/v1/integrations', {
      body: { name: 'inline', service, type: 'pagerduty' },
    });
    assert.equal(created.status, 201);
    const { key } = created.body as { key: string };
    const send = (action: string, app = t) =>
      app.call('POST', '/v2/enqueue', {
        key: null,
        body: {
          routing_key: key,
          event_action: action,
          dedup_key: 'db-1/disk',
          payload: { summary: 'Disk full on db-1', source: 'db-1', severity: 'critical' },
        },
      });
    const listed = async () =>
      (await t.call('GET', `/v1/incidents?service=${service}`)).body.items as Array<{
        id: string;
        title: string;
        status: string;
        severity: string;
      }>;

    assert.equal((await send('trigger')).status, 202);
    const [opened] = await listed(); // at once: no waiting for a worker
    assert.ok(opened, 'the incident is listed when the alert is answered');
    assert.equal(opened.title, 'Disk full on db-1');
    assert.equal(opened.status, 'triggered');

    // The other process guesses the group new, is refused, and takes the batch the long way.
    assert.equal((await send('resolve', other)).status, 202);
    const after = await listed();
    assert.equal(after.length, 1);
    assert.equal(after[0]!.status, 'resolved', 'the resolution is listed when the resolve is answered');

    // Row for row what the projection writes for the same events, so a replay changes nothing.
    const events = await t.runtime.store.readStream(incidentStreamId(opened.id));
    const { rows } = await t.runtime.pool.query(
      `SELECT incident_id, service, severity, status, opened_at, version, state FROM incidents
       WHERE incident_id = $1`,
      [opened.id],
    );
    assert.deepEqual(plain(rows[0]), plain((await projectedRows(t.runtime.pool, events))[0]));
  });

  it('the projection leaves a row that ingestion wrote alone: neither written again nor locked', async () => {
    const service = `untouched-${randomUUID().slice(0, 8)}`;
    const created = await t.call('POST', '/v1/integrations', {
      body: { name: 'untouched', service, type: 'generic' },
    });
    const { key } = created.body as { key: string };
    const fired = await t.call('POST', `/v1/integrations/${key}/alerts`, {
      key: null,
      body: { dedupKey: 'queue-depth', summary: 'Queue depth above 10k' },
    });
    assert.equal(fired.status, 202);
    // xmin names the transaction that wrote the row; xmax one that locked or changed it since (0: none).
    const stored = async () =>
      (
        await t.runtime.pool.query<{ xmin: string; xmax: string; version: number }>(
          `SELECT xmin::text, xmax::text, version FROM incidents WHERE service = $1`,
          [service],
        )
      ).rows;
    const written = await stored();
    assert.equal(written.length, 1);
    assert.equal(written[0]!.xmax, '0');
    await t.runtime.subscriptions.catchUpAll(); // the incident list projection takes the same events
    assert.deepEqual(await stored(), written);
  });
});
