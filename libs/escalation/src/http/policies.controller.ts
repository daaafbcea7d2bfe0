import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  Req,
  Res,
  UseInterceptors,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Clock, RequireScope, type AuthenticatedRequest, uuidParam } from '#vigil/common';
import { Escalations } from '../application/escalations.js';
import { Policies } from '../application/policies.js';
import { EscalationError } from '../domain/escalation-errors.js';
import { AttachmentDto, OnCallQueryDto, PolicyDto, VersionQueryDto } from './escalation.dto.js';
import { EscalationProblems } from './escalation-problems.js';
import { actorOf, instant, refuseNul } from './http-support.js';

@ApiTags('escalation')
@ApiBearerAuth()
@Controller('v1/escalation-policies')
@UseInterceptors(EscalationProblems)
export class PoliciesController {
  constructor(
    private readonly policies: Policies,
    private readonly clock: Clock,
  ) {}

  @Post()
  @RequireScope('admin')
  @ApiOperation({ summary: 'Create an escalation policy (version 1)' })
  async create(
    @Body() body: PolicyDto,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const policy = await this.policies.create(refuseNul(body), actorOf(request), this.clock.iso());
    void reply.status(201).header('Location', `/v1/escalation-policies/${policy.id}`);
    return policy;
  }

  @Get(':id')
  @RequireScope('incidents:read')
  @ApiOperation({ summary: 'A policy as it stands, or at ?version=, with where it is attached now' })
  get(@Param('id', uuidParam()) id: string, @Query() query: VersionQueryDto) {
    return this.policies.get(id, query.version === undefined ? undefined : Number(query.version));
  }

  @Put(':id')
  @RequireScope('admin')
  @ApiOperation({ summary: 'Change a policy: a new version; running escalations keep theirs' })
  change(
    @Param('id', uuidParam()) id: string,
    @Body() body: PolicyDto,
    @Req() request: AuthenticatedRequest,
  ) {
    return this.policies.change(id, refuseNul(body), actorOf(request), this.clock.iso());
  }

  @Post(':id/attachments')
  @HttpCode(200)
  @RequireScope('admin')
  @ApiOperation({
    summary:
      "Escalate a service's incidents (of one severity, or of any) with this policy; the most specific attachment wins",
  })
  attach(
    @Param('id', uuidParam()) id: string,
    @Body() body: AttachmentDto,
    @Req() request: AuthenticatedRequest,
  ) {
    return this.policies.attach(
      id,
      { service: body.service, severity: body.severity ?? null },
      actorOf(request),
      this.clock.iso(),
    );
  }

  @Delete(':id/attachments')
  @RequireScope('admin')
  @ApiOperation({ summary: 'Detach the policy from ?service= (and ?severity=, or the any-severity route)' })
  async detach(
    @Param('id', uuidParam()) id: string,
    @Query() query: AttachmentDto,
    @Req() request: AuthenticatedRequest,
  ) {
    const severity = query.severity ?? null;
    const attached = await this.policies.attachments(id);
    if (!attached.some((a) => a.service === query.service && a.severity === severity)) {
      throw new EscalationError(
        'PolicyNotAttached',
        `Policy ${id} is not attached to ${query.service} for ${severity ?? 'any severity'}`,
      );
    }
    return this.policies.detach({ service: query.service, severity }, actorOf(request), this.clock.iso());
  }
}

@ApiTags('escalation')
@ApiBearerAuth()
@Controller('v1/oncall')
@UseInterceptors(EscalationProblems)
export class OnCallController {
  constructor(
    private readonly escalations: Escalations,
    private readonly clock: Clock,
  ) {}

  @Get()
  @RequireScope('incidents:read')
  @ApiOperation({
    summary: "Who level 1 of a service's policy pages at ?at= (now by default), with Slack ids",
  })
  onCall(@Query() query: OnCallQueryDto) {
    return this.escalations.onCall(
      query.service,
      instant(query.at, this.clock.now()),
      query.severity ?? null,
    );
  }
}
