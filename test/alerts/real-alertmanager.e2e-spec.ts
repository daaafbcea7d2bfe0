import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.js';
import { freePort } from '../../apps/vigil/src/support/free-port.js';
import { waitFor } from '../support/wait-for.js';

/** How long Alertmanager may take to notify: it groups and flushes on its own timers. */
const NOTIFY_MS = 30_000;

/**
 * A real Prometheus Alertmanager (Debian's prometheus-alertmanager, which .ci/run
 * installs) notifying Vigil through both its webhook and its PagerDuty receivers.
 */
describe('a real Alertmanager', () => {
  let t: TestApp;
  let alertmanager: ChildProcess;
  let amUrl: string;
  let folder: string;
  let webhookService: string;
  let pagerdutyService: string;

  before(async () => {
    t = await startTestApp();
    webhookService = `am-webhook-${randomUUID().slice(0, 8)}`;
    pagerdutyService = `am-pagerduty-${randomUUID().slice(0, 8)}`;
    const webhook = await t.call('POST', '/v1/integrations', {
      body: { name: 'Alertmanager webhook', service: webhookService, type: 'alertmanager' },
    });
    const pagerduty = await t.call('POST', '/v1/integrations', {
      body: { name: 'Alertmanager via PagerDuty', service: pagerdutyService, type: 'pagerduty' },
    });
    folder = mkdtempSync(join(tmpdir(), 'vigil-alertmanager-'));
    writeFileSync(
      join(folder, 'alertmanager.yml'),
      `route:
  receiver: vigil
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: vigil
    webhook_configs:
      - url: ${t.baseUrl}/v1/integrations/${webhook.body.key}/alertmanager
        send_resolved: true
    pagerduty_configs:
      - routing_key: ${pagerduty.body.key}
        url: ${t.baseUrl}/v2/enqueue
        send_resolved: true
`,
    );
    const port = await freePort();
    amUrl = `http://127.0.0.1:${port}`;
    alertmanager = spawn(
      'prometheus-alertmanager',
      [
        `--config.file=${join(folder, 'alertmanager.yml')}`,
        `--storage.path=${folder}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      { stdio: 'ignore' },
    );
    const ready = await waitFor(
      async () => (await fetch(`${amUrl}/-/ready`).catch(() => undefined))?.ok,
      'Alertmanager to be ready',
      20_000,
    );
    assert.ok(ready, 'Alertmanager did not become ready');
  });

  after(async () => {
    alertmanager?.kill('SIGTERM');
    await t.close();
    rmSync(folder, { recursive: true, force: true });
  });

  const postAlerts = async (endsAt: string) => {
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const alerts = ['db-1', 'db-2'].map((instance) => ({
      labels: { alertname: 'DiskAlmostFull', instance, severity: 'critical' },
      annotations: { summary: `Disk almost full on ${instance}` },
      startsAt,
      endsAt,
    }));
    const res = await fetch(`${amUrl}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts),
    });
    assert.equal(res.status, 200);
  };

  const incidentsOf = async (service: string) =>
    (
      await t.runtime.pool.query<{ stream_id: string }>(
        `SELECT stream_id FROM events WHERE type = 'IncidentOpened' AND data->>'service' = $1`,
        [service],
      )
    ).rows.map((r) => r.stream_id.slice('incident-'.length));

  const statusOf = async (id: string) => (await t.call('GET', `/v1/incidents/${id}`)).body.status as string;

  it('opens one incident per alert group through both receivers, and resolves them when the alerts end', async () => {
    await postAlerts(new Date(Date.now() + 3_600_000).toISOString());
    /** The incidents opened through `service`'s receiver, once there is one. */
    const opened = (service: string, receiver: string) =>
      waitFor(
        async () => {
          const ids = await incidentsOf(service);
          return ids.length > 0 ? ids : undefined;
        },
        `an incident through the ${receiver} receiver`,
        NOTIFY_MS,
      );
    const viaWebhook = await opened(webhookService, 'webhook');
    const viaPagerDuty = await opened(pagerdutyService, 'PagerDuty');
    assert.ok(viaWebhook && viaPagerDuty, 'an incident through each receiver');
    // Alerts that started over group_wait ago are flushed at once: Alertmanager may send the group
    // with its first alert, then again with both a group_interval later. Either way, one incident.
    const attached = async () =>
      (await t.call('GET', `/v1/incidents/${viaWebhook[0]}/events`)).body.items.filter(
        (e: { type: string }) => e.type === 'AlertAttached',
      ).length as number;
    assert.equal(
      await waitFor(
        async () => ((await attached()) === 2 ? 2 : undefined),
        'both alerts attached',
        NOTIFY_MS,
      ),
      2,
      'both alerts attached',
    );
    assert.equal((await incidentsOf(webhookService)).length, 1, 'one incident for the group (webhook)');
    assert.equal(
      (await incidentsOf(pagerdutyService)).length,
      1,
      'one incident for the group (PagerDuty receiver)',
    );
    assert.equal((await t.call('GET', `/v1/incidents/${viaWebhook[0]}`)).body.severity, 'SEV1');

    await postAlerts(new Date(Date.now() - 1000).toISOString());
    for (const [id, via] of [
      [viaWebhook[0]!, 'webhook'],
      [viaPagerDuty[0]!, 'PagerDuty'],
    ]) {
      const resolved = async () => (await statusOf(id!)) === 'resolved';
      assert.equal(await waitFor(resolved, `the ${via} receiver's incident resolved`, NOTIFY_MS), true);
    }
    assert.equal((await incidentsOf(webhookService)).length, 1);
    assert.equal((await incidentsOf(pagerdutyService)).length, 1);
  });
});
