import type { RawBodyRequest } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ReceiversController } from './receivers.controller.js';

/** A receiver as Fastify calls it: its answer, or a throw that the problem filter renders. */
export type DirectReceiver = (request: RawBodyRequest<FastifyRequest>) => Promise<unknown>;

const keyOf = (request: FastifyRequest) => (request.params as { key: string }).key;

/**
 * The receivers that Fastify calls directly, by route, each answering 202 when it returns.
 * Alerts arrive by the thousand a second, and Nest's pipeline around a handler (guard, pipes,
 * interceptors, observables) did nothing for these routes but took about a tenth of the server's
 * main-thread samples under PagerDuty load. These routes are public, take the body as it was
 * parsed, and answer 202: what Nest would do. A test holds each to its decorators. CloudWatch
 * stays with Nest: it answers 200 or 202 by message type.
 */
export const directReceivers = (receivers: ReceiversController): Record<string, DirectReceiver> => ({
  '/v2/enqueue': (request) => receivers.enqueue(request.body),
  '/v2/change/enqueue': (request) => receivers.changeEnqueue(request.body),
  '/v1/integrations/:key/alertmanager': (request) =>
    receivers.alertmanager(keyOf(request), request.body, request),
  '/v1/integrations/:key/grafana': (request) => receivers.grafana(keyOf(request), request.body, request),
  '/v1/integrations/:key/alerts': (request) => receivers.generic(keyOf(request), request.body, request),
});
