import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.js';

const declare = (t: TestApp, overrides: Record<string, unknown> = {}) =>
  t.call('POST', '/v1/incidents', {
    body: {
      title: 'Checkout returns 502',
      severity: 'SEV2',
      service: `checkout-${randomUUID().slice(0, 8)}`,
      ...overrides,
    },
  });

describe('incidents over HTTP', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('declares an incident: 201, Location, ETag and the incident with its id', async () => {
    const res = await declare(t, { summary: 'Error rate 30%', impactStartedAt: '2026-01-01T00:00:00Z' });
    assert.equal(res.status, 201);
    assert.match(res.body.id, /^[0-9a-f-]{36}$/);
    assert.equal(res.headers.get('location'), `/v1/incidents/${res.body.id}`);
    assert.equal(res.headers.get('etag'), '"1"');
    assert.equal(res.body.status, 'triggered');
    assert.equal(res.body.severity, 'SEV2');
    assert.equal(res.body.milestones.impactStartedAt, '2026-01-01T00:00:00.000Z');
    const got = await t.call('GET', `/v1/incidents/${res.body.id}`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, res.body);
  });

  it('runs the whole lifecycle, one route per command, and records every step as an event', async () => {
    const { body: incident } = await declare(t);
    const id = incident.id;
    const steps: Array<[string, unknown, string]> = [
      ['acknowledge', undefined, 'acknowledged'],
      ['roles', { role: 'commander', assignee: 'alice' }, 'acknowledged'],
      ['severity', { severity: 'SEV1', reason: 'all regions' }, 'acknowledged'],
      ['diagnoses', { diagnosis: 'payments-db pool exhausted' }, 'investigating'],
      ['remediations', { action: 'raise pool size' }, 'investigating'],
      ['status-updates', { message: 'Recovering' }, 'investigating'],
      ['notes', { text: 'pool size was 10' }, 'investigating'],
      ['mitigate', { summary: 'errors below 1%' }, 'mitigated'],
      ['resolve', { summary: 'pool raised to 50' }, 'resolved'],
    ];
    for (const [route, body, status] of steps) {
      const res = await t.call('POST', `/v1/incidents/${id}/${route}`, { body });
      assert.equal(res.status, 200, `${route}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.status, status, route);
    }
    const final = await t.call('GET', `/v1/incidents/${id}`);
    assert.equal(final.body.severity, 'SEV1');
    assert.equal(final.body.roles.commander, 'alice');
    assert.equal(final.body.lastStatusUpdate.message, 'Recovering');
    assert.ok(final.body.durations.mttrMs >= 0);

    const events = await t.call('GET', `/v1/incidents/${id}/events`);
    assert.deepEqual(
      events.body.items.map((e: { type: string }) => e.type),
      [
        'IncidentOpened',
        'IncidentAcknowledged',
        'IncidentRoleAssigned',
        'IncidentSeverityChanged',
        'IncidentDiagnosisRecorded',
        'IncidentRemediationStarted',
        'IncidentStatusUpdatePosted',
        'IncidentNoteAdded',
        'IncidentMitigated',
        'IncidentResolved',
      ],
    );
    assert.deepEqual(
      events.body.items.map((e: { version: number }) => e.version),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    for (const e of events.body.items) {
      assert.equal(e.metadata.source, 'api');
      assert.equal(e.metadata.actor.kind, 'api-key');
      assert.ok(e.occurredAt);
    }

    const resolveAgain = await t.call('POST', `/v1/incidents/${id}/resolve`, { body: {} });
    assert.equal(resolveAgain.status, 409);
    assert.match(resolveAgain.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(resolveAgain.body.code, 'IncidentAlreadyResolved');

    const ackResolved = await t.call('POST', `/v1/incidents/${id}/acknowledge`);
    assert.equal(ackResolved.status, 409);

    const reopened = await t.call('POST', `/v1/incidents/${id}/reopen`, {
      body: { reason: 'errors are back' },
    });
    assert.equal(reopened.body.status, 'triggered');
    assert.equal(reopened.body.reopenCount, 1);
    const ackAgain = await t.call('POST', `/v1/incidents/${id}/acknowledge`);
    assert.equal(ackAgain.body.status, 'acknowledged');
    assert.equal(
      ackAgain.body.milestones.acknowledgedAt,
      final.body.milestones.acknowledgedAt,
      'MTTA keeps the first ack',
    );

    // The timeline is a read model: it waits a little for the worker, then answers what it has.
    await t.runtime.subscriptions.catchUpAll();
    const timeline = await t.call('GET', `/v1/incidents/${id}/timeline`);
    assert.equal(timeline.status, 200);
    assert.equal(timeline.body.items.length, 12);
    assert.match(timeline.body.items[1].summary, /^Acknowledged by test admin$/);

    const verify = await t.call('GET', `/v1/incidents/${id}/verify`);
    assert.equal(verify.body.valid, true);
    assert.equal(verify.body.events, 12);
  });

  it('corrects a milestone without editing history: metrics move, the timeline keeps both', async () => {
    const { body: incident } = await declare(t, { impactStartedAt: '2026-11-01T10:00:00Z' });
    const before = incident.durations.mttdMs;
    const res = await t.call('POST', `/v1/incidents/${incident.id}/milestones`, {
      body: {
        milestone: 'impactStarted',
        to: '2026-11-01T09:40:00Z',
        reason: 'users reported errors 20 min earlier',
      },
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.milestones.impactStartedAt, '2026-11-01T09:40:00.000Z');
    assert.equal(res.body.durations.mttdMs, before + 20 * 60_000);
    const events = await t.call('GET', `/v1/incidents/${incident.id}/events`);
    assert.equal(
      events.body.items[0].data.impactStartedAt,
      '2026-11-01T10:00:00.000Z',
      'the original fact is untouched',
    );
    assert.deepEqual(
      { ...events.body.items[1].data, incidentId: undefined, correctedBy: undefined },
      {
        incidentId: undefined,
        correctedBy: undefined,
        milestone: 'impactStarted',
        from: '2026-11-01T10:00:00.000Z',
        to: '2026-11-01T09:40:00.000Z',
        reason: 'users reported errors 20 min earlier',
      },
    );
    await t.runtime.subscriptions.catchUpAll();
    const timeline = await t.call('GET', `/v1/incidents/${incident.id}/timeline`);
    assert.match(
      timeline.body.items[1].summary,
      /Impact started corrected from 2026-11-01T10:00:00.000Z to 2026-11-01T09:40:00.000Z/,
    );

    const backwards = await t.call('POST', `/v1/incidents/${incident.id}/milestones`, {
      body: { milestone: 'impactStarted', to: '2099-01-01T00:00:00Z', reason: 'typo' },
    });
    assert.equal(backwards.status, 422);
  });

  it('answers 412 to a stale If-Match and applies a current one', async () => {
    const { body: incident } = await declare(t);
    const stale = await t.call('POST', `/v1/incidents/${incident.id}/notes`, {
      body: { text: 'x' },
      headers: { 'if-match': '"7"' },
    });
    assert.equal(stale.status, 412);
    assert.equal(stale.body.currentVersion, 1);
    const current = await t.call('POST', `/v1/incidents/${incident.id}/notes`, {
      body: { text: 'x' },
      headers: { 'if-match': '"1"' },
    });
    assert.equal(current.status, 200);
    assert.equal(current.headers.get('etag'), '"2"');
    const raced = await t.call('POST', `/v1/incidents/${incident.id}/acknowledge`, {
      headers: { 'if-match': '"1"' },
    });
    assert.equal(raced.status, 412);
  });

  it('a retried request with the same Idempotency-Key appends nothing and answers the first result', async () => {
    const key = randomUUID();
    const body = { title: 'Search is slow', severity: 'SEV3', service: 'search' };
    const [a, b, c] = await Promise.all([
      t.call('POST', '/v1/incidents', { body, headers: { 'idempotency-key': key } }),
      t.call('POST', '/v1/incidents', { body, headers: { 'idempotency-key': key } }),
      t.call('POST', '/v1/incidents', { body, headers: { 'idempotency-key': key } }),
    ]);
    assert.deepEqual([a.status, b.status, c.status], [201, 201, 201]);
    assert.equal(b.body.id, a.body.id);
    assert.equal(c.body.id, a.body.id);
    const { rows } = await t.runtime.pool.query(
      `SELECT count(*)::int AS n FROM events WHERE stream_id = $1`,
      [`incident-${a.body.id}`],
    );
    assert.equal(rows[0].n, 1);

    const ack1 = await t.call('POST', `/v1/incidents/${a.body.id}/acknowledge`, {
      headers: { 'idempotency-key': `${key}-ack` },
    });
    await t.call('POST', `/v1/incidents/${a.body.id}/notes`, { body: { text: 'later' } });
    const ack2 = await t.call('POST', `/v1/incidents/${a.body.id}/acknowledge`, {
      headers: { 'idempotency-key': `${key}-ack` },
    });
    assert.deepEqual(ack2.body, ack1.body, 'the replay answers the state the first request produced');

    const reused = await t.call('POST', '/v1/incidents', {
      body: { ...body, title: 'Something else' },
      headers: { 'idempotency-key': key },
    });
    assert.equal(reused.status, 422);
  });

  it('lists with filters and cursor pagination', async () => {
    const service = `list-${randomUUID().slice(0, 8)}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await declare(t, { service, severity: i % 2 ? 'SEV1' : 'SEV3' });
      ids.push(res.body.id);
    }
    await t.call('POST', `/v1/incidents/${ids[0]}/resolve`, { body: {} });
    await t.runtime.subscriptions.catchUpAll();

    const page1 = await t.call('GET', `/v1/incidents?service=${service}&limit=2`);
    assert.equal(page1.status, 200);
    assert.equal(page1.body.items.length, 2);
    assert.ok(page1.body.nextCursor);
    const page2 = await t.call(
      'GET',
      `/v1/incidents?service=${service}&limit=2&cursor=${page1.body.nextCursor}`,
    );
    const page3 = await t.call(
      'GET',
      `/v1/incidents?service=${service}&limit=2&cursor=${page2.body.nextCursor}`,
    );
    assert.equal(page3.body.nextCursor, null);
    const all = [...page1.body.items, ...page2.body.items, ...page3.body.items].map(
      (i: { id: string }) => i.id,
    );
    assert.deepEqual(new Set(all), new Set(ids));
    assert.equal(all.length, 5);

    const sev1 = await t.call('GET', `/v1/incidents?service=${service}&severity=SEV1`);
    assert.deepEqual(
      sev1.body.items.map((i: { severity: string }) => i.severity),
      ['SEV1', 'SEV1'],
    );
    const resolved = await t.call('GET', `/v1/incidents?service=${service}&status=resolved`);
    assert.deepEqual(
      resolved.body.items.map((i: { id: string }) => i.id),
      [ids[0]],
    );
    const open = await t.call('GET', `/v1/incidents?service=${service}&status=triggered,acknowledged`);
    assert.equal(open.body.items.length, 4);
    const future = await t.call('GET', `/v1/incidents?service=${service}&from=2999-01-01T00:00:00Z`);
    assert.deepEqual(future.body.items, []);
  });

  it('serves health, readiness and the OpenAPI document without a key', async () => {
    assert.deepEqual((await t.call('GET', '/healthz', { key: null })).body, { status: 'ok' });
    const ready = await t.call('GET', '/readyz', { key: null });
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body.checks, { database: 'up', migrations: 'applied' });
    const docs = await t.call('GET', '/docs-json', { key: null });
    assert.equal(docs.status, 200);
    assert.ok(docs.body.paths['/v1/incidents/{id}/acknowledge']);
    assert.ok(docs.body.paths['/v1/incidents/{id}/verify']);
  });

  it('serves metrics to a key with metrics:read (or admin) only', async () => {
    const none = await t.call('GET', '/metrics', { key: null });
    assert.equal(none.status, 401);
    assert.doesNotMatch(JSON.stringify(none.body), /vigil_/);
    const reader = await t.call('GET', '/metrics', { key: await t.keyWith('incidents:read') });
    assert.equal(reader.status, 403);
    assert.match(reader.body.detail, /metrics:read/);
    assert.equal((await t.call('GET', '/metrics')).status, 200, 'an admin key');
    const metrics = await t.call('GET', '/metrics', { key: await t.keyWith('metrics:read') });
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(metrics.body, /vigil_http_request_duration_seconds_bucket/);
    assert.match(metrics.body, /vigil_events_appended_total \d+/);
    assert.match(metrics.body, /vigil_subscription_lag_events\{subscription="incidents@1"\} \d+/);
  });

  it('counts the time its event loop is busy, and not the time it waits', async () => {
    const busySeconds = async () => {
      const metrics = await t.call('GET', '/metrics');
      const value = /^vigil_event_loop_busy_seconds_total (\S+)$/m.exec(metrics.body)?.[1];
      assert.ok(value !== undefined, 'the metric is exposed');
      return Number(value);
    };
    // The app runs in this process: keeping this thread busy keeps its event loop busy.
    const first = await busySeconds();
    const spinUntil = performance.now() + 200;
    while (performance.now() < spinUntil);
    const afterWork = await busySeconds();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const afterWait = await busySeconds();
    assert.ok(afterWork - first >= 0.19, `200 ms of work counted ${afterWork - first} s`);
    assert.ok(afterWait - afterWork < 0.4, `500 ms of waiting counted ${afterWait - afterWork} s`);
  });
});
