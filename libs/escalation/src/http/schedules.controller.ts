import {
  Body,
  Controller,
  Delete,
  Get,
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
import { Schedules } from '../application/schedules.js';
import { AtQueryDto, CreateScheduleDto, LayerDto, OverrideDto, RangeQueryDto } from './escalation.dto.js';
import { EscalationProblems } from './escalation-problems.js';
import { actorOf, instant, refuseNul } from './http-support.js';

@ApiTags('escalation')
@ApiBearerAuth()
@Controller('v1/schedules')
@UseInterceptors(EscalationProblems)
export class SchedulesController {
  constructor(
    private readonly schedules: Schedules,
    private readonly clock: Clock,
  ) {}

  @Post()
  @RequireScope('admin')
  @ApiOperation({ summary: 'Create an on-call schedule, optionally with its layers' })
  async create(
    @Body() body: CreateScheduleDto,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const schedule = await this.schedules.create(refuseNul(body), actorOf(request), this.clock.iso());
    void reply
      .status(201)
      .header('Location', `/v1/schedules/${schedule.id}`)
      .header('ETag', `"${schedule.version}"`);
    return schedule;
  }

  @Get(':id')
  @RequireScope('incidents:read')
  @ApiOperation({ summary: 'A schedule as it stands: layers (lowest first) and overrides' })
  async get(@Param('id', uuidParam()) id: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const schedule = await this.schedules.get(id);
    void reply.header('ETag', `"${schedule.version}"`);
    return schedule;
  }

  @Post(':id/layers')
  @RequireScope('admin')
  @ApiOperation({ summary: 'Add a layer on top of the others' })
  async addLayer(
    @Param('id', uuidParam()) id: string,
    @Body() body: LayerDto,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    void reply.status(201);
    return this.schedules.addLayer(id, refuseNul(body), actorOf(request), this.clock.iso());
  }

  @Put(':id/layers/:layerId')
  @RequireScope('admin')
  @ApiOperation({ summary: "Replace a layer's definition; it keeps its place" })
  changeLayer(
    @Param('id', uuidParam()) id: string,
    @Param('layerId') layerId: string,
    @Body() body: LayerDto,
    @Req() request: AuthenticatedRequest,
  ) {
    return this.schedules.changeLayer(
      id,
      { ...refuseNul(body), id: layerId },
      actorOf(request),
      this.clock.iso(),
    );
  }

  @Delete(':id/layers/:layerId')
  @RequireScope('admin')
  removeLayer(
    @Param('id', uuidParam()) id: string,
    @Param('layerId') layerId: string,
    @Req() request: AuthenticatedRequest,
  ) {
    return this.schedules.removeLayer(id, layerId, actorOf(request), this.clock.iso());
  }

  @Post(':id/overrides')
  @RequireScope('admin')
  @ApiOperation({ summary: 'Put a user on call over every layer for a while (the latest override wins)' })
  async addOverride(
    @Param('id', uuidParam()) id: string,
    @Body() body: OverrideDto,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    void reply.status(201);
    return this.schedules.addOverride(id, refuseNul(body), actorOf(request), this.clock.iso());
  }

  @Delete(':id/overrides/:overrideId')
  @RequireScope('admin')
  removeOverride(
    @Param('id', uuidParam()) id: string,
    @Param('overrideId') overrideId: string,
    @Req() request: AuthenticatedRequest,
  ) {
    return this.schedules.removeOverride(id, overrideId, actorOf(request), this.clock.iso());
  }

  @Get(':id/oncall')
  @RequireScope('incidents:read')
  @ApiOperation({
    summary: 'Who is on call at ?at= (now by default) and why: the layer and turn, or the override',
  })
  onCall(@Param('id', uuidParam()) id: string, @Query() query: AtQueryDto) {
    return this.schedules.onCall(id, instant(query.at, this.clock.now()));
  }

  @Get(':id/shifts')
  @RequireScope('incidents:read')
  @ApiOperation({ summary: 'The on-call timeline of [from, to), at most 93 days' })
  async shifts(@Param('id', uuidParam()) id: string, @Query() query: RangeQueryDto) {
    return { items: await this.schedules.shifts(id, new Date(query.from), new Date(query.to)) };
  }
}
