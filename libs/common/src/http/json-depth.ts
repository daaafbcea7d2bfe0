import type { FastifyBodyParser, FastifyInstance } from 'fastify';
import { ProblemError } from '../problem.js';

/**
 * How deep a request body may nest objects and arrays. Alert payloads nest a few levels; a body
 * thousands deep overflowed the stack of whatever walked it next (validation, canonical JSON).
 */
export const MAX_BODY_DEPTH = 64;

/** Whether `value` nests objects and arrays deeper than `limit` (counted without recursion). */
export const nestsDeeperThan = (value: unknown, limit: number): boolean => {
  const stack: { value: object; depth: number }[] = [];
  if (value !== null && typeof value === 'object') stack.push({ value, depth: 1 });
  while (stack.length > 0) {
    const { value: node, depth } = stack.pop()!;
    if (depth > limit) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === 'object')
        stack.push({ value: child as object, depth: depth + 1 });
    }
  }
  return false;
};

/** Fastify's own JSON parser (prototype poisoning refused), then the depth limit: a 400 beyond it. */
export const depthLimitedJsonParser = (fastify: FastifyInstance): FastifyBodyParser<Buffer> => {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  return (request, body, done) =>
    parse(request, body.toString('utf8'), (error, value) => {
      if (error) done(error, undefined);
      else if (nestsDeeperThan(value, MAX_BODY_DEPTH)) {
        done(
          new ProblemError(
            400,
            'body-too-deep',
            'Bad request',
            `The body nests objects and arrays more than ${MAX_BODY_DEPTH} levels deep`,
          ),
          undefined,
        );
      } else done(null, value);
    });
};
