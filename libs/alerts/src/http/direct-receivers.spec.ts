import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RequestMethod } from '@nestjs/common';
import {
  GUARDS_METADATA,
  HTTP_CODE_METADATA,
  INTERCEPTORS_METADATA,
  METHOD_METADATA,
  PATH_METADATA,
  PIPES_METADATA,
  ROUTE_ARGS_METADATA,
} from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import type { RawBodyRequest } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { PUBLIC_KEY } from '#vigil/common';
import { directReceivers } from './direct-receivers.js';
import { ReceiversController } from './receivers.controller.js';

type Method = keyof ReceiversController;

/** Every routed method of the controller, by its route as Fastify names it. */
const routedMethods = () => {
  const routes = new Map<string, Method>();
  for (const name of Object.getOwnPropertyNames(ReceiversController.prototype) as Method[]) {
    if (name === ('constructor' as Method)) continue;
    const handler = ReceiversController.prototype[name] as unknown;
    if (typeof handler !== 'function') continue;
    const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
    if (path === undefined) continue;
    assert.equal(Reflect.getMetadata(METHOD_METADATA, handler), RequestMethod.POST, name);
    routes.set(`/${path}`, name);
  }
  return routes;
};

/** A controller whose every method answers which one was called, and with what. */
const recorder = () =>
  new Proxy({} as ReceiversController, {
    get:
      (_target, name) =>
      (...args: unknown[]) =>
        Promise.resolve({ name, args }),
  });

describe('receivers that Fastify calls directly', () => {
  const direct = directReceivers(recorder());
  const routes = routedMethods();

  it('each calls the controller method of its own route, with the key, the body and the request', async () => {
    assert.ok(Object.keys(direct).length >= 5);
    const request = {
      params: { key: 'k'.repeat(32) },
      body: { any: 'payload' },
    } as unknown as RawBodyRequest<FastifyRequest>;
    for (const [route, receive] of Object.entries(direct)) {
      const method = routes.get(route);
      assert.ok(method, `${route} is a route of ReceiversController`);
      const { name, args } = (await receive(request)) as { name: string; args: unknown[] };
      assert.equal(name, method, route);
      const kinds = argumentKinds(method);
      assert.equal(args.length, kinds.length, route);
      kinds.forEach((kind, i) => {
        const expected = kind === 'body' ? request.body : kind === 'key' ? 'k'.repeat(32) : request;
        assert.equal(args[i], expected, `${route}: argument ${i} is the ${kind}`);
      });
    }
  });

  it('each route is one that Nest would answer as Fastify does: public, 202, nothing around it', () => {
    const classLevel = [GUARDS_METADATA, INTERCEPTORS_METADATA, PIPES_METADATA];
    for (const key of classLevel) assert.equal(Reflect.getMetadata(key, ReceiversController), undefined, key);
    for (const route of Object.keys(direct)) {
      const method = routes.get(route)!;
      const handler = ReceiversController.prototype[method] as object;
      assert.equal(Reflect.getMetadata(PUBLIC_KEY, handler), true, `${route} is public`);
      assert.equal(Reflect.getMetadata(HTTP_CODE_METADATA, handler), 202, `${route} answers 202`);
      for (const key of classLevel)
        assert.equal(Reflect.getMetadata(key, handler), undefined, `${route}: ${key}`);
    }
  });

  it('leaves CloudWatch to Nest: it answers 200 or 202 by message type, through the reply', () => {
    assert.equal(direct['/v1/integrations/:key/cloudwatch'], undefined);
    assert.ok(routes.has('/v1/integrations/:key/cloudwatch'));
  });
});

/**
 * What each parameter of a controller method takes, in order; fails on anything a direct call does
 * not hand over as Nest would (a pipe on a parameter, a header, the reply).
 */
const argumentKinds = (method: Method): Array<'body' | 'key' | 'request'> => {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, ReceiversController, method) ?? {}) as Record<
    string,
    { index: number; data?: unknown; pipes?: unknown[] }
  >;
  return Object.entries(args)
    .sort(([, a], [, b]) => a.index - b.index)
    .map(([key, arg]) => {
      assert.deepEqual(arg.pipes ?? [], [], `${method}: no pipe on parameter ${arg.index}`);
      const type = Number(key.split(':')[0]) as RouteParamtypes;
      if (type === RouteParamtypes.BODY && arg.data === undefined) return 'body';
      if (type === RouteParamtypes.PARAM && arg.data === 'key') return 'key';
      if (type === RouteParamtypes.REQUEST) return 'request';
      throw new Error(`${method}: parameter ${arg.index} is of a kind a direct call does not pass`);
    });
};
