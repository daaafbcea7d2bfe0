import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Receiver } from '../integrations/integrations.js';
import { answerKnownPayloads, bytesHashOf, requestBytesHash } from './known-payloads.js';

const KEY = 'a'.repeat(32);
const SIGNED_KEY = 'b'.repeat(32);
const GENERIC_KEY = 'c'.repeat(32);
const BROKEN_KEY = 'd'.repeat(32);
const LIMIT = 1024;

const receiver = (
  id: string,
  type: Receiver['integration']['type'],
  hmacSecret: string | null,
): Receiver => ({
  integration: {
    id,
    name: id,
    service: 'checkout',
    type,
    keyPrefix: 'aaaaaa',
    autoResolve: true,
    createdAt: '2026-01-01T00:00:00.000Z',
    rotatedAt: null,
    disabledAt: null,
    hasSecret: hmacSecret !== null,
    snsTopicArns: [],
  },
  hmacSecret,
});

const payload = JSON.stringify({ version: '4', status: 'firing', alerts: [{ fingerprint: 'ab12' }] });
const known = { status: 'accepted', alerts: 1 };

describe('payloads answered before parsing', () => {
  let app: FastifyInstance;
  const handled: unknown[] = [];
  const hashed: Array<string | undefined> = [];

  before(async () => {
    const receivers = new Map([
      [KEY, receiver('int-1', 'alertmanager', null)],
      [SIGNED_KEY, receiver('int-2', 'alertmanager', 'secret')],
      [GENERIC_KEY, receiver('int-3', 'generic', null)],
    ]);
    // Every integration has seen `payload` committed.
    const answers = new Set(
      ['int-1', 'int-2', 'int-3', 'int-4'].map((id) => `${id}/${bytesHashOf(Buffer.from(payload))}`),
    );
    app = Fastify({ bodyLimit: LIMIT });
    app.removeContentTypeParser(['text/plain']); // as Vigil's API does: only JSON is read
    app.post(
      '/v1/integrations/:key/alertmanager',
      {
        preParsing: answerKnownPayloads('alertmanager', LIMIT, {
          receiverByKey: async (key) => {
            if (key === BROKEN_KEY) throw new Error('the database is down');
            return receivers.get(key) ?? null;
          },
          answerTo: (integrationId, bytesHash) =>
            answers.has(`${integrationId}/${bytesHash}`) ? { response: known } : undefined,
        }),
      },
      async (request, reply) => {
        handled.push(request.body);
        hashed.push(requestBytesHash(request, undefined));
        return reply.code(202).send({ parsed: true });
      },
    );
    await app.ready();
  });
  after(() => app.close());

  const send = (key: string, body: string, contentType = 'application/json') =>
    app.inject({
      method: 'POST',
      url: `/v1/integrations/${key}/alertmanager`,
      headers: { 'content-type': contentType },
      payload: body,
    });

  it('answers bytes seen committed with their first answer, and nothing parses them', async () => {
    handled.length = 0;
    const response = await send(KEY, payload);
    assert.equal(response.statusCode, 202);
    assert.deepEqual(response.json(), known);
    assert.equal(handled.length, 0);
  });

  it('hands everything else on with its body unchanged', async () => {
    const indented = JSON.stringify(JSON.parse(payload), null, 2);
    // What was hashed here is not hashed again: the controller takes the hash the hook took.
    const cases: Array<[string, string, string, string | undefined]> = [
      ['other bytes of the same content', KEY, indented, bytesHashOf(Buffer.from(indented))],
      ['an integration that signs its requests', SIGNED_KEY, payload, undefined],
      ['a key of another type of integration', GENERIC_KEY, payload, undefined],
      ['a key no integration has', 'e'.repeat(32), payload, undefined],
      ['integrations that cannot be read', BROKEN_KEY, payload, undefined],
    ];
    for (const [what, key, body, hash] of cases) {
      handled.length = 0;
      hashed.length = 0;
      const response = await send(key, body);
      assert.equal(response.statusCode, 202, what);
      assert.deepEqual(response.json(), { parsed: true }, what);
      assert.deepEqual(handled, [JSON.parse(body)], what);
      assert.deepEqual(hashed, [hash], what);
    }
  });

  it('leaves what is not JSON, or too big, to the usual answers', async () => {
    handled.length = 0;
    assert.equal((await send(KEY, payload, 'text/plain')).statusCode, 415);
    const big = JSON.stringify({ ...JSON.parse(payload), padding: 'x'.repeat(LIMIT) });
    assert.equal((await send(KEY, big)).statusCode, 413);
    assert.equal(handled.length, 0);
  });
});
