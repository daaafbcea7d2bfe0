import { createHash } from 'node:crypto';
import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { v7 as uuidv7 } from 'uuid';
import {
  Clock,
  ProblemError,
  Public,
  validationProblem,
  WireFormatError,
  type ProblemDetails,
} from '#vigil/common';
import { canonicalJson } from '#vigil/event-store';
import { AlertIngestion } from '../application/alert-ingestion.js';
import { fromAlertmanager } from '../domain/alertmanager.adapter.js';
import { fromGeneric } from '../domain/generic.adapter.js';
import { fromGrafana } from '../domain/grafana.adapter.js';
import type { AdapterResult } from '../domain/normalised-alert.js';
import { fromPagerDutyEvent, parseChangeEvent } from '../domain/pagerduty.adapter.js';
import { Integrations, type Integration, type IntegrationType } from '../integrations/integrations.js';

/** The bodies of alert receivers are capped lower than the API's (PagerDuty's own limit). */
export const RECEIVER_BODY_LIMIT_BYTES = 512 * 1024;

const payloadHash = (body: unknown) => createHash('sha256').update(canonicalJson(body)).digest('hex');

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

@ApiTags('alerts')
@Controller()
export class ReceiversController {
  constructor(
    private readonly integrations: Integrations,
    private readonly ingestion: AlertIngestion,
    private readonly clock: Clock,
  ) {}

  @Post('v2/enqueue')
  @Public()
  @HttpCode(202)
  @ApiOperation({
    summary: 'PagerDuty Events API v2, wire-compatible: routing_key is a Vigil integration key',
  })
  async enqueue(@Body() body: unknown) {
    const now = this.clock.iso();
    const parsed = fromPagerDutyEvent(body, now, () => uuidv7());
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
  alertmanager(@Param('key') key: string, @Body() body: unknown) {
    return this.receive(key, 'alertmanager', body, fromAlertmanager(body));
  }

  @Post('v1/integrations/:key/grafana')
  @Public()
  @HttpCode(202)
  @ApiOperation({ summary: 'Grafana unified alerting webhook contact point' })
  grafana(@Param('key') key: string, @Body() body: unknown) {
    return this.receive(key, 'grafana', body, fromGrafana(body));
  }

  @Post('v1/integrations/:key/alerts')
  @Public()
  @HttpCode(202)
  @ApiOperation({ summary: "Vigil's own alert format" })
  generic(@Param('key') key: string, @Body() body: unknown) {
    return this.receive(key, 'generic', body, fromGeneric(body, this.clock.iso()));
  }

  private async receive(key: string, type: IntegrationType, body: unknown, parsed: AdapterResult) {
    const integration = await this.integration(key, type);
    if (!parsed.ok) {
      throw validationProblem(
        parsed.errors.map((e) => {
          const at = e.indexOf(': ');
          return at > 0
            ? { field: e.slice(0, at), message: e.slice(at + 2) }
            : { field: '(body)', message: e };
        }),
      );
    }
    const outcome = await this.ingestion.deliver({
      integration,
      payloadHash: payloadHash(body),
      alerts: parsed.alerts,
      response: { status: 'accepted', alerts: parsed.alerts.length },
      now: this.clock.iso(),
    });
    return outcome.response;
  }

  /** Unknown, disabled, malformed and other-type keys all answer the same 404. */
  private async integration(key: unknown, type: IntegrationType): Promise<Integration> {
    const integration = typeof key === 'string' ? await this.integrations.byKey(key) : null;
    if (!integration || integration.type !== type) throw unknownKey();
    return integration;
  }
}
