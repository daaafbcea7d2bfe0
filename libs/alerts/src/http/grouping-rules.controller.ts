import { Body, Controller, Delete, Get, HttpCode, Param, Put, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProblemError, RequireScope, validationProblem, type AuthenticatedRequest } from '#vigil/common';
import { groupingRuleErrors } from '../domain/grouping.js';
import { GroupingRules } from '../grouping/grouping-rules.js';
import { GroupingRuleDto } from './grouping-rules.dto.js';

const SERVICE = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/;

const checkService = (service: string) => {
  if (!SERVICE.test(service)) {
    throw validationProblem([
      { field: 'service', message: 'service must be a name of letters, digits and . _ : / -' },
    ]);
  }
  return service;
};

const notFound = (service: string) =>
  new ProblemError(
    404,
    'grouping-rule-not-found',
    'Grouping rule not found',
    `Service ${service} has no grouping rule`,
  );

@ApiTags('alerts')
@ApiBearerAuth()
@Controller('v1/grouping-rules')
export class GroupingRulesController {
  constructor(private readonly rules: GroupingRules) {}

  @Get()
  @RequireScope('incidents:read')
  @ApiOperation({ summary: "Every service's grouping rule" })
  async list() {
    return { items: await this.rules.list() };
  }

  @Get(':service')
  @RequireScope('incidents:read')
  @ApiOperation({ summary: "A service's grouping rule" })
  async get(@Param('service') service: string) {
    const rule = await this.rules.get(checkService(service));
    if (!rule) throw notFound(service);
    return rule;
  }

  @Put(':service')
  @RequireScope('admin')
  @ApiOperation({
    summary:
      "Set a service's grouping rule: which alerts fold into one incident (group_by labels) and for how long (window)",
  })
  put(
    @Param('service') service: string,
    @Body() body: GroupingRuleDto,
    @Req() request: AuthenticatedRequest,
  ) {
    const rule = { groupBy: body.groupBy, windowMinutes: body.windowMinutes ?? null };
    const errors = groupingRuleErrors(rule);
    if (errors.length > 0) throw validationProblem(errors);
    return this.rules.put(checkService(service), rule, request.apiKey!.name);
  }

  @Delete(':service')
  @HttpCode(204)
  @RequireScope('admin')
  @ApiOperation({
    summary: "Remove a service's grouping rule: alerts keep the groups their sources give them",
  })
  async remove(@Param('service') service: string) {
    if (!(await this.rules.remove(checkService(service)))) throw notFound(service);
  }
}
