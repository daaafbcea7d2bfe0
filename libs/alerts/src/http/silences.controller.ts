import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  Clock,
  ProblemError,
  RequireScope,
  validationProblem,
  type AuthenticatedRequest,
  uuidParam,
} from '#vigil/common';
import { matcherProblem } from '../domain/silences.js';
import { Silences } from '../silences/silences.js';
import { CreateSilenceDto, ListSilencesQueryDto } from './silences.dto.js';

const uuid = uuidParam();

const notFound = (id: string) =>
  new ProblemError(404, 'silence-not-found', 'Silence not found', `Silence ${id} does not exist`);

@ApiTags('silences')
@ApiBearerAuth()
@Controller('v1/silences')
export class SilencesController {
  constructor(
    private readonly silences: Silences,
    private readonly clock: Clock,
  ) {}

  @Post()
  @HttpCode(201)
  @RequireScope('silences:write')
  @ApiOperation({
    summary:
      'Silence alerts (or plan a maintenance window): matched alerts are recorded, open nothing, page no one',
  })
  create(@Body() body: CreateSilenceDto, @Req() request: AuthenticatedRequest) {
    const now = this.clock.iso();
    const startsAt = body.startsAt ? new Date(body.startsAt).toISOString() : now;
    const endsAt = new Date(body.endsAt).toISOString();
    const errors = body.matchers.flatMap((m, i) => {
      const problem = matcherProblem(m);
      return problem ? [{ field: `matchers.${i}`, message: problem }] : [];
    });
    if (Date.parse(endsAt) <= Date.parse(startsAt))
      errors.push({ field: 'endsAt', message: 'endsAt must be after startsAt' });
    if (Date.parse(endsAt) <= Date.parse(now))
      errors.push({ field: 'endsAt', message: 'endsAt must be in the future' });
    if (errors.length > 0) throw validationProblem(errors);
    return this.silences.create({
      matchers: body.matchers.map(({ name, op, value }) => ({ name, op, value })),
      startsAt,
      endsAt,
      comment: body.comment,
      createdBy: request.apiKey!.name,
    });
  }

  @Get()
  @RequireScope('silences:read')
  async list(@Query() query: ListSilencesQueryDto) {
    return { items: await this.silences.list(query.active === 'true' ? { activeAt: this.clock.iso() } : {}) };
  }

  @Get(':id')
  @RequireScope('silences:read')
  async get(@Param('id', uuid) id: string) {
    return (await this.silences.get(id)) ?? Promise.reject(notFound(id));
  }

  @Delete(':id')
  @RequireScope('silences:write')
  @ApiOperation({ summary: 'End a silence now; it stays on record' })
  async expire(@Param('id', uuid) id: string) {
    return (await this.silences.expire(id, this.clock.iso())) ?? Promise.reject(notFound(id));
  }
}
