import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type RawBodyRequest,
} from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { Clock, PG_POOL, ProblemError } from '#vigil/common';
import { createBoltApp, type BoltReceiver } from '../application/slack-bolt.js';
import { SlackCommands } from '../application/slack-commands.js';
import { deliveryKeyOf, type SlackRequestKind } from '../domain/delivery-key.js';
import { checkSlackSignature } from '../domain/signature.js';
import type { SlackRuntime } from '../slack-runtime.js';
import { SlackRequestGate } from './request-gate.js';

export const SLACK_MODULE_OPTIONS = 'vigil:slack-module-options';

export interface SlackModuleOptions {
  /** Null: Slack is off, and the routes say so (503). */
  slack: SlackRuntime | null;
  log: Logger;
}

/** How long the routes wait for the replay cache's answer before acknowledging anyway. */
const GATE_WAIT_MS = 2000;
/** How long they wait for a listener's ack(): Slack gives up at 3 s. */
const ACK_WAIT_MS = 2500;

const FORM = /^application\/x-www-form-urlencoded\s*(;|$)/i;
const JSON_TYPE = /^application\/json\s*(;|$)/i;

const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
};

const problem = (status: number, slug: string, title: string, detail: string) =>
  new ProblemError(status, slug, title, detail);

/**
 * Slack's three HTTP doors. Each request is checked in this order: Slack on; body of the
 * expected type; v0 signature within five minutes either way (401, nothing appended); the
 * replay cache (an exact replay: 401) and the retry dedupe (a delivery already taken: 200 with
 * X-Slack-No-Retry, nothing processed). Then Bolt runs, and the response leaves at its ack().
 *
 * The replay cache is in PostgreSQL. If it has not answered within 2 s the request is
 * acknowledged anyway (Slack's 3-second rule), and its listener does nothing until the answer
 * comes, and nothing at all if it is a replay, a duplicate or an error.
 *
 * With SLACK_APP_TOKEN, Bolt runs in Socket Mode instead: this service opens the WebSocket when
 * the api role's Nest app has started and closes it when the app shuts down (the listeners need
 * the api role's CQRS handlers, and it is the role that answers Slack over HTTP otherwise), and
 * the HTTP routes answer 404.
 */
@Injectable()
export class SlackHttp implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly bolt: BoltReceiver | null;
  private readonly gate: SlackRequestGate;
  private socketStarted: Promise<unknown> | null = null;

  constructor(
    @Inject(SLACK_MODULE_OPTIONS) private readonly options: SlackModuleOptions,
    @Inject(PG_POOL) pool: Pool,
    commandBus: CommandBus,
    queryBus: QueryBus,
    private readonly clock: Clock,
  ) {
    const { slack, log } = options;
    this.gate = new SlackRequestGate(pool, clock, log);
    this.bolt =
      slack === null
        ? null
        : createBoltApp(slack, new SlackCommands(slack, pool, commandBus, queryBus, clock, log), log, (key) =>
            this.gate.admitDelivery(key),
          );
  }

  onApplicationBootstrap(): void {
    const { log } = this.options;
    if (this.bolt === null) return;
    if (this.bolt.mode === 'http') {
      log.info('Slack runs over HTTP: Slack posts to /slack/commands, /slack/interactions and /slack/events');
      return;
    }
    log.info(
      'Slack runs in Socket Mode: Vigil connects to Slack with SLACK_APP_TOKEN and needs no public URL',
    );
    // Not awaited: start-up does not wait for Slack; the client retries until it connects.
    this.socketStarted = this.bolt.receiver.start().then(
      () => log.info('Slack Socket Mode connected'),
      (err: unknown) => log.warn({ err }, 'Slack Socket Mode could not connect; check SLACK_APP_TOKEN'),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.bolt?.mode !== 'socket' || this.socketStarted === null) return;
    this.socketStarted = null;
    await this.bolt.receiver.client.disconnect();
  }

  async handle(
    kind: SlackRequestKind,
    req: RawBodyRequest<FastifyRequest>,
    reply: FastifyReply,
  ): Promise<void> {
    const slack = this.options.slack;
    if (slack === null || this.bolt === null) {
      throw problem(
        503,
        'slack-off',
        'Slack is off',
        'Vigil runs without Slack: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET',
      );
    }
    if (this.bolt.mode === 'socket') {
      throw problem(
        404,
        'slack-socket-mode',
        'Slack runs in Socket Mode',
        'SLACK_APP_TOKEN is set: Slack reaches Vigil over its WebSocket, not over HTTP',
      );
    }
    const type = header(req, 'content-type') ?? '';
    const wanted = kind === 'event' ? JSON_TYPE : FORM;
    if (!wanted.test(type)) {
      throw problem(
        415,
        'http-415',
        'Unsupported media type',
        `Slack sends this route ${kind === 'event' ? 'application/json' : 'application/x-www-form-urlencoded'}`,
      );
    }
    const fields = (req.body ?? {}) as Record<string, unknown>;
    // Slack's certificate check carries nothing to act on.
    if (kind === 'command' && fields.ssl_check === '1') return void reply.status(200).send('');
    const raw = req.rawBody;
    if (!raw) throw problem(400, 'http-400', 'Bad request', 'The request has no body');
    const signature = header(req, 'x-slack-signature');
    const check = checkSlackSignature({
      signingSecret: slack.config.signingSecret,
      rawBody: raw,
      signature,
      timestamp: header(req, 'x-slack-request-timestamp'),
      now: this.clock.now(),
    });
    if (!check.ok)
      throw problem(401, 'slack-signature-invalid', 'Slack signature is not valid', check.detail);

    let body: Record<string, unknown>;
    if (kind === 'interaction') {
      try {
        const parsed: unknown = JSON.parse(typeof fields.payload === 'string' ? fields.payload : '');
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
          throw new Error('not an object');
        body = parsed as Record<string, unknown>;
      } catch {
        throw problem(400, 'http-400', 'Bad request', 'An interaction carries its JSON in the payload field');
      }
    } else {
      body = fields;
    }
    const deliveryKey = deliveryKeyOf(kind, body);
    const verdict = this.gate.check(signature!, check.timestamp, deliveryKey);
    const admitted = verdict.then(
      (v) => v === 'fresh',
      (err: unknown) => {
        this.options.log.error({ err }, 'Slack replay cache unavailable; the request was not processed');
        return false;
      },
    );

    if (kind === 'event' && body.type === 'url_verification') {
      if ((await verdict) === 'replay') throw replayed();
      return void reply.status(200).send({ challenge: body.challenge });
    }

    const retryNum = Number(header(req, 'x-slack-retry-num'));
    const ackP = this.bolt.receiver.dispatch(body, {
      admitted,
      ackTimeoutMs: ACK_WAIT_MS,
      ...(Number.isInteger(retryNum) && retryNum > 0 ? { retryNum } : {}),
      ...(header(req, 'x-slack-retry-reason') ? { retryReason: header(req, 'x-slack-retry-reason') } : {}),
    });
    const early = await Promise.race([
      verdict.then(
        (v) => ({ verdict: v }),
        () => ({ verdict: 'error' as const }),
      ),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), GATE_WAIT_MS).unref()),
    ]);
    if (early?.verdict === 'replay') throw replayed();
    if (early?.verdict === 'duplicate') {
      return void reply.status(200).header('X-Slack-No-Retry', '1').send('');
    }
    if (early?.verdict === 'error') {
      throw problem(503, 'slack-unavailable', 'Try again', 'Vigil could not check this request just now');
    }
    const ack = await ackP;
    const response = ack.acked ? ack.body : undefined;
    if (response === undefined || response === '') return void reply.status(200).send('');
    if (typeof response === 'string')
      return void reply.status(200).type('text/plain; charset=utf-8').send(response);
    return void reply.status(200).type('application/json; charset=utf-8').send(response);
  }
}

const replayed = () =>
  problem(401, 'slack-replayed', 'Slack request replayed', 'This exact signed request was already received');
