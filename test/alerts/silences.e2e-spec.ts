import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { alertGroupStreamId } from '#vigil/alerts';
import { startTestApp, type TestApp } from '../support/app.js';

describe('silences and maintenance windows', () => {
  let t: TestApp;
  let integration: { id: string; key: string; service: string };
  const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();
  const send = (dedupKey: string, labels: Record<string, string> = {}, startsAt = '2026-01-01T00:00:00Z') =>
    t.call('POST', `/v1/integrations/${integration.key}/alerts`, {
      key: null,
      body: { dedupKey, summary: `Alert ${dedupKey}`, labels, startsAt },
    });
  const types = async (dedupKey: string) =>
    (
      await t.runtime.pool.query<{ type: string }>(
        `SELECT type FROM events WHERE stream_id = $1 ORDER BY stream_version`,
        [alertGroupStreamId(integration.id, dedupKey)],
      )
    ).rows.map((r) => r.type);
  const incidents = async () =>
    Number(
      (
        await t.runtime.pool.query(
          `SELECT count(*) AS n FROM events WHERE type = 'IncidentOpened' AND data->>'service' = $1`,
          [integration.service],
        )
      ).rows[0].n,
    );

  before(async () => {
    t = await startTestApp();
    const res = await t.call('POST', '/v1/integrations', {
      body: { name: 'silenced', service: `silenced-${randomUUID().slice(0, 8)}`, type: 'generic' },
    });
    integration = res.body;
  });
  after(() => t.close());

  it('holds back matching alerts (recorded, no incident) until the silence ends', async () => {
    const created = await t.call('POST', '/v1/silences', {
      body: {
        matchers: [{ name: 'service', op: '=', value: integration.service }],
        endsAt: inAnHour(),
        comment: 'database maintenance',
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.createdBy, 'test admin');
    assert.equal((await send('disk')).status, 202);
    assert.deepEqual(await types('disk'), ['AlertSuppressed']);
    assert.equal(await incidents(), 0);
    const active = await t.call('GET', '/v1/silences?active=true');
    assert.ok(active.body.items.some((s: { id: string }) => s.id === created.body.id));

    const ended = await t.call('DELETE', `/v1/silences/${created.body.id}`);
    assert.equal(ended.status, 200);
    assert.ok(Date.parse(ended.body.endsAt) <= Date.now());
    assert.equal((await send('disk', {}, '2026-01-01T00:05:00Z')).status, 202);
    assert.deepEqual(await types('disk'), ['AlertSuppressed', 'AlertTriggered']);
    assert.equal(await incidents(), 1);
  });

  it('matches labels with regular expressions, anchored as Alertmanager does', async () => {
    await t.call('POST', '/v1/silences', {
      body: {
        matchers: [{ name: 'env', op: '=~', value: 'stag.*' }],
        endsAt: inAnHour(),
        comment: 'staging is noisy',
      },
    });
    await send('staging-cpu', { env: 'staging' });
    await send('prod-cpu', { env: 'prod-staging' });
    assert.deepEqual(await types('staging-cpu'), ['AlertSuppressed']);
    assert.deepEqual(await types('prod-cpu'), ['AlertTriggered']);
  });

  it('refuses a bad silence with every problem named, and stores nothing', async () => {
    const count = async () =>
      Number((await t.runtime.pool.query(`SELECT count(*) AS n FROM silences`)).rows[0].n);
    const before = await count();
    const bad = await t.call('POST', '/v1/silences', {
      body: {
        matchers: [
          { name: 'env', op: '=~', value: '(' },
          { name: 'x', op: '~', value: 'y' },
        ],
        endsAt: '2020-01-01T00:00:00Z',
      },
    });
    assert.equal(bad.status, 400);
    const fields = bad.body.errors.map((e: { field: string }) => e.field);
    assert.ok(fields.includes('comment'), fields.join());
    assert.ok(
      fields.some((f: string) => f.startsWith('matchers')),
      fields.join(),
    );
    const past = await t.call('POST', '/v1/silences', {
      body: {
        matchers: [{ name: 'env', op: '=~', value: '(' }],
        endsAt: '2020-01-01T00:00:00Z',
        comment: 'c',
      },
    });
    assert.equal(past.status, 400);
    assert.deepEqual(
      past.body.errors.map((e: { field: string }) => e.field).sort(),
      ['endsAt', 'endsAt', 'matchers.0'].sort(),
    );
    const reader = await t.keyWith('incidents:read');
    const denied = await t.call('POST', '/v1/silences', {
      key: reader,
      body: { matchers: [{ name: 'a', op: '=', value: 'b' }], endsAt: inAnHour(), comment: 'c' },
    });
    assert.equal(denied.status, 403);
    assert.equal((await t.call('GET', `/v1/silences/${randomUUID()}`)).status, 404);
    assert.equal(await count(), before);
  });
});
