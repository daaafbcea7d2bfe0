import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import type { Pool } from 'pg';
import { Clock, PG_POOL, RequireScope, validationProblem } from '#vigil/common';
import { alertFatigueReport } from '../read-models/alert-fatigue.report.js';

export class AlertFatigueQueryDto {
  @ApiPropertyOptional({ description: 'Start (ISO-8601), default 30 days before `to`' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ description: 'End, exclusive (ISO-8601), default now' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(/^[^\u0000]*$/, { message: 'service must not contain NUL characters' })
  service?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 10, description: 'How many noisiest rules' })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}

@ApiTags('analytics')
@ApiBearerAuth()
@Controller('v1/analytics')
export class AnalyticsController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly clock: Clock,
  ) {}

  @Get('alert-fatigue')
  @RequireScope('incidents:read')
  @ApiOperation({ summary: 'Alert-fatigue ratio (non-actionable ÷ actionable) and the noisiest rules' })
  alertFatigue(@Query() query: AlertFatigueQueryDto) {
    const to = query.to ? new Date(query.to).toISOString() : this.clock.iso();
    const from = query.from
      ? new Date(query.from).toISOString()
      : new Date(Date.parse(to) - 30 * 86_400_000).toISOString();
    if (Date.parse(from) >= Date.parse(to))
      throw validationProblem([{ field: 'from', message: 'from must be before to' }]);
    return alertFatigueReport(this.pool, { from, to, service: query.service, limit: query.limit ?? 10 });
  }
}
