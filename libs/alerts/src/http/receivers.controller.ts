import { hash } from 'node:crypto';
import {
  Body,
  Controller,
  Headers,
  HttpCode,
  Param,
  Post,
  Req,
  Res,
  type RawBodyRequest,
} from '@nestjs/common';
import { ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  Clock,
  ProblemError,
  Public,
  validationProblem,
  WireFormatError,
  type ProblemDetails,
} from '#vigil/common';
import { canonicalJson, newId } from '#vigil/event-store';
import { AlertIngestion } from '../application/alert-ingestion.js';
import { fromAlertmanager } from '../domain/alertmanager.adapter.js';
import { fromCloudWatchAlarm } from '../domain/cloudwatch.adapter.js';
import { fromGeneric } from '../domain/generic.adapter.js';
import { fromGrafana } from '../domain/grafana.adapter.js';
import {
  checkGrafanaSignature,
  firstHeader,
  GRAFANA_SIGNATURE_HEADERS,
  GRAFANA_TIMESTAMP_HEADERS,
} from '../domain/grafana-signature.js';
import type { AdapterResult } from '../domain/normalised-alert.js';
import { fromPagerDutyEvent, parseChangeEvent } from '../domain/pagerduty.adapter.js';
import { parseSnsMessage } from '../domain/sns-message.js';
import { requestBytesHash } from './known-payloads.js';
import {
  Integrations,
  type Integration,
  type IntegrationType,
  type Receiver,
} from '../integrations/integrations.js';
import { SnsError, SnsVerifier } from '../sns/sns-verifier.js';

/** The bodies of alert receivers are capped lower than the API's (PagerDuty's own limit). */
export const RECEIVER_BODY_LIMIT_BYTES = 512 * 1024;

const payloadHash = (body: unknown) => hash('sha256', canonicalJson(body), 'hex');

/** SNS keeps a message's MessageId on every redelivery, so the id alone names the delivery. */
const snsPayloadHash = (messageId: string) => hash('sha256', `sns-message-id:${messageId}`, 'hex');

/** PagerDuty's own error shape, for every error on its wire-compatible routes. */
export const pagerDutyError = (problem: ProblemDetails) => ({
  status: 'invalid event',
  message:
    problem.status === 404
      ? 'Routing key not found'
      : problem.status === 413
        ? 'Request too large'
        : 'Event object is invalid',
  errors: problem.errors?.map((e) => `${e.field}: ${e.message}`) ?? [problem.detail],
});

const pagerDutyInvalid = (errors: string[]) =>
  new WireFormatError(
    400,
    { status: 'invalid event', message: 'Event object is invalid', errors },
    errors.join('; '),
  );

const unknownKey = () =>
  new ProblemError(
    404,
    'integration-not-found',
    'Integration not found',
    'No enabled integration has this key',
  );

/** Field errors ("field: message") as a validation problem. */
const fieldProblem = (errors: string[]) =>
  validationProblem(
    errors.map((e) => {
      const at = e.indexOf(': ');
      return at > 0 ? { field: e.slice(0, at), message: e.slice(at + 2) } : { field: '(body)', message: e };
    }),
  );

const badSignature = (detail: string) =>
  new ProblemError(401, 'signature-invalid', 'Signature is not valid', detail);

const topicNotAllowed = () =>
  new ProblemError(
    403,
    'sns-topic-not-allowed',
    'SNS topic not allowed',
    "The message's TopicArn is not in this integration's snsTopicArns",
  );

const snsProblem = (error: unknown): unknown => {
  if (!(error instanceof SnsError)) return error;
  switch (error.code) {
    case 'untrusted-url':
      return new ProblemError(400, 'sns-untrusted-url', 'SNS URL refused', error.message);
    case 'bad-signature':
      return badSignature(error.message);
    // Upstream failures: a 5xx makes SNS deliver the message again later.
    case 'certificate-unavailable':
      return new ProblemError(
        502,
        'sns-certificate-unavailable',
        'SNS certificate unavailable',
        error.message,
      );
    case 'confirmation-failed':
      return new ProblemError(502, 'sns-confirmation-failed', 'SNS confirmation failed', error.message);
  }
};

@ApiTags('alerts')
@Controller()
export class ReceiversController {
  constructor(
    private readonly integrations: Integrations,
    private readonly ingestion: AlertIngestion,
    private readonly clock: Clock,
    private readonly sns: SnsVerifier,
  ) {}

  @Post('v2/enqueue')
  @Public()
  @HttpCode(202)
  @ApiOperation({
    summary: 'PagerDuty Events API v2, wire-compatible: routing_key is a Vigil integration key',
  })
  async enqueue(@Body() body: unknown) {
    const now = this.clock.iso();
    const parsed = fromPagerDutyEvent(body, now, () => newId());
    if (!parsed.ok) throw pagerDutyInvalid(parsed.errors);
    const integration = await this.integration((body as { routing_key: string }).routing_key, 'pagerduty');
    const outcome = await this.ingestion.deliver({
      integration,
      payloadHash: payloadHash(body),
      alerts: parsed.alerts,
      response: { status: 'success', message: 'Event processed', dedup_key: parsed.dedupKey },
      now,
    });
    return outcome.response;
  }

  @Post('v2/change/enqueue')
  @Public()
  @HttpCode(202)
  @ApiOperation({ summary: 'PagerDuty change events: recorded, never paging' })
  async changeEnqueue(@Body() body: unknown) {
    const now = this.clock.iso();
    const parsed = parseChangeEvent(body, now);
    if (!parsed.ok) throw pagerDutyInvalid(parsed.errors);
    const integration = await this.integration((body as { routing_key: string }).routing_key, 'pagerduty');
    await this.ingestion.recordChange(integration, payloadHash(body), parsed.change, now);
    return { status: 'success', message: 'Change event processed' };
  }

  @Post('v1/integrations/:key/alertmanager')
  @Public()
  @HttpCode(202)
  @ApiOperation({ summary: 'Prometheus Alertmanager webhook (payload version 4)' })
  alertmanager(
    @Param('key') key: string,
    @Body() body: unknown,
    @Req() request: RawBodyRequest<FastifyRequest>,
  ) {
    return this.receive(key, 'alertmanager', body, request, () => fromAlertmanager(body));
  }

  @Post('v1/integrations/:key/grafana')
  @Public()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Grafana unified alerting webhook contact point',
    description:
      'When the integration has a secret, the request must carry X-Grafana-Alerting-Signature ' +
      '(or X-Grafana-Alert-Signature): the hex HMAC-SHA256 of the body, or of "timestamp:body" when ' +
      'X-Grafana-Alerting-Signature-Timestamp (or X-Grafana-Alerting-Timestamp) carries Unix seconds, ' +
      'which must be within 5 minutes of now.',
  })
  async grafana(
    @Param('key') key: string,
    @Body() body: unknown,
    @Req() request: RawBodyRequest<FastifyRequest>,
  ) {
    const { integration, hmacSecret } = await this.receiver(key, 'grafana');
    if (hmacSecret !== null) {
      // Over the bytes as sent: re-serialising the parsed body would not reproduce them.
      const check = checkGrafanaSignature({
        secret: hmacSecret,
        body: request.rawBody ?? Buffer.alloc(0),
        signature: firstHeader(request.headers, GRAFANA_SIGNATURE_HEADERS),
        timestamp: firstHeader(request.headers, GRAFANA_TIMESTAMP_HEADERS),
        now: this.clock.now(),
      });
      if (!check.ok) throw badSignature(`Grafana signature refused: ${check.reason}`);
    }
    return this.accept(integration, body, request, () => fromGrafana(body));
  }

  @Post('v1/integrations/:key/cloudwatch')
  @Public()
  @HttpCode(202)
  @ApiConsumes('text/plain', 'application/json')
  @ApiOperation({
    summary: 'CloudWatch alarms through an SNS HTTP(S) subscription',
    description:
      'SNS posts JSON as text/plain. Every message must carry a valid SNS signature (versions 1 and 2) ' +
      "and a TopicArn listed in the integration's snsTopicArns (403 otherwise). A SubscriptionConfirmation " +
      'is confirmed (200), an UnsubscribeConfirmation acknowledged (200), a Notification carrying an alarm ' +
      'state change taken (202); a redelivered MessageId appends nothing.',
  })
  async cloudwatch(
    @Param('key') key: string,
    @Body() body: unknown,
    @Headers('x-amz-sns-message-type') headerType: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const integration = await this.integration(key, 'cloudwatch');
    const parsed = parseSnsMessage(body, headerType);
    if (!parsed.ok) throw fieldProblem(parsed.errors);
    const message = parsed.message;
    try {
      // Both checks come before anything is fetched: the certificate URL is trusted, the topic listed.
      this.sns.checkUrls(message);
      if (!integration.snsTopicArns.includes(message.TopicArn)) throw topicNotAllowed();
      await this.sns.verify(message);
      switch (message.Type) {
        case 'SubscriptionConfirmation':
          await this.sns.confirm(message);
          void reply.status(200);
          return { status: 'confirmed', topicArn: message.TopicArn };
        case 'UnsubscribeConfirmation':
          void reply.status(200);
          return { status: 'unsubscribed', topicArn: message.TopicArn };
        case 'Notification': {
          const alarm = fromCloudWatchAlarm(message.Message, message.MessageId);
          if (!alarm.ok) throw fieldProblem(alarm.errors.map((e) => `Message.${e}`));
          const outcome = await this.ingestion.deliver({
            integration,
            payloadHash: snsPayloadHash(message.MessageId),
            alerts: alarm.alerts,
            response: { status: 'accepted', alerts: alarm.alerts.length },
            now: this.clock.iso(),
          });
          return outcome.response;
        }
      }
    } catch (error) {
      throw snsProblem(error);
    }
  }

  @Post('v1/integrations/:key/alerts')
  @Public()
  @HttpCode(202)
  @ApiOperation({ summary: "Vigil's own alert format" })
  generic(@Param('key') key: string, @Body() body: unknown, @Req() request: RawBodyRequest<FastifyRequest>) {
    return this.receive(key, 'generic', body, request, () => fromGeneric(body, this.clock.iso()));
  }

  private async receive(
    key: string,
    type: IntegrationType,
    body: unknown,
    request: RawBodyRequest<FastifyRequest>,
    parse: () => AdapterResult,
  ) {
    return this.accept(await this.integration(key, type), body, request, parse);
  }

  /**
   * Takes a payload: bytes this process saw taken before get their first answer at once (a hash
   * of the bytes, no parsing); others are parsed by `parse`, validated and delivered.
   */
  private async accept(
    integration: Integration,
    body: unknown,
    request: RawBodyRequest<FastifyRequest>,
    parse: () => AdapterResult,
  ) {
    const bytesHash = requestBytesHash(request, request.rawBody);
    const known = bytesHash ? this.ingestion.answerTo(integration.id, bytesHash) : undefined;
    if (known) return known.response;
    const parsed = parse();
    if (!parsed.ok) throw fieldProblem(parsed.errors);
    const outcome = await this.ingestion.deliver({
      integration,
      payloadHash: payloadHash(body),
      bytesHash,
      alerts: parsed.alerts,
      response: { status: 'accepted', alerts: parsed.alerts.length },
      now: this.clock.iso(),
    });
    return outcome.response;
  }

  /** Unknown, disabled, malformed and other-type keys all answer the same 404. */
  private async integration(key: unknown, type: IntegrationType): Promise<Integration> {
    return (await this.receiver(key, type)).integration;
  }

  private async receiver(key: unknown, type: IntegrationType): Promise<Receiver> {
    const receiver = typeof key === 'string' ? await this.integrations.receiverByKey(key) : null;
    if (!receiver || receiver.integration.type !== type) throw unknownKey();
    return receiver;
  }
}
