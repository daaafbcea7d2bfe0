import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { MAX_FLAPPING_WINDOW_MINUTES } from '../domain/alert-group.js';
import { GroupingRuleDto } from './grouping-rules.dto.js';
import { MatcherDto } from './silences.dto.js';

const NO_NUL = /^[^\u0000]*$/;
/** The names services may have (as the grouping-rules routes check them). */
const SERVICE = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/;

export const MAX_BACKTEST_DAYS = 92;
export const MAX_WARMUP_MINUTES = 7 * 24 * 60;
export const MAX_PROPOSED_SILENCES = 100;

export class ProposedSilenceDto {
  @ApiProperty({
    type: [MatcherDto],
    description: 'All must match: alert labels plus service, source and severity',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => MatcherDto)
  matchers!: MatcherDto[];

  @ApiProperty({ example: '2026-11-01T00:00:00Z' })
  @IsISO8601({ strict: true })
  startsAt!: string;

  @ApiProperty({ example: '2026-11-28T00:00:00Z' })
  @IsISO8601({ strict: true })
  endsAt!: string;

  @ApiPropertyOptional({ example: 'Would silencing staging have helped?' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  @Matches(NO_NUL, { message: 'comment must not contain NUL characters' })
  comment?: string;
}

export class FlappingRuleDto {
  @ApiProperty({
    example: 5,
    minimum: 1,
    maximum: 1000,
    description: 'Fires within the window that make an alert flapping',
  })
  @IsInt()
  @Min(1)
  @Max(1000)
  maxFires!: number;

  @ApiProperty({ example: 30, minimum: 1, maximum: MAX_FLAPPING_WINDOW_MINUTES })
  @IsInt()
  @Min(1)
  @Max(MAX_FLAPPING_WINDOW_MINUTES)
  windowMinutes!: number;
}

export class BacktestRulesDto {
  @ApiPropertyOptional({
    type: GroupingRuleDto,
    nullable: true,
    description:
      "Absent: each service's configured grouping rule. null: no rule (each alert keeps its source's group). " +
      'A rule: that rule for every service replayed. Its window is the dedup window: how long a new alert may still join an open incident.',
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => GroupingRuleDto)
  grouping?: GroupingRuleDto | null;

  @ApiPropertyOptional({
    type: [ProposedSilenceDto],
    maxItems: MAX_PROPOSED_SILENCES,
    description: 'Silences to try, besides those on record (see recordedSilences). Never stored.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_PROPOSED_SILENCES)
  @ValidateNested({ each: true })
  @Type(() => ProposedSilenceDto)
  silences?: ProposedSilenceDto[];

  @ApiPropertyOptional({
    default: true,
    description:
      'true: the silences on record stay in force as they were; false: replay as if there had been none',
  })
  @IsOptional()
  @IsBoolean()
  recordedSilences?: boolean;

  @ApiPropertyOptional({
    type: FlappingRuleDto,
    nullable: true,
    description: "Absent: ingestion's default (5 fires in 30 minutes). null: no flapping detection.",
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => FlappingRuleDto)
  flapping?: FlappingRuleDto | null;

  @ApiPropertyOptional({
    description: "Whether an incident resolves when its last alert does. Absent: each integration's setting.",
  })
  @IsOptional()
  @IsBoolean()
  autoResolve?: boolean;
}

export class BacktestDto {
  @ApiProperty({ example: '2026-11-01T00:00:00Z', description: 'Start of the range (ISO-8601)' })
  @IsISO8601({ strict: true })
  from!: string;

  @ApiProperty({
    example: '2026-11-28T00:00:00Z',
    description: `End of the range, exclusive; at most ${MAX_BACKTEST_DAYS} days after from`,
  })
  @IsISO8601({ strict: true })
  to!: string;

  @ApiPropertyOptional({
    example: 'checkout',
    description: "Only this service's alerts; absent: every service's",
  })
  @IsOptional()
  @IsString()
  @Matches(SERVICE, { message: 'service must be a name of letters, digits and . _ : / -' })
  service?: string;

  @ApiPropertyOptional({
    default: 1440,
    minimum: 0,
    maximum: MAX_WARMUP_MINUTES,
    description:
      'How long before from the replay starts, uncounted, to learn which alerts were firing and which incidents open when the range began',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_WARMUP_MINUTES)
  warmupMinutes?: number;

  @ApiPropertyOptional({
    type: BacktestRulesDto,
    description: 'The proposed rules; whatever is left out stays as it is',
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => BacktestRulesDto)
  rules?: BacktestRulesDto;

  @ApiPropertyOptional({
    default: 50,
    minimum: 0,
    maximum: 500,
    description: 'How many proposed incidents to list',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(500)
  incidentLimit?: number;

  @ApiPropertyOptional({
    default: 10,
    minimum: 1,
    maximum: 100,
    description: 'How many noisiest rules per side',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  ruleLimit?: number;
}
