import { Body, Controller, Get, HttpCode, Param, Post, Req, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScope, validationProblem, type AuthenticatedRequest, uuidParam } from '#vigil/common';
import { Escalations } from '../application/escalations.js';
import { EmptyBodyDto, PageDto } from './escalation.dto.js';
import { EscalationProblems } from './escalation-problems.js';
import { actorOf } from './http-support.js';

@ApiTags('incidents')
@ApiBearerAuth()
@Controller('v1/incidents')
@UseInterceptors(EscalationProblems)
export class IncidentEscalationController {
  constructor(private readonly escalations: Escalations) {}

  @Post(':id/escalate')
  @HttpCode(200)
  @RequireScope('incidents:write')
  @ApiOperation({ summary: 'Escalate to the next level now (refused once acknowledged)' })
  escalate(
    @Param('id', uuidParam()) id: string,
    @Body() _body: EmptyBodyDto,
    @Req() request: AuthenticatedRequest,
  ) {
    return this.escalations.escalate(id, actorOf(request));
  }

  @Post(':id/pages')
  @HttpCode(200)
  @RequireScope('incidents:write')
  @ApiOperation({ summary: 'Page a user, or whoever is on call in a schedule, outside the policy' })
  page(@Param('id', uuidParam()) id: string, @Body() body: PageDto, @Req() request: AuthenticatedRequest) {
    if ((body.userId === undefined) === (body.scheduleId === undefined)) {
      throw validationProblem([{ field: '(body)', message: 'give exactly one of userId and scheduleId' }]);
    }
    const target = body.userId !== undefined ? { userId: body.userId } : { scheduleId: body.scheduleId! };
    return this.escalations.page(id, target, actorOf(request));
  }

  @Get(':id/paging-explanation')
  @RequireScope('incidents:read')
  @ApiOperation({
    summary:
      'For each escalation step: the policy and version, the level, who was on call and why, who was paged and who was not',
  })
  explain(@Param('id', uuidParam()) id: string) {
    return this.escalations.explain(id);
  }
}
