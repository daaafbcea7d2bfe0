import { ArgumentsHost, Catch, HttpException, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import {
  PROBLEM_BASE,
  ProblemError,
  WireFormatError,
  type ProblemDetails,
  type ProblemRenderer,
} from '../problem.js';

/** Turns a library's own error into a problem, or passes. */
export type ErrorMapper = (error: unknown) => ProblemError | undefined;

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Not acceptable',
  409: 'Conflict',
  412: 'Precondition failed',
  413: 'Payload too large',
  414: 'URI too long',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  429: 'Too many requests',
};

/** PostgreSQL's data exceptions (class 22) come from values the request carried. */
const fromPostgres = (error: unknown): ProblemError | undefined => {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code)) {
    return new ProblemError(
      400,
      'invalid-value',
      'Bad request',
      `A value in the request is not acceptable: ${(error as Error).message}`,
    );
  }
  return undefined;
};

/** Fastify's own errors (body parsing, size limit, media type) carry a 4xx statusCode. */
const fromFramework = (error: unknown): ProblemError | undefined => {
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const inner = typeof response === 'string' ? response : (response as { message?: unknown }).message;
    const message = Array.isArray(inner)
      ? inner.join('; ')
      : typeof inner === 'string'
        ? inner
        : error.message;
    return new ProblemError(status, `http-${status}`, TITLES[status] ?? 'Error', message);
  }
  const status = (error as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = (error as { code?: string }).code;
    const detail =
      code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? 'The request body is larger than the limit of this endpoint'
        : code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'Send the body as application/json'
          : /JSON|Unexpected|token/i.test((error as Error).message)
            ? `The body is not valid JSON: ${(error as Error).message}`
            : (error as Error).message;
    return new ProblemError(status, `http-${status}`, TITLES[status] ?? 'Bad request', detail);
  }
  return undefined;
};

/**
 * Every error leaves as RFC 9457 application/problem+json. Unknown errors are
 * logged and answered with a bare 500 that reveals nothing of the internals.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly mappers: ErrorMapper[];

  constructor(
    private readonly log: Logger,
    mappers: ErrorMapper[] = [],
    private readonly renderers: ProblemRenderer[] = [],
  ) {
    this.mappers = [
      (e) => (e instanceof ProblemError ? e : undefined),
      ...mappers,
      fromFramework,
      fromPostgres,
    ];
  }

  toProblem(error: unknown, instance?: string, route?: string): ProblemDetails {
    for (const map of this.mappers) {
      const problem = map(error);
      if (problem) return problem.toProblem(instance);
    }
    // The route pattern, never the path: a path can hold an integration key.
    this.log.error({ err: error, route }, 'unhandled error');
    return {
      type: `${PROBLEM_BASE}internal`,
      title: 'Internal server error',
      status: 500,
      detail: 'Vigil could not complete the request; the error has been logged',
      ...(instance ? { instance } : {}),
    };
  }

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    this.answer(error, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }

  /** Sends the error's answer: what `catch` does, for routes Fastify serves without Nest. */
  answer(error: unknown, request: FastifyRequest | undefined, reply: FastifyReply): void {
    const path = request?.url?.split('?')[0] ?? '';
    const problem = this.toProblem(error, path, request?.routeOptions?.url);
    if (problem.status === 401) reply.header('WWW-Authenticate', 'Bearer realm="vigil"');
    if (error instanceof WireFormatError) {
      void reply.status(error.status).header('Content-Type', 'application/json').send(error.body);
      return;
    }
    const renderer = this.renderers.find((r) => path.startsWith(r.pathPrefix));
    if (renderer) {
      void reply
        .status(problem.status)
        .header('Content-Type', 'application/json')
        .send(renderer.render(problem));
      return;
    }
    void reply.status(problem.status).header('Content-Type', 'application/problem+json').send(problem);
  }
}
