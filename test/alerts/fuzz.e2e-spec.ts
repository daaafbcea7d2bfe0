import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
// Test support shared with the adapters' unit tests: seeded mutations of a valid payload.
// eslint-disable-next-line no-restricted-imports
import { mutate, seededRandom } from '../../libs/alerts/src/domain/spec-fuzz.js';
import { logHead } from '../support/database.js';
import { startTestApp, type TestApp } from '../support/app.js';

const PER_RECEIVER = 2000;

const alertmanagerPayload = {
  receiver: 'vigil',
  status: 'firing',
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'ProbeFailure', instance: 'https://server.example.org', severity: 'critical' },
      annotations: { summary: 'BlackBox Probe Failure' },
      startsAt: '2023-02-06T13:08:45.828Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0',
      fingerprint: '1a30ba71cca2921f',
    },
  ],
  groupLabels: { alertname: 'ProbeFailure' },
  commonLabels: { alertname: 'ProbeFailure', severity: 'critical' },
  commonAnnotations: { summary: 'BlackBox Probe Failure' },
  externalURL: 'http://prometheus.example.org:9093',
  version: '4',
  groupKey: '{}/{severity="critical"}:{alertname="ProbeFailure"}',
  truncatedAlerts: 0,
};

describe('every receiver under 10,000 mutated real payloads', () => {
  let t: TestApp;
  const keys: Record<string, string> = {};
  before(async () => {
    t = await startTestApp();
    for (const type of ['pagerduty', 'alertmanager', 'grafana', 'generic']) {
      const res = await t.call('POST', '/v1/integrations', {
        body: { name: `fuzz ${type}`, service: `fuzz-${randomUUID().slice(0, 8)}`, type },
      });
      keys[type] = res.body.key;
    }
  });
  after(() => t.close());

  const head = () => logHead(t.runtime.pool);

  it('answers no 5xx and stores nothing from a rejected request', async () => {
    const receivers: Array<{ path: string; valid: unknown }> = [
      {
        path: '/v2/enqueue',
        valid: {
          routing_key: keys.pagerduty,
          event_action: 'trigger',
          dedup_key: 'srv01/mysql',
          payload: {
            summary: 'DISK at 99% on machine prod-datapipe03.example.com',
            source: 'prod-datapipe03.example.com',
            severity: 'critical',
            timestamp: '2015-07-17T08:42:58.315+0000',
            component: 'mysql',
            group: 'prod-datapipe',
            class: 'disk',
            custom_details: { 'free space': '1%' },
          },
          links: [{ href: 'http://pagerduty.example.com', text: 'An example link.' }],
        },
      },
      {
        path: '/v2/change/enqueue',
        valid: {
          routing_key: keys.pagerduty,
          payload: { summary: 'Deployed checkout v42', source: 'ci', timestamp: '2026-01-01T00:00:00Z' },
        },
      },
      { path: `/v1/integrations/${keys.alertmanager}/alertmanager`, valid: alertmanagerPayload },
      {
        path: `/v1/integrations/${keys.grafana}/grafana`,
        valid: { ...alertmanagerPayload, version: '1', orgId: 1, title: 'x' },
      },
      {
        path: `/v1/integrations/${keys.generic}/alerts`,
        valid: { dedupKey: 'queue', summary: 'Queue depth', severity: 'SEV2', labels: { queue: 'orders' } },
      },
    ];
    const random = seededRandom(20261128);
    const statuses = new Map<number, number>();
    // The log's head before each request; read again only after one that may have moved it.
    let before: string | null = null;
    for (const { path, valid } of receivers) {
      for (let i = 0; i < PER_RECEIVER; i++) {
        const body =
          random() < 0.05
            ? JSON.stringify(valid).slice(0, Math.floor(random() * 200))
            : (JSON.stringify(mutate(valid, random)) ?? 'null');
        before ??= await head();
        const res = await t.call('POST', path, { key: null, rawBody: body });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        assert.ok(res.status < 500, `${path} → ${res.status}: ${body.slice(0, 300)}`);
        if (res.status >= 400)
          assert.equal(await head(), before, `${path} stored something for a ${res.status}`);
        else before = null;
      }
    }
    const rejected = [...statuses].filter(([s]) => s >= 400).reduce((n, [, c]) => n + c, 0);
    const accepted = statuses.get(202) ?? 0;
    assert.ok(rejected > 1000 && accepted > 500, `both kinds seen: ${JSON.stringify([...statuses])}`);
  });
});
