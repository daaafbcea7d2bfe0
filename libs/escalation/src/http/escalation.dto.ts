import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { SEVERITIES } from '#vigil/incidents';

// Bodies are checked for shape here; the domain checks meaning (rotations, restrictions, instants,
// levels) and answers 422 with a stable code.

const NO_NUL = /^[^\u0000]*$/;
const SERVICE = /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/;

export class CreateUserDto {
  @ApiProperty({ example: 'Alice Example', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @Matches(NO_NUL)
  name!: string;

  @ApiPropertyOptional({ example: 'alice@example.com', nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(320)
  email?: string | null;

  @ApiPropertyOptional({
    example: 'U012AB3CD',
    description: 'The Slack user id that pages reach',
    nullable: true,
  })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  slackUserId?: string | null;

  @ApiPropertyOptional({ example: 'Europe/London', nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  timeZone?: string | null;
}

export class UpdateUserDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @Matches(NO_NUL)
  name?: string;

  @ApiPropertyOptional({ nullable: true, description: 'null clears it' })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsString()
  @MaxLength(320)
  email?: string | null;

  @ApiPropertyOptional({ nullable: true, description: 'null clears it' })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsString()
  @MaxLength(40)
  slackUserId?: string | null;

  @ApiPropertyOptional({ nullable: true, description: 'null clears it' })
  @ValidateIf((_, v) => v !== null && v !== undefined)
  @IsString()
  @MaxLength(100)
  timeZone?: string | null;
}

export class LayerDto {
  @ApiPropertyOptional({ description: 'Defaults to a new id' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  id?: string;

  @ApiPropertyOptional({ example: 'Weekly primary' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string;

  @ApiProperty({ example: '2026-01-05T09:00:00Z', description: 'When the layer starts covering (ISO-8601)' })
  @IsString()
  start!: string;

  @ApiProperty({
    example: { kind: 'weekly' },
    description: "{kind: 'daily'} | {kind: 'weekly'} | {kind: 'custom', every, unit: 'hours'|'days'}",
  })
  @IsObject()
  rotation!:
    { kind: 'daily' } | { kind: 'weekly' } | { kind: 'custom'; every: number; unit: 'hours' | 'days' };

  @ApiProperty({ example: '09:00', description: "Local time of handoff in the schedule's zone" })
  @IsString()
  handoffTime!: string;

  @ApiProperty({ example: ['0190…'], description: 'User ids in rotation order' })
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  users!: string[];

  @ApiPropertyOptional({
    example: [{ kind: 'weekly', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' }],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsObject({ each: true })
  restrictions?: Array<
    | { kind: 'daily'; start: string; end: string }
    | {
        kind: 'weekly';
        days: Array<'sun' | 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat'>;
        start: string;
        end: string;
      }
  >;
}

export class CreateScheduleDto {
  @ApiProperty({ example: 'Payments primary', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @Matches(NO_NUL)
  name!: string;

  @ApiProperty({ example: 'Europe/London' })
  @IsString()
  @MaxLength(100)
  timeZone!: string;

  @ApiPropertyOptional({
    type: [LayerDto],
    description: 'Lowest first; the highest layer with someone on call wins',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsObject({ each: true })
  // Each layer is checked as POST /v1/schedules/{id}/layers checks it.
  @ValidateNested({ each: true })
  @Type(() => LayerDto)
  layers?: LayerDto[];
}

export class OverrideDto {
  @ApiPropertyOptional({ description: 'Defaults to a new id' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  id?: string;

  @ApiProperty()
  @IsString()
  userId!: string;

  @ApiProperty({ example: '2026-01-06T18:00:00Z' })
  @IsString()
  start!: string;

  @ApiProperty({ example: '2026-01-07T09:00:00Z' })
  @IsString()
  end!: string;
}

export class AtQueryDto {
  @ApiPropertyOptional({ description: 'The instant (ISO-8601); now by default' })
  @IsOptional()
  @IsISO8601({ strict: true })
  at?: string;
}

export class RangeQueryDto {
  @ApiProperty({ description: 'From (ISO-8601)' })
  @IsISO8601({ strict: true })
  from!: string;

  @ApiProperty({ description: 'To (ISO-8601), at most 93 days after from' })
  @IsISO8601({ strict: true })
  to!: string;
}

export class PolicyDto {
  @ApiProperty({ example: 'Checkout', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @Matches(NO_NUL)
  name!: string;

  @ApiProperty({
    example: [
      { targets: [{ kind: 'schedule', id: '0190…' }], delayMinutes: 5 },
      {
        targets: [
          { kind: 'user', id: '0190…' },
          { kind: 'channel', id: 'C0123' },
        ],
        delayMinutes: 10,
      },
    ],
    description:
      "Levels in order: each pages its targets ({kind: 'user'|'schedule'|'channel', id}) and waits delayMinutes for an acknowledgement",
  })
  @IsArray()
  @ArrayMaxSize(20)
  @IsObject({ each: true })
  levels!: Array<{
    targets: Array<{ kind: 'user' | 'schedule' | 'channel'; id: string }>;
    delayMinutes: number;
  }>;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 9,
    default: 0,
    description: 'Passes over the levels after the first',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(9)
  repeats?: number;
}

export class VersionQueryDto {
  @ApiPropertyOptional({ description: 'A past version; the current one by default' })
  @IsOptional()
  @Matches(/^[1-9]\d{0,8}$/, { message: 'version must be a positive whole number' })
  version?: string;
}

export class AttachmentDto {
  @ApiProperty({ example: 'checkout' })
  @IsString()
  @MaxLength(100)
  @Matches(SERVICE, { message: 'service must be a name of letters, digits and . _ : / -' })
  service!: string;

  @ApiPropertyOptional({ enum: SEVERITIES, description: 'Only incidents of this severity; any when absent' })
  @IsOptional()
  @IsIn(SEVERITIES)
  severity?: (typeof SEVERITIES)[number];
}

export class OnCallQueryDto {
  @ApiProperty({ example: 'checkout' })
  @IsString()
  @MaxLength(100)
  @Matches(SERVICE, { message: 'service must be a name of letters, digits and . _ : / -' })
  service!: string;

  @ApiPropertyOptional({ enum: SEVERITIES })
  @IsOptional()
  @IsIn(SEVERITIES)
  severity?: (typeof SEVERITIES)[number];

  @ApiPropertyOptional({ description: 'The instant (ISO-8601); now by default' })
  @IsOptional()
  @IsISO8601({ strict: true })
  at?: string;
}

export class PageDto {
  @ApiPropertyOptional({ description: 'Page this user' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  userId?: string;

  @ApiPropertyOptional({ description: 'Page whoever is on call in this schedule now' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  scheduleId?: string;
}

export class EmptyBodyDto {}
