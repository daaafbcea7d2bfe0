import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { serveDirectly } from './direct-routes.js';

/** A Fastify app whose own handlers for /direct answer 500, served directly where `serveDirectly` says. */
const appWith = async (handlers: Parameters<typeof serveDirectly>[1]) => {
  const app = Fastify();
  serveDirectly(app, handlers, 202, (error, _request, reply) => {
    void reply.code(418).send({ rendered: (error as Error).message });
  });
  const own = async () => {
    throw new Error('the route’s own handler ran');
  };
  app.post('/direct/:key', own);
  app.get('/direct/:key', async () => ({ own: 'get' }));
  app.post('/other', async () => ({ own: 'other' }));
  await app.ready();
  return app;
};

describe('routes Fastify serves directly', () => {
  it('answers with the direct handler, with its status, in place of the route’s own', async () => {
    const app = await appWith({
      '/direct/:key': async (request) => ({
        key: (request.params as { key: string }).key,
        body: request.body,
      }),
    });
    const res = await app.inject({ method: 'POST', url: '/direct/abc', payload: { a: 1 } });
    assert.equal(res.statusCode, 202);
    assert.deepEqual(res.json(), { key: 'abc', body: { a: 1 } });
    await app.close();
  });

  it('answers a thrown error as the error renderer says', async () => {
    const app = await appWith({
      '/direct/:key': async () => {
        throw new Error('bad payload');
      },
    });
    const res = await app.inject({ method: 'POST', url: '/direct/abc', payload: {} });
    assert.equal(res.statusCode, 418);
    assert.deepEqual(res.json(), { rendered: 'bad payload' });
    await app.close();
  });

  it('leaves other routes, and other methods of the same route, their own handlers', async () => {
    const app = await appWith({ '/direct/:key': async () => ({ direct: true }) });
    assert.deepEqual((await app.inject({ method: 'GET', url: '/direct/abc' })).json(), { own: 'get' });
    assert.deepEqual((await app.inject({ method: 'POST', url: '/other', payload: {} })).json(), {
      own: 'other',
    });
    await app.close();
  });
});
