import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
// eslint-disable-next-line no-restricted-imports
import { seededRandom } from '../../libs/alerts/src/domain/spec-fuzz.js';
import { logHead } from '../support/database.js';
import { startTestApp, type TestApp } from '../support/app.js';

/** Bodies no route accepts: wrong JSON types, broken JSON, deep nesting, odd strings. */
const HOSTILE_BODIES = [
  '',
  '{',
  'null',
  '[]',
  '42',
  '"text"',
  '{"__proto__": {"admin": true}}',
  '{"constructor": {"prototype": {}}}',
  JSON.stringify({ a: '\u0000', b: '\ud800', c: 'x'.repeat(100_000) }),
  JSON.stringify(JSON.parse('['.repeat(200) + ']'.repeat(200))),
  JSON.stringify({ name: 42, service: [], title: {}, severity: null, levels: 'x', layers: {}, groupBy: 1 }),
];

/** Values for path parameters: some well-formed, some not. */
const PARAMS = () => [randomUUID(), 'not-an-id', '%00', 'x'.repeat(300), '0'];

/**
 * Every write route the OpenAPI document lists, hit with hostile bodies and path
 * parameters, as an admin: the answer is always a 4xx (or a 2xx for an input
 * that is in fact valid), never a 5xx, and a 4xx stores nothing.
 */
describe('every route the API documents, under hostile input', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ roles: 'api' });
  });
  after(() => t.close());

  const head = () => logHead(t.runtime.pool);

  it('answers no 5xx, and a 4xx with problem+json that appends nothing', async () => {
    const doc = (await t.call('GET', '/docs-json', { key: null })).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const writes = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods)
        .filter((m) => ['post', 'put', 'patch', 'delete'].includes(m))
        .map((method) => ({ path, method: method.toUpperCase() })),
    );
    assert.ok(writes.length >= 30, `the document lists ${writes.length} write routes`);
    const random = seededRandom(20261128);
    let requests = 0;
    const statuses: Record<number, number> = {};
    for (const { path, method } of writes) {
      for (const body of HOSTILE_BODIES) {
        const params = PARAMS();
        const url = path.replace(/\{[^}]+\}/g, () =>
          encodeURIComponent(params[Math.floor(random() * params.length)]!),
        );
        const before = await head();
        const res = await t.call(method, url, {
          rawBody: method === 'DELETE' && body === '' ? undefined : body,
          headers: { 'content-type': 'application/json' },
        });
        requests++;
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        assert.ok(
          res.status < 500,
          `${method} ${url} with ${body.slice(0, 80)} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`,
        );
        if (res.status >= 400) {
          assert.match(
            res.headers.get('content-type') ?? '',
            /json/,
            `${method} ${url} → ${res.status} without a JSON body`,
          );
          assert.equal(await head(), before, `${method} ${url} → ${res.status} appended events`);
        }
      }
    }
    assert.ok(requests > 300);
    // Most are refused by validation, not merely by a missing resource.
    assert.ok((statuses[400] ?? 0) > requests / 2, JSON.stringify(statuses));
  });
  it('reads with hostile path parameters and query strings answer no 5xx', async () => {
    const doc = (await t.call('GET', '/docs-json', { key: null })).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const reads = Object.entries(doc.paths)
      .filter(([, methods]) => 'get' in methods)
      .map(([path]) => path);
    assert.ok(reads.length >= 15, `the document lists ${reads.length} read routes`);
    const queries = [
      '',
      '?at=yesterday&from=%00&to=-1&limit=-5&version=abc&severity=SEV9',
      `?service=${'x'.repeat(300)}&from=2026-13-45T99:99:99Z&to=2026-01-01&limit=1e9&cursor=%ff`,
      '?from=2026-01-01T00:00:00Z&to=2020-01-01T00:00:00Z&at=2026-03-29T01:30:00Z&status=nope',
    ];
    const random = seededRandom(20261129);
    for (const path of reads) {
      for (const query of queries) {
        const params = PARAMS();
        const url = path.replace(/\{[^}]+\}/g, () =>
          encodeURIComponent(params[Math.floor(random() * params.length)]!),
        );
        const res = await t.call('GET', `${url}${query}`);
        assert.ok(
          res.status < 500,
          `GET ${url}${query} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`,
        );
      }
    }
  });
});
