import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type CallResult, type TestApp } from '../support/app.js';

const isProblem = (res: CallResult, status: number) => {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(res.body.status, status);
  assert.equal(typeof res.body.title, 'string');
  assert.equal(typeof res.body.detail, 'string');
  assert.ok(res.body.detail.length > 0);
  assert.match(res.body.type, /^https:\/\//);
};

const WRITE_ROUTES = [
  'acknowledge',
  'diagnoses',
  'remediations',
  'mitigate',
  'resolve',
  'reopen',
  'notes',
  'status-updates',
  'severity',
  'roles',
  'milestones',
];

describe('bad input gets a clear 4xx and stores nothing', () => {
  let t: TestApp;
  let incidentId: string;
  const eventCount = async () =>
    Number((await t.runtime.pool.query(`SELECT count(*) AS n FROM events`)).rows[0].n);

  before(async () => {
    t = await startTestApp();
    const res = await t.call('POST', '/v1/incidents', {
      body: { title: 'x', severity: 'SEV4', service: 'fuzz' },
    });
    incidentId = res.body.id;
  });
  after(() => t.close());

  it('401 without a key or with a wrong one, 403 without the scope', async () => {
    const none = await t.call('GET', '/v1/incidents', { key: null });
    isProblem(none, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    isProblem(await t.call('GET', '/v1/incidents', { key: 'vgl_wrongwrongwrongwrongwrongwrongwr' }), 401);
    isProblem(await t.call('GET', '/v1/incidents', { key: 'not a key at all' }), 401);
    const reader = await t.keyWith('incidents:read');
    assert.equal((await t.call('GET', '/v1/incidents', { key: reader })).status, 200);
    const before = await eventCount();
    const denied = await t.call('POST', '/v1/incidents', {
      key: reader,
      body: { title: 'x', severity: 'SEV1', service: 's' },
    });
    isProblem(denied, 403);
    assert.match(denied.body.detail, /incidents:write/);
    assert.equal(await eventCount(), before);
    const revoked = await t.runtime.apiKeys.create('short-lived', ['admin']);
    await t.runtime.apiKeys.revoke(revoked.record.id);
    isProblem(await t.call('GET', '/v1/incidents', { key: revoked.key }), 401);
  });

  it('names every invalid field', async () => {
    const res = await t.call('POST', '/v1/incidents', { body: { severity: 'SEV9', service: '', extra: 1 } });
    isProblem(res, 400);
    const fields = new Set(res.body.errors.map((e: { field: string }) => e.field));
    for (const f of ['title', 'severity', 'service', 'extra'])
      assert.ok(fields.has(f), `${f} in ${[...fields].join(',')}`);
  });

  it('400 for malformed JSON, non-object bodies, NUL characters, bad ids, cursors and headers', async () => {
    const before = await eventCount();
    isProblem(await t.call('POST', '/v1/incidents', { rawBody: '{"title": "x",' }), 400);
    isProblem(await t.call('POST', '/v1/incidents', { rawBody: 'null' }), 400);
    isProblem(await t.call('POST', '/v1/incidents', { rawBody: '[1,2]' }), 400);
    isProblem(await t.call('POST', '/v1/incidents', { rawBody: '"text"' }), 400);
    isProblem(
      await t.call('POST', '/v1/incidents', { body: { title: 'a\u0000b', severity: 'SEV1', service: 's' } }),
      400,
    );
    isProblem(await t.call('GET', '/v1/incidents/not-a-uuid'), 400);
    isProblem(await t.call('GET', '/v1/incidents?cursor=garbage'), 400);
    isProblem(await t.call('GET', '/v1/incidents?limit=0'), 400);
    isProblem(await t.call('GET', '/v1/incidents?limit=abc'), 400);
    isProblem(await t.call('GET', '/v1/incidents?status=sleeping'), 400);
    isProblem(await t.call('GET', '/v1/incidents?from=yesterday'), 400);
    isProblem(await t.call('GET', '/v1/incidents?from=2026-12-01&to=2026-01-01'), 400);
    isProblem(await t.call('GET', '/v1/incidents?service=%00'), 400);
    isProblem(
      await t.call('POST', `/v1/incidents/${incidentId}/notes`, {
        body: { text: 'x' },
        headers: { 'if-match': 'banana' },
      }),
      400,
    );
    isProblem(
      await t.call('POST', `/v1/incidents/${incidentId}/notes`, {
        body: { text: 'x' },
        headers: { 'idempotency-key': 'x'.repeat(300) },
      }),
      400,
    );
    isProblem(
      await t.call('POST', '/v1/incidents', {
        rawBody: 'title=x',
        headers: { 'content-type': 'text/plain' },
      }),
      415,
    );
    assert.equal(await eventCount(), before);
  });

  it('400 for a body nested deeper than 64 levels, on the REST routes and the receivers alike', async () => {
    /** JSON of objects `depth` deep, written out (JSON.stringify itself overflows on thousands). */
    const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const before = await eventCount();
    // Thousands deep, these overflowed the stack of validation (a 500 on every DTO route) and of
    // the canonical JSON an event's hash seals (a 500 from PagerDuty's receiver).
    isProblem(await t.call('POST', '/v1/incidents', { rawBody: nested(5000) }), 400);
    const tooDeep = await t.call('POST', '/v1/incidents', {
      rawBody: `{"title":"x","severity":"SEV4","service":"deep","summary":${nested(3000)}}`,
    });
    isProblem(tooDeep, 400);
    assert.match(tooDeep.body.detail, /more than 64 levels deep/);
    const { key } = await t.runtime.integrations.create({ name: 'deep', service: 'deep', type: 'pagerduty' });
    const event = (details: string) =>
      `{"routing_key":"${key}","event_action":"trigger","dedup_key":"deep-${randomUUID()}",` +
      `"payload":{"summary":"deep","source":"here","severity":"error","custom_details":${details}}}`;
    const refused = await t.call('POST', '/v2/enqueue', { key: null, rawBody: event(nested(5000)) });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.status, 'invalid event');
    assert.equal(await eventCount(), before, 'nothing stored');
    // Up to the limit (the event itself is 3 levels, custom_details 60 more), it is taken.
    const taken = await t.call('POST', '/v2/enqueue', { key: null, rawBody: event(nested(60)) });
    assert.equal(taken.status, 202, JSON.stringify(taken.body));
  });

  it('problems also for what Fastify refuses before any route: bad percent-encoding, an over-long path parameter', async () => {
    isProblem(await t.call('GET', '/v1/incidents/%ff%fe'), 400);
    isProblem(await t.call('GET', `/v1/users/${'x'.repeat(5000)}`), 414);
  });

  it('413 for a body over 1 MiB', async () => {
    const before = await eventCount();
    const res = await t.call('POST', `/v1/incidents/${incidentId}/notes`, {
      body: { text: 'x'.repeat(1024 * 1024 + 10) },
    });
    isProblem(res, 413);
    assert.equal(await eventCount(), before);
  });

  it('404 for an unknown incident and an unknown route', async () => {
    const missing = randomUUID();
    for (const path of ['', '/events', '/timeline', '/verify']) {
      isProblem(await t.call('GET', `/v1/incidents/${missing}${path}`), 404);
    }
    const before = await eventCount();
    for (const route of WRITE_ROUTES) {
      const res = await t.call('POST', `/v1/incidents/${missing}/${route}`, {
        body: route === 'notes' ? { text: 'x' } : undefined,
      });
      assert.ok([400, 404].includes(res.status), `${route}: ${res.status}`);
    }
    isProblem(await t.call('POST', `/v1/incidents/${missing}/notes`, { body: { text: 'x' } }), 404);
    assert.equal(await eventCount(), before);
    isProblem(await t.call('GET', '/v1/nothing-here'), 404);
  });

  it('no input yields a 5xx: 3,000 mutated bodies across every write route', async () => {
    const seeds: unknown[] = [
      { title: 'x', severity: 'SEV1', service: 's' },
      { diagnosis: 'd' },
      { action: 'a' },
      { summary: 's' },
      { reason: 'r' },
      { text: 't' },
      { message: 'm' },
      { severity: 'SEV2', reason: 'r' },
      { role: 'commander', assignee: 'a' },
      { milestone: 'impactStarted', to: '2020-01-01T00:00:00Z', reason: 'r' },
    ];
    const weird: unknown[] = [
      null,
      true,
      0,
      -1,
      1e308,
      'x',
      '',
      '\u0000',
      '\ud800',
      'SEV1',
      [],
      {},
      [null],
      { $gt: 1 },
      '2026-02-30T00:00:00Z',
      'x'.repeat(20_000),
      { toString: 'x' },
      '__proto__',
      1e21,
    ];
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pick = <T>(a: readonly T[]): T => a[Math.floor(random() * a.length)]!;
    const mutate = (value: unknown): unknown => {
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
        const keys = Object.keys(copy);
        const r = random();
        if (r < 0.4 && keys.length) copy[pick(keys)] = pick(weird);
        else if (r < 0.6 && keys.length) delete copy[pick(keys)];
        else if (r < 0.8)
          copy[pick(['__proto__', 'constructor', 'x', 'incidentId', 'severity'])] = pick(weird);
        else return pick(weird);
        return copy;
      }
      return pick(weird);
    };
    const routes = [
      ['POST', '/v1/incidents'],
      ...WRITE_ROUTES.map((r) => ['POST', `/v1/incidents/${incidentId}/${r}`]),
    ] as const;
    const statuses = new Map<number, number>();
    for (let i = 0; i < 3000; i++) {
      const [method, path] = pick(routes);
      const body =
        random() < 0.1
          ? JSON.stringify(pick(seeds)).slice(0, Math.floor(random() * 40))
          : JSON.stringify(mutate(pick(seeds)));
      const res = await t.call(method, path, { rawBody: body ?? 'null' });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      assert.ok(
        res.status < 500,
        `${method} ${path} ${body?.slice(0, 200)} → ${res.status} ${JSON.stringify(res.body)}`,
      );
    }
    assert.ok((statuses.get(400) ?? 0) > 100, `mostly rejected: ${JSON.stringify([...statuses])}`);
    const verify = await t.call('GET', `/v1/incidents/${incidentId}/verify`);
    assert.equal(verify.body.valid, true);
  });
});
