import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** A route's work as Fastify calls it: its answer, or a throw to render. */
export type DirectHandler = (request: FastifyRequest) => Promise<unknown>;

/**
 * Has Fastify call `handlers` (by route, POST) in place of the handlers of the routes of those
 * names registered after this, answering `status` with what each returns; an error is answered by
 * `answerError` (the problem filter Nest's routes use). Install it before the routes are
 * registered (Nest registers its routes in `init`).
 */
export const serveDirectly = (
  fastify: FastifyInstance,
  handlers: Readonly<Record<string, DirectHandler>>,
  status: number,
  answerError: (error: unknown, request: FastifyRequest, reply: FastifyReply) => void,
): void => {
  fastify.addHook('onRoute', (route) => {
    const handler =
      route.method === 'POST' && Object.hasOwn(handlers, route.url) ? handlers[route.url] : undefined;
    if (handler === undefined) return;
    route.handler = async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
      try {
        const answer = await handler(request);
        void reply.code(status);
        return answer;
      } catch (error) {
        answerError(error, request, reply);
        return reply;
      }
    };
  });
};
