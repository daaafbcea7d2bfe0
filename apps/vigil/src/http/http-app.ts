import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ProblemFilter, StrictValidationPipe } from '#vigil/common';
import { pagerDutyError, RECEIVER_BODY_LIMIT_BYTES } from '#vigil/alerts';
import { incidentProblem } from '#vigil/incidents';
import { AppModule } from '../app.module.js';
import { NestPinoLogger } from '../observability/logger.js';
import type { Runtime } from '../runtime.js';

export const BODY_LIMIT_BYTES = 1024 * 1024;

/** Builds Vigil's HTTP application on Fastify; the caller decides whether to listen. */
export const createHttpApp = async (runtime: Runtime): Promise<NestFastifyApplication> => {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: false,
    return503OnClosing: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.with(runtime), adapter, {
    logger: new NestPinoLogger(runtime.log),
    abortOnError: false,
  });
  app.useGlobalFilters(
    new ProblemFilter(runtime.log, [incidentProblem], [{ pathPrefix: '/v2/', render: pagerDutyError }]),
  );
  app.useGlobalPipes(new StrictValidationPipe());

  const fastify = app.getHttpAdapter().getInstance();
  // The API speaks JSON; anything else is answered 415 rather than guessed at.
  fastify.removeContentTypeParser(['text/plain']);
  // Alert receivers take at most 512 KiB, as PagerDuty does.
  fastify.addHook('onRoute', (route) => {
    if (route.url.startsWith('/v2/') || /^\/v1\/integrations\/:key\//.test(route.url)) {
      route.bodyLimit = RECEIVER_BODY_LIMIT_BYTES;
    }
  });
  fastify.addHook('onResponse', async (request, reply) => {
    runtime.metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Vigil API')
      .setDescription(
        'Incidents as event streams. Errors are RFC 9457 application/problem+json. ' +
          'Write routes accept If-Match (an ETag) and Idempotency-Key.',
      )
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'A Vigil API key (vgl_…)' })
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  await app.init();
  await fastify.ready();
  return app;
};
