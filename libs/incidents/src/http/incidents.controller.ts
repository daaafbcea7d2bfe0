import { createHash } from 'node:crypto';
import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { canonicalJson, newId } from '#vigil/event-store';
import {
  Clock,
  ProblemError,
  RequireScope,
  validationProblem,
  type AuthenticatedRequest,
  uuidParam,
} from '#vigil/common';
import type { CommandMetadata, IncidentCommand } from '../domain/commands.js';
import { HandleIncidentCommand } from '../application/incident-commands.js';
import {
  GetIncidentEventsQuery,
  GetIncidentQuery,
  GetIncidentTimelineQuery,
  ListIncidentsQuery,
  VerifyIncidentQuery,
} from '../application/incident-queries.js';
import type { IncidentView } from '../application/incident-view.js';
import { decodeCursor } from '../read-models/incident-read-model.js';
import {
  DeclareIncidentDto,
  DiagnosisDto,
  EmptyDto,
  ListIncidentsQueryDto,
  MilestoneCorrectionDto,
  NoteDto,
  ReopenDto,
  RemediationDto,
  RoleDto,
  SeverityDto,
  StatusUpdateDto,
  SummaryDto,
} from './incident.dto.js';

const uuid = uuidParam();

/** `If-Match: "3"` (or W/"3") → 3; `*` or no header → no precondition. */
const parseIfMatch = (header: string | undefined): number | undefined => {
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header);
  if (!match) {
    throw new ProblemError(
      400,
      'invalid-if-match',
      'Bad request',
      'If-Match must be an ETag this API returned, such as "3"',
    );
  }
  return Number(match[1]);
};

const idempotencyOf = (request: AuthenticatedRequest, body: unknown) => {
  const key = request.headers['idempotency-key'];
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new ProblemError(
      400,
      'invalid-idempotency-key',
      'Bad request',
      'Idempotency-Key must be 1 to 255 visible ASCII characters',
    );
  }
  const requestHash = createHash('sha256')
    .update(`${request.method} ${request.url.split('?')[0]}\n${canonicalJson(body ?? {})}`)
    .digest('hex');
  return { scope: `api-key:${request.apiKey!.id}`, key, requestHash };
};

@ApiTags('incidents')
@ApiBearerAuth()
@Controller('v1/incidents')
export class IncidentsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly clock: Clock,
  ) {}

  @Post()
  @HttpCode(201)
  @RequireScope('incidents:write')
  @ApiOperation({ summary: 'Declare an incident' })
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  async declare(
    @Body() body: DeclareIncidentDto,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    // Time-ordered ids keep an incident's rows together in every index keyed by it.
    const incident = await this.dispatch(newId(), request, reply, body, (incidentId, metadata) => ({
      type: 'OpenIncident',
      data: { incidentId, ...body },
      metadata,
    }));
    void reply.header('Location', `/v1/incidents/${incident.id}`);
    return incident;
  }

  @Get()
  @RequireScope('incidents:read')
  @ApiOperation({ summary: 'List incidents, newest first, with filters and cursor pagination' })
  list(@Query() query: ListIncidentsQueryDto) {
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && !cursor) {
      throw validationProblem([
        { field: 'cursor', message: 'cursor must be a nextCursor value this API returned' },
      ]);
    }
    // A range that ends before it starts is a mistake, not a question whose answer is "none".
    if (
      query.from !== undefined &&
      query.to !== undefined &&
      Date.parse(query.from) >= Date.parse(query.to)
    ) {
      throw validationProblem([{ field: 'from', message: 'from must be before to' }]);
    }
    return this.queries.execute(
      new ListIncidentsQuery({
        service: query.service,
        status: query.status,
        severity: query.severity,
        from: query.from,
        to: query.to,
        limit: query.limit ?? 50,
        cursor,
      }),
    );
  }

  @Get(':id')
  @RequireScope('incidents:read')
  @ApiOperation({ summary: 'One incident, folded from its event stream; ETag is its version' })
  async get(@Param('id', uuid) id: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const incident = await this.queries.execute(new GetIncidentQuery(id));
    void reply.header('ETag', `"${incident.version}"`);
    return incident;
  }

  @Get(':id/events')
  @RequireScope('incidents:read')
  @ApiOperation({ summary: "The incident's raw event stream, in order" })
  events(@Param('id', uuid) id: string) {
    return this.queries.execute(new GetIncidentEventsQuery(id));
  }

  @Get(':id/timeline')
  @RequireScope('incidents:read')
  @ApiOperation({ summary: 'The timeline: one plain-English entry per event, corrections included' })
  timeline(@Param('id', uuid) id: string) {
    return this.queries.execute(new GetIncidentTimelineQuery(id));
  }

  @Get(':id/verify')
  @RequireScope('incidents:read')
  @ApiOperation({ summary: "Re-derive the stream's hash chain and say whether it is intact" })
  verify(@Param('id', uuid) id: string) {
    return this.queries.execute(new VerifyIncidentQuery(id));
  }

  @Post(':id/acknowledge')
  @HttpCode(200)
  @RequireScope('incidents:write')
  acknowledge(
    @Param('id', uuid) id: string,
    @Body() body: EmptyDto,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.dispatch(id, req, reply, body, (incidentId, metadata) => ({
      type: 'AcknowledgeIncident',
      data: { incidentId },
      metadata,
    }));
  }

  @Post(':id/diagnoses')
  @HttpCode(200)
  @RequireScope('incidents:write')
  diagnose(
    @Param('id', uuid) id: string,
    @Body() body: DiagnosisDto,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.dispatch(id, req, reply, body, (incidentId, metadata) => ({
      type: 'RecordDiagnosis',
      data: { incidentId, diagnosis: body.diagnosis },
      metadata,
    }));
  }

  @Post(':id/remediations')
  @HttpCode(200)
  @RequireScope('incidents:write')
  remediate(
    @Param('id', uuid) id: string,
    @Body() body: RemediationDto,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.dispatch(id, req, reply, body, (incidentId, metadata) => ({
      type: 'StartRemediation',
      data: { incidentId, action: body.action },
      metadata,
    }));
  }

  @Post(':id/mitigate')
  @HttpCode(200)
  @RequireScope('incidents:write')
  mitigate(
    @Param('id', uuid) id: string,
    @Body() body: SummaryDto,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.dispatch(id, req, reply, body, (incidentId, metadata) => ({
      type: 'MitigateIncident',
      data: { incidentId, summary: body.summary },
      metadata,
    }));
  }

  @Post(':id/resolve')
  @HttpCode(200)
  @RequireScope('incidents:write')
  resolve(
    @Param('id', uuid) id: string,
    @Body() body: SummaryDto,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.dispatch(id, req, reply, body, (incidentId, metadata) => ({
      type: 'ResolveIncident',
      data: { incidentId, summary: body.summary },
      metadata,
    }));
  }

  @Post(':id/reopen')
  @HttpCode(200)
  @RequireScope('incidents:write')
  reopen(
    @Param('id', uuid) id: string,
    @Body() body: ReopenDto,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.dispatch(id, req, reply, body, (incidentId, metadata) => ({
      type: 'ReopenIncident',
      data: { incidentId, reason: body.reason },
      metadata,
    }));
  }

  @Post(':id/notes')
  @HttpCode(200)
  @RequireScope('incidents:write')
  note(
    @Param('id', uuid) id: string,
    @Body() body: NoteDto,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.dispatch(id, req, reply, body, (incidentId, metadata) => ({
      type: 'AddIncidentNote',
      data: { incidentId, text: body.text },
      metadata,
    }));
  }

  @Post(':id/status-updates')
  @HttpCode(200)
  @RequireScope('incidents:write')
  statusUpdate(
    @Param('id', uuid) id: string,
    @Body() body: StatusUpdateDto,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.dispatch(id, req, reply, body, (incidentId, metadata) => ({
      type: 'PostStatusUpdate',
      data: { incidentId, message: body.message },
      metadata,
    }));
  }

  @Post(':id/severity')
  @HttpCode(200)
  @RequireScope('incidents:write')
  severity(
    @Param('id', uuid) id: string,
    @Body() body: SeverityDto,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.dispatch(id, req, reply, body, (incidentId, metadata) => ({
      type: 'ChangeIncidentSeverity',
      data: { incidentId, severity: body.severity, reason: body.reason },
      metadata,
    }));
  }

  @Post(':id/roles')
  @HttpCode(200)
  @RequireScope('incidents:write')
  assignRole(
    @Param('id', uuid) id: string,
    @Body() body: RoleDto,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.dispatch(id, req, reply, body, (incidentId, metadata) => ({
      type: 'AssignIncidentRole',
      data: { incidentId, role: body.role, assignee: body.assignee },
      metadata,
    }));
  }

  @Post(':id/milestones')
  @HttpCode(200)
  @RequireScope('incidents:write')
  @ApiOperation({
    summary: 'Correct a milestone time; the original stays in the log and the timeline shows both',
  })
  correctMilestone(
    @Param('id', uuid) id: string,
    @Body() body: MilestoneCorrectionDto,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.dispatch(id, req, reply, body, (incidentId, metadata) => ({
      type: 'CorrectMilestone',
      data: { incidentId, milestone: body.milestone, to: body.to, reason: body.reason },
      metadata,
    }));
  }

  private async dispatch(
    incidentId: string,
    request: AuthenticatedRequest,
    reply: FastifyReply,
    body: object,
    build: (incidentId: string, metadata: CommandMetadata) => IncidentCommand,
  ): Promise<IncidentView> {
    const key = request.apiKey!;
    const metadata: CommandMetadata = {
      now: this.clock.iso(),
      actor: { kind: 'api-key', id: key.id, name: key.name },
      source: 'api',
    };
    const correlation = request.headers['x-correlation-id'];
    const incident = await this.commands.execute(
      new HandleIncidentCommand(build(incidentId, metadata), {
        expectedVersion: parseIfMatch(request.headers['if-match']),
        idempotency: idempotencyOf(request, body),
        correlationId:
          typeof correlation === 'string' && correlation.length <= 200 ? correlation : request.id,
      }),
    );
    void reply.header('ETag', `"${incident.version}"`);
    return incident;
  }
}
