import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { depthLimitedJsonParser, ProblemFilter, StrictValidationPipe } from '#vigil/common';
import {
  AlertReceiverSettingsModule,
  answerKnownPayloads,
  directReceivers,
  KNOWN_PAYLOAD_ROUTES,
  pagerDutyError,
  ReceiversController,
  RECEIVER_BODY_LIMIT_BYTES,
  snsTrustOf,
} from '#vigil/alerts';
import { incidentProblem } from '#vigil/incidents';
import { slackFormParser } from '#vigil/slack';
import { AppModule } from '../app.module.js';
import { NestPinoLogger } from '../observability/logger.js';
import { serveDirectly } from './direct-routes.js';
import type { Runtime } from '../runtime.js';

export const BODY_LIMIT_BYTES = 1024 * 1024;

/** SNS posts its JSON as text/plain; this route alone reads such a body as JSON. */
const SNS_ROUTE = '/v1/integrations/:key/cloudwatch';
const TEXT_PLAIN = /^\s*text\/plain\s*(;|$)/i;

/** The app's modules plus the receivers' settings taken from the configuration. */
@Module({})
class HttpAppModule {
  static with(runtime: Runtime): DynamicModule {
    return {
      module: HttpAppModule,
      imports: [
        AppModule.with(runtime),
        AlertReceiverSettingsModule.with({ sns: snsTrustOf(runtime.config.sns) }),
      ],
    };
  }
}

/** Builds Vigil's HTTP application on Fastify; the caller decides whether to listen. */
export const createHttpApp = async (runtime: Runtime): Promise<NestFastifyApplication> => {
  const problems = new ProblemFilter(
    runtime.log,
    [incidentProblem],
    [{ pathPrefix: '/v2/', render: pagerDutyError }],
  );
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: false,
    return503OnClosing: true,
    // Errors Fastify answers before any route is found (a malformed percent-encoding, an
    // over-long path parameter) leave as problems too.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) =>
      problems.answer(error, request, reply),
  });
  const app = await NestFactory.create<NestFastifyApplication>(HttpAppModule.with(runtime), adapter, {
    logger: new NestPinoLogger(runtime.log),
    abortOnError: false,
    // req.rawBody: a signature over the body (Grafana's HMAC) is over the bytes as sent.
    rawBody: true,
  });
  app.useGlobalFilters(problems);
  app.useGlobalPipes(new StrictValidationPipe());
  // JSON as Fastify parses it, with a limit on nesting (see MAX_BODY_DEPTH).
  app.useBodyParser(
    'application/json',
    { bodyLimit: BODY_LIMIT_BYTES },
    depthLimitedJsonParser(app.getHttpAdapter().getInstance()),
  );
  // Nest would read forms on every route; Slack's /slack/ routes (slash commands, interactions)
  // are the only ones that take them.
  app.useBodyParser('application/x-www-form-urlencoded', { bodyLimit: BODY_LIMIT_BYTES }, slackFormParser);

  const fastify = app.getHttpAdapter().getInstance();
  // The alert receivers (served in the API role) are called by Fastify itself (see directReceivers).
  if (runtime.config.roles.api) {
    serveDirectly(fastify, directReceivers(app.get(ReceiversController)), 202, (error, request, reply) =>
      problems.answer(error, request, reply),
    );
  }
  // The API speaks JSON; anything else is answered 415 rather than guessed at.
  fastify.removeContentTypeParser(['text/plain']);
  // Alert receivers take at most 512 KiB, as PagerDuty does.
  fastify.addHook('onRoute', (route) => {
    if (route.url.startsWith('/v2/') || /^\/v1\/integrations\/:key\//.test(route.url)) {
      route.bodyLimit = RECEIVER_BODY_LIMIT_BYTES;
    }
    // A payload sent again byte for byte is answered before it is parsed (see answerKnownPayloads).
    const known = route.method === 'POST' ? KNOWN_PAYLOAD_ROUTES[route.url] : undefined;
    if (known !== undefined) {
      const own = route.preParsing === undefined ? [] : [route.preParsing].flat();
      route.preParsing = [
        ...own,
        answerKnownPayloads(known, RECEIVER_BODY_LIMIT_BYTES, {
          receiverByKey: (key) => runtime.integrations.receiverByKey(key),
          answerTo: (integrationId, bytesHash) => runtime.ingestion.answerTo(integrationId, bytesHash),
        }),
      ];
    }
    // SNS labels its JSON text/plain. On its route only, such a body is handed to the JSON parser
    // (same limit, same errors: malformed JSON is a 400); everywhere else text/plain stays a 415.
    if (route.url === SNS_ROUTE) {
      const own = route.onRequest === undefined ? [] : [route.onRequest].flat();
      route.onRequest = [
        ...own,
        async (request) => {
          const type = request.headers['content-type'];
          if (type !== undefined && TEXT_PLAIN.test(type))
            request.raw.headers['content-type'] = 'application/json';
        },
      ];
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
