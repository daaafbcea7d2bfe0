import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type CallResult, type TestApp } from '../support/app.js';

// Source: Grafana docs, "Configure the webhook notifier for Alerting", example JSON body (one alert
// of the two, `message` shortened), as in the Grafana adapter's unit tests.
const payload = (fingerprint = 'c6eadffa33fcdf37') => ({
  receiver: 'My Super Webhook',
  status: 'firing',
  orgId: 1,
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'High memory usage', team: 'blue', zone: 'us-1' },
      annotations: {
        description: 'The system has high memory usage',
        runbook_url: 'https://myrunbook.com/runbook/1234',
        summary: 'This alert was triggered for zone us-1',
      },
      startsAt: '2021-10-12T09:51:03.157076+02:00',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'https://play.grafana.org/alerting/1afz29v7z/edit',
      fingerprint,
      silenceURL: 'https://play.grafana.org/alerting/silence/new?alertmanager=grafana',
      dashboardURL: '',
      panelURL: '',
      values: { B: 44.23943737541908, C: 1 },
    },
  ],
  groupLabels: {},
  commonLabels: { team: 'blue' },
  commonAnnotations: {},
  externalURL: 'https://play.grafana.org/',
  version: '1',
  groupKey: '{}:{}',
  truncatedAlerts: 0,
  title: '[FIRING:1]  (blue)',
  state: 'alerting',
  message: '**Firing**',
});

const SECRET = 'grafana-shared-secret';
const sign = (body: string, secret = SECRET, timestamp?: string) =>
  createHmac('sha256', secret)
    .update(timestamp === undefined ? body : `${timestamp}:${body}`)
    .digest('hex');

const isProblem = (res: CallResult, status: number) => {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
};

describe('Grafana webhook HMAC signatures', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  const countEvents = async () =>
    Number((await t.runtime.pool.query(`SELECT count(*) AS n FROM events`)).rows[0].n);

  const integration = async (secret?: string) => {
    const res = await t.call('POST', '/v1/integrations', {
      body: {
        name: 'Grafana test',
        service: `gf-${randomUUID().slice(0, 8)}`,
        type: 'grafana',
        ...(secret === undefined ? {} : { secret }),
      },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { id: string; key: string; hasSecret: boolean };
  };

  const post = (key: string, body: string, headers: Record<string, string> = {}) =>
    t.call('POST', `/v1/integrations/${key}/grafana`, { key: null, rawBody: body, headers });

  it('never shows the secret, only whether there is one', async () => {
    const created = await t.call('POST', '/v1/integrations', {
      body: { name: 'gf', service: 'gf', type: 'grafana', secret: SECRET },
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.hasSecret, true);
    const shown = [
      created.body,
      (await t.call('GET', `/v1/integrations/${created.body.id}`)).body,
      (await t.call('GET', '/v1/integrations')).body,
      (await t.call('POST', `/v1/integrations/${created.body.id}/rotate`)).body,
      (await t.call('PATCH', `/v1/integrations/${created.body.id}`, { body: { name: 'gf2' } })).body,
    ];
    for (const body of shown) assert.ok(!JSON.stringify(body).includes(SECRET), JSON.stringify(body));
  });

  it('takes a request signed over its raw bytes, with the documented header or the one in code', async () => {
    const { key } = await integration(SECRET);
    // Spacing JSON.stringify would not reproduce: the signature is over the bytes as sent.
    const body = JSON.stringify(payload(), null, 3) + '\n';
    const res = await post(key, body, { 'x-grafana-alerting-signature': sign(body) });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.deepEqual(res.body, { status: 'accepted', alerts: 1 });
    const other = JSON.stringify(payload('0000000000000001'));
    assert.equal((await post(key, other, { 'X-Grafana-Alert-Signature': sign(other) })).status, 202);
  });

  it('takes a timestamped signature within five minutes and refuses an older or later one', async () => {
    const { key } = await integration(SECRET);
    const body = JSON.stringify(payload('0000000000000002'));
    const now = Math.floor(Date.now() / 1000);
    const signed = (ts: number) => ({
      'x-grafana-alerting-signature': sign(body, SECRET, String(ts)),
      'x-grafana-alerting-signature-timestamp': String(ts),
    });
    const before = await countEvents();
    isProblem(await post(key, body, signed(now - 6 * 60)), 401);
    isProblem(await post(key, body, signed(now + 6 * 60)), 401);
    // The timestamp is signed: changing it breaks the signature.
    isProblem(
      await post(key, body, {
        ...signed(now - 6 * 60),
        'x-grafana-alerting-signature-timestamp': String(now),
      }),
      401,
    );
    assert.equal(await countEvents(), before);
    assert.equal((await post(key, body, signed(now - 60))).status, 202);
    const alt = JSON.stringify(payload('0000000000000003'));
    const res = await post(key, alt, {
      'x-grafana-alerting-signature': sign(alt, SECRET, String(now)),
      'x-grafana-alerting-timestamp': String(now),
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
  });

  it('refuses a missing or wrong signature with 401 and stores nothing', async () => {
    const { key } = await integration(SECRET);
    const body = JSON.stringify(payload());
    const before = await countEvents();
    isProblem(await post(key, body), 401);
    isProblem(await post(key, body, { 'x-grafana-alerting-signature': '' }), 401);
    isProblem(await post(key, body, { 'x-grafana-alerting-signature': sign(body, 'another secret') }), 401);
    isProblem(await post(key, body, { 'x-grafana-alerting-signature': sign(`${body} `) }), 401);
    isProblem(await post(key, `${body} `, { 'x-grafana-alerting-signature': sign(body) }), 401);
    isProblem(await post(key, body, { 'x-grafana-alerting-signature': `sha256=${sign(body)}` }), 401);
    // Invalid too when the body is not an alert at all: the signature is checked first.
    isProblem(await post(key, '{"x":1}', { 'x-grafana-alerting-signature': 'ab'.repeat(32) }), 401);
    assert.equal(await countEvents(), before);
  });

  it('takes unsigned requests when the integration has no secret, and follows PATCH', async () => {
    const { id, key, hasSecret } = await integration();
    assert.equal(hasSecret, false);
    const first = JSON.stringify(payload('0000000000000004'));
    assert.equal((await post(key, first)).status, 202);

    const set = await t.call('PATCH', `/v1/integrations/${id}`, { body: { secret: SECRET } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal(set.body.hasSecret, true);
    const second = JSON.stringify(payload('0000000000000005'));
    isProblem(await post(key, second), 401);
    assert.equal((await post(key, second, { 'x-grafana-alerting-signature': sign(second) })).status, 202);

    const cleared = await t.call('PATCH', `/v1/integrations/${id}`, { body: { secret: null } });
    assert.equal(cleared.body.hasSecret, false);
    assert.equal((await post(key, JSON.stringify(payload('0000000000000006')))).status, 202);
  });

  it('refuses a secret on integrations that do not check one', async () => {
    const res = await t.call('POST', '/v1/integrations', {
      body: { name: 'am', service: 'am', type: 'alertmanager', secret: SECRET },
    });
    isProblem(res, 400);
    assert.equal(res.body.errors[0].field, 'secret');
    isProblem(
      await t.call('POST', '/v1/integrations', {
        body: { name: 'gf', service: 'gf', type: 'grafana', secret: '' },
      }),
      400,
    );
  });
});
