import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { alertGroupStreamId } from '#vigil/alerts';
import { startTestApp, type TestApp } from '../support/app.js';

const eventTypes = async (t: TestApp, streamId: string) =>
  (
    await t.runtime.pool.query<{ type: string }>(
      `SELECT type FROM events WHERE stream_id = $1 ORDER BY stream_version`,
      [streamId],
    )
  ).rows.map((r) => r.type);

const countEvents = async (t: TestApp) =>
  Number((await t.runtime.pool.query(`SELECT count(*) AS n FROM events`)).rows[0].n);

describe('alert ingestion', () => {
  let t: TestApp;
  const integration = async (type: string, service = `svc-${randomUUID().slice(0, 8)}`) => {
    const res = await t.call('POST', '/v1/integrations', { body: { name: `${type} test`, service, type } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { id: string; key: string; service: string };
  };
  const pd = (key: string, event: Record<string, unknown>) =>
    t.call('POST', '/v2/enqueue', { key: null, body: { routing_key: key, ...event } });
  const incidentsOf = async (service: string) =>
    (
      await t.runtime.pool.query<{ stream_id: string }>(
        `SELECT DISTINCT stream_id FROM events WHERE type = 'IncidentOpened' AND data->>'service' = $1`,
        [service],
      )
    ).rows.map((r) => r.stream_id);

  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('manages integrations: 32-character key shown once, rotate, disable, admin only', async () => {
    const created = await integration('pagerduty');
    assert.match(created.key, /^[0-9a-f]{32}$/);
    const listed = await t.call('GET', '/v1/integrations');
    const mine = listed.body.items.find((i: { id: string }) => i.id === created.id);
    assert.equal(mine.key, undefined, 'the key is never listed');
    const writer = await t.keyWith('incidents:write');
    assert.equal((await t.call('GET', '/v1/integrations', { key: writer })).status, 403);
    const bad = await t.call('POST', '/v1/integrations', {
      body: { name: '', service: 'x y', type: 'nagios' },
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(
      new Set(bad.body.errors.map((e: { field: string }) => e.field)),
      new Set(['name', 'service', 'type']),
    );

    const event = { event_action: 'trigger', payload: { summary: 's', source: 'h', severity: 'info' } };
    assert.equal((await pd(created.key, event)).status, 202);
    const rotated = await t.call('POST', `/v1/integrations/${created.id}/rotate`);
    assert.equal((await pd(created.key, event)).status, 404, 'the old key stops at once');
    assert.equal((await pd(rotated.body.key, event)).status, 202);
    await t.call('PATCH', `/v1/integrations/${created.id}`, { body: { disabled: true } });
    assert.equal((await pd(rotated.body.key, event)).status, 404);
  });

  it('PagerDuty v2: trigger opens, repeats count, resolve resolves, a later trigger opens a new incident', async () => {
    const { key, service } = await integration('pagerduty');
    const trigger = {
      event_action: 'trigger',
      dedup_key: 'srv01/mysql',
      payload: {
        summary: 'DISK at 99% on prod-datapipe03',
        source: 'prod-datapipe03',
        severity: 'critical',
        custom_details: { n: 1 },
      },
    };
    const first = await pd(key, trigger);
    assert.equal(first.status, 202);
    assert.deepEqual(first.body, { status: 'success', message: 'Event processed', dedup_key: 'srv01/mysql' });
    const again = await pd(key, { ...trigger, payload: { ...trigger.payload, custom_details: { n: 2 } } });
    assert.equal(again.status, 202);
    const [incidentStream] = await incidentsOf(service);
    assert.ok(incidentStream);
    assert.deepEqual(await eventTypes(t, incidentStream), ['IncidentOpened', 'AlertAttached']);
    const incidentId = incidentStream.slice('incident-'.length);
    const incident = await t.call('GET', `/v1/incidents/${incidentId}`);
    assert.equal(incident.body.severity, 'SEV1');
    assert.equal(incident.body.title, 'DISK at 99% on prod-datapipe03');

    assert.equal((await pd(key, { event_action: 'acknowledge', dedup_key: 'srv01/mysql' })).status, 202);
    assert.equal((await pd(key, { event_action: 'resolve', dedup_key: 'srv01/mysql' })).status, 202);
    const resolved = await t.call('GET', `/v1/incidents/${incidentId}`);
    assert.equal(resolved.body.status, 'resolved');

    const before = await countEvents(t);
    assert.equal((await pd(key, { event_action: 'resolve', dedup_key: 'never-seen' })).status, 202);
    assert.equal((await pd(key, { event_action: 'acknowledge', dedup_key: 'never-seen' })).status, 202);
    assert.equal(await countEvents(t), before, 'ack and resolve for unknown keys are accepted and dropped');

    await pd(key, { ...trigger, payload: { ...trigger.payload, custom_details: { n: 3 } } });
    assert.equal((await incidentsOf(service)).length, 2, 'a trigger after resolution opens a new incident');
    const group = alertGroupStreamId((await t.runtime.integrations.byKey(key))!.id, 'srv01/mysql');
    assert.deepEqual(await eventTypes(t, group), [
      'AlertTriggered',
      'AlertRepeated',
      'AlertAcknowledged',
      'AlertResolved',
      'AlertTriggered',
    ]);
  });

  it('PagerDuty v2: generates a dedup key, answers a retried payload with the same answer and appends nothing', async () => {
    const { key } = await integration('pagerduty');
    const event = {
      event_action: 'trigger',
      payload: { summary: 'no key', source: 'h', severity: 'warning' },
    };
    const first = await pd(key, event);
    assert.equal(first.status, 202);
    assert.ok(first.body.dedup_key);
    const before = await countEvents(t);
    const retry = await pd(key, event);
    assert.deepEqual(retry.body, first.body);
    assert.equal(await countEvents(t), before);
  });

  it("PagerDuty v2: invalid events get PagerDuty's 400 body; unknown keys 404; nothing is stored", async () => {
    const { key } = await integration('pagerduty');
    const before = await countEvents(t);
    const invalid = await pd(key, { event_action: 'explode', payload: { summary: 's' } });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.status, 'invalid event');
    assert.equal(invalid.body.message, 'Event object is invalid');
    assert.ok(invalid.body.errors.length >= 1);
    const shortKey = await t.call('POST', '/v2/enqueue', {
      key: null,
      body: {
        routing_key: 'abc',
        event_action: 'trigger',
        payload: { summary: 's', source: 'h', severity: 'info' },
      },
    });
    assert.equal(shortKey.status, 400);
    assert.ok(shortKey.body.errors.some((e: string) => /routing_key/.test(e)));
    const unknown = await pd('0'.repeat(32), {
      event_action: 'trigger',
      payload: { summary: 's', source: 'h', severity: 'info' },
    });
    assert.equal(unknown.status, 404);
    const malformed = await t.call('POST', '/v2/enqueue', { key: null, rawBody: '{"routing_key":' });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.status, 'invalid event');
    const huge = await pd(key, {
      event_action: 'trigger',
      payload: { summary: 's', source: 'h', severity: 'info', custom_details: { x: 'y'.repeat(600 * 1024) } },
    });
    assert.equal(huge.status, 413);
    assert.equal(await countEvents(t), before);
  });

  it('50 concurrent deliveries of one alert: one incident, one AlertAttached, 49 repeats', async () => {
    const { key, service, id } = await integration('pagerduty');
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, n) =>
        pd(key, {
          event_action: 'trigger',
          dedup_key: 'checkout/5xx',
          payload: {
            summary: 'Checkout 5xx above 2%',
            source: 'lb-1',
            severity: 'error',
            custom_details: { delivery: n },
          },
        }),
      ),
    );
    assert.deepEqual(new Set(responses.map((r) => r.status)), new Set([202]));
    const incidents = await incidentsOf(service);
    assert.equal(incidents.length, 1);
    assert.deepEqual(await eventTypes(t, incidents[0]!), ['IncidentOpened', 'AlertAttached']);
    const group = await eventTypes(t, alertGroupStreamId(id, 'checkout/5xx'));
    assert.equal(group.filter((g) => g === 'AlertTriggered').length, 1);
    assert.equal(group.filter((g) => g === 'AlertRepeated').length, 49);
  });

  it('Alertmanager: one incident per group, resends change nothing, resolution resolves it', async () => {
    const { key, service } = await integration('alertmanager');
    const alert = (fingerprint: string, instance: string, status: string) => ({
      status,
      labels: { alertname: 'ProbeFailure', instance, severity: 'critical' },
      annotations: { summary: 'BlackBox Probe Failure' },
      startsAt: '2026-02-06T13:08:45.828Z',
      endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-02-06T13:20:00.000Z',
      generatorURL: 'http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0',
      fingerprint,
    });
    // The reference payload's shape (Alertmanager webhook version 4), with two alerts in the group.
    const payload = (status: string) => ({
      receiver: 'vigil',
      status,
      alerts: [
        alert('1a30ba71cca2921f', 'https://a.example.org', status),
        alert('2b41cb82ddb3032a', 'https://b.example.org', status),
      ],
      groupLabels: { alertname: 'ProbeFailure' },
      commonLabels: { alertname: 'ProbeFailure', severity: 'critical' },
      commonAnnotations: { summary: 'BlackBox Probe Failure' },
      externalURL: 'http://alertmanager.example.org:9093',
      version: '4',
      groupKey: '{}/{severity="critical"}:{alertname="ProbeFailure"}',
      truncatedAlerts: 0,
    });
    const firing = await t.call('POST', `/v1/integrations/${key}/alertmanager`, {
      key: null,
      body: payload('firing'),
    });
    assert.equal(firing.status, 202, JSON.stringify(firing.body));
    const [incident] = await incidentsOf(service);
    assert.ok(incident);
    assert.deepEqual(await eventTypes(t, incident), ['IncidentOpened', 'AlertAttached', 'AlertAttached']);
    const before = await countEvents(t);
    // Alertmanager re-sends the whole group; with one alert's timestamp field reordered it is still the same facts.
    const resend = payload('firing');
    await t.call('POST', `/v1/integrations/${key}/alertmanager`, {
      key: null,
      body: { ...resend, truncatedAlerts: 0, receiver: 'vigil' },
    });
    await t.call('POST', `/v1/integrations/${key}/alertmanager`, {
      key: null,
      body: { ...resend, receiver: 'vigil-ha-peer' },
    });
    assert.equal(await countEvents(t), before, 'the same alert facts append nothing');
    const resolved = await t.call('POST', `/v1/integrations/${key}/alertmanager`, {
      key: null,
      body: payload('resolved'),
    });
    assert.equal(resolved.status, 202);
    const detail = await t.call('GET', `/v1/incidents/${incident.slice('incident-'.length)}`);
    assert.equal(detail.body.status, 'resolved');
    assert.equal((await incidentsOf(service)).length, 1);
  });

  it('a payload sent again is known by its bytes before parsing, or by its content when they differ', async () => {
    const { key } = await integration('alertmanager');
    const known = async (by: string) =>
      (await t.runtime.metrics.ingestKnownPayloads.get()).values.find((v) => v.labels.by === by)?.value ?? 0;
    const [bytes, receipt] = [await known('bytes'), await known('receipt')];
    const payload = {
      version: '4',
      status: 'firing',
      receiver: 'vigil',
      groupKey: `{}:{alertname="${key}"}`,
      groupLabels: { alertname: key },
      commonLabels: {},
      commonAnnotations: {},
      externalURL: 'http://alertmanager.example.org:9093',
      truncatedAlerts: 0,
      alerts: [
        {
          status: 'firing',
          labels: { alertname: key },
          annotations: {},
          startsAt: '2026-02-06T13:08:45.828Z',
          endsAt: '0001-01-01T00:00:00Z',
          fingerprint: 'ab12cd34ef56ab78',
        },
      ],
    };
    const send = (rawBody: string) =>
      t.call('POST', `/v1/integrations/${key}/alertmanager`, {
        key: null,
        rawBody,
        headers: { 'content-type': 'application/json' },
      });
    const first = await send(JSON.stringify(payload));
    assert.equal(first.status, 202, JSON.stringify(first.body));
    const events = await countEvents(t);
    const same = await send(JSON.stringify(payload));
    assert.deepEqual([same.status, same.body], [first.status, first.body]);
    assert.equal(await known('bytes'), bytes + 1, 'the same bytes are known before parsing');
    // Other bytes, same content (indented): parsed, then known by the receipt.
    const indented = await send(JSON.stringify(payload, null, 2));
    assert.deepEqual([indented.status, indented.body], [first.status, first.body]);
    assert.equal(await known('receipt'), receipt + 1);
    assert.equal(await countEvents(t), events, 'neither appended anything');
  });

  it('Vigil JSON: fires and resolves; bad bodies name their fields; a key of another type is unknown here', async () => {
    const { key, service } = await integration('generic');
    const fired = await t.call('POST', `/v1/integrations/${key}/alerts`, {
      key: null,
      body: {
        dedupKey: 'queue-depth',
        summary: 'Queue depth above 10k',
        severity: 'SEV2',
        labels: { queue: 'orders' },
      },
    });
    assert.equal(fired.status, 202, JSON.stringify(fired.body));
    const [incident] = await incidentsOf(service);
    assert.ok(incident);
    await t.call('POST', `/v1/integrations/${key}/alerts`, {
      key: null,
      body: { dedupKey: 'queue-depth', summary: 'Queue depth above 10k', status: 'resolved' },
    });
    assert.equal(
      (await t.call('GET', `/v1/incidents/${incident.slice('incident-'.length)}`)).body.status,
      'resolved',
    );

    const before = await countEvents(t);
    const bad = await t.call('POST', `/v1/integrations/${key}/alerts`, {
      key: null,
      body: { severity: 'SEV9' },
    });
    assert.equal(bad.status, 400);
    assert.match(bad.headers.get('content-type') ?? '', /problem\+json/);
    assert.ok(bad.body.errors.length >= 2);
    assert.equal(
      (
        await t.call('POST', `/v1/integrations/${key}/alertmanager`, {
          key: null,
          body: { version: '4', alerts: [] },
        })
      ).status,
      404,
    );
    assert.equal(
      (await t.call('POST', `/v1/integrations/${'f'.repeat(32)}/alerts`, { key: null, body: {} })).status,
      404,
    );
    assert.equal(await countEvents(t), before);
  });
});
