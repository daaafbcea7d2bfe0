import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.js';

describe('alert fatigue', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('counts received, deduplicated, suppressed and opened per rule, and the non-actionable ÷ actionable ratio', async () => {
    const service = `fatigue-${randomUUID().slice(0, 8)}`;
    const { body: integration } = await t.call('POST', '/v1/integrations', {
      body: { name: 'fatigue', service, type: 'generic' },
    });
    const send = (dedupKey: string, alertname: string, startsAt: string) =>
      t.call('POST', `/v1/integrations/${integration.key}/alerts`, {
        key: null,
        body: { dedupKey, summary: `${alertname} on ${dedupKey}`, labels: { alertname }, startsAt },
      });
    await send('db-1', 'DiskFull', '2026-01-01T00:00:00Z');
    await send('db-1', 'DiskFull', '2026-01-01T00:01:00Z');
    await send('db-1', 'DiskFull', '2026-01-01T00:02:00Z');
    await send('web-1', 'CpuHigh', '2026-01-01T00:00:00Z');
    await t.call('POST', '/v1/silences', {
      body: {
        matchers: [{ name: 'alertname', op: '=', value: 'Noise' }],
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        comment: 'known noise',
      },
    });
    await send('x-1', 'Noise', '2026-01-01T00:00:00Z');
    const { rows } = await t.runtime.pool.query<{ stream_id: string }>(
      `SELECT stream_id FROM events WHERE type = 'IncidentOpened' AND data->>'title' LIKE 'CpuHigh%' AND data->>'service' = $1`,
      [service],
    );
    await t.call('POST', `/v1/incidents/${rows[0]!.stream_id.slice('incident-'.length)}/acknowledge`);
    await t.runtime.subscriptions.catchUpAll();

    const report = await t.call('GET', `/v1/analytics/alert-fatigue?service=${service}`);
    assert.equal(report.status, 200, JSON.stringify(report.body));
    assert.deepEqual(report.body.alerts, {
      received: 5,
      deduplicated: 2,
      suppressed: 1,
      flapping: 0,
      openedIncidents: 2,
    });
    assert.deepEqual(report.body.incidents, { actionable: 1, nonActionable: 1 });
    assert.equal(report.body.alertFatigueRatio, 1);
    assert.deepEqual(
      report.body.noisiestRules.map((r: { rule: string; received: number }) => [r.rule, r.received]),
      [
        ['DiskFull', 3],
        ['CpuHigh', 1],
        ['Noise', 1],
      ],
    );
    const cpu = report.body.noisiestRules.find((r: { rule: string }) => r.rule === 'CpuHigh');
    assert.deepEqual([cpu.actionable, cpu.nonActionable], [1, 0]);

    const none = await t.call(
      'GET',
      `/v1/analytics/alert-fatigue?service=${service}&to=2020-01-01T00:00:00Z`,
    );
    assert.equal(none.body.alerts.received, 0);
    assert.equal(none.body.alertFatigueRatio, null);
    assert.equal(
      (await t.call('GET', '/v1/analytics/alert-fatigue?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z'))
        .status,
      400,
    );
    assert.equal((await t.call('GET', '/v1/analytics/alert-fatigue?limit=0')).status, 400);
  });
});

describe('flapping', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('an alert that fires and resolves over and over stops opening incidents, and is counted as flapping', async () => {
    const service = `flap-${randomUUID().slice(0, 8)}`;
    const { body: integration } = await t.call('POST', '/v1/integrations', {
      body: { name: 'flap', service, type: 'generic' },
    });
    const send = (status: string, n: number) =>
      t.call('POST', `/v1/integrations/${integration.key}/alerts`, {
        key: null,
        body: {
          dedupKey: 'link-down',
          summary: 'Link down',
          status,
          labels: { alertname: 'LinkDown' },
          startsAt: `2026-01-01T00:0${n}:00Z`,
        },
      });
    for (let n = 0; n < 7; n++) {
      await send('firing', n);
      await send('resolved', n);
    }
    const opened = await t.runtime.pool.query(
      `SELECT count(*)::int AS n FROM events WHERE type = 'IncidentOpened' AND data->>'service' = $1`,
      [service],
    );
    assert.equal(opened.rows[0].n, 5, 'five fires open incidents; the sixth and seventh are flapping');
    await t.runtime.subscriptions.catchUpAll();
    const report = await t.call('GET', `/v1/analytics/alert-fatigue?service=${service}`);
    assert.equal(report.body.alerts.flapping, 2);
    assert.equal(report.body.alerts.openedIncidents, 5);
  });
});
