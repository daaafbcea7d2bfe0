import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { INCIDENT_ROLES, INCIDENT_STATUSES, MILESTONES, SEVERITIES } from '../domain/types.js';

const NO_NUL = /^[^\u0000]*$/;
const TEXT = (max: number) => [
  IsString(),
  IsNotEmpty(),
  MaxLength(max),
  Matches(NO_NUL, { message: '$property must not contain NUL characters' }),
];
const apply =
  (...decorators: PropertyDecorator[]): PropertyDecorator =>
  (target, key) => {
    for (const d of decorators) d(target, key);
  };
const Text = (max: number) => apply(...TEXT(max));
const OptionalText = (max: number) => apply(IsOptional(), ...TEXT(max));

export class DeclareIncidentDto {
  @ApiProperty({ example: 'Checkout API returns 502', maxLength: 200 })
  @Text(200)
  title!: string;

  @ApiProperty({ enum: SEVERITIES, example: 'SEV2' })
  @IsIn(SEVERITIES)
  severity!: (typeof SEVERITIES)[number];

  @ApiProperty({ example: 'checkout', maxLength: 100 })
  @Text(100)
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, {
    message: 'service must be a name of letters, digits and . _ : / -',
  })
  service!: string;

  @ApiPropertyOptional({ maxLength: 5000 })
  @OptionalText(5000)
  summary?: string;

  @ApiPropertyOptional({ description: 'When users were first affected (ISO-8601); defaults to now' })
  @IsOptional()
  @IsISO8601({ strict: true })
  impactStartedAt?: string;
}

export class EmptyDto {}

export class DiagnosisDto {
  @ApiProperty({ example: 'Connection pool exhausted on payments-db' })
  @Text(5000)
  diagnosis!: string;
}

export class RemediationDto {
  @ApiProperty({ example: 'Rolling back deploy 2026-11-28.3' })
  @Text(5000)
  action!: string;
}

export class SummaryDto {
  @ApiPropertyOptional()
  @OptionalText(5000)
  summary?: string;
}

export class ReopenDto {
  @ApiPropertyOptional()
  @OptionalText(2000)
  reason?: string;
}

export class NoteDto {
  @ApiProperty()
  @Text(10000)
  text!: string;
}

export class StatusUpdateDto {
  @ApiProperty({ example: 'Payments are recovering; error rate down to 0.5%' })
  @Text(5000)
  message!: string;
}

export class SeverityDto {
  @ApiProperty({ enum: SEVERITIES })
  @IsIn(SEVERITIES)
  severity!: (typeof SEVERITIES)[number];

  @ApiPropertyOptional()
  @OptionalText(2000)
  reason?: string;
}

export class RoleDto {
  @ApiProperty({ enum: INCIDENT_ROLES })
  @IsIn(INCIDENT_ROLES)
  role!: (typeof INCIDENT_ROLES)[number];

  @ApiProperty({ example: 'alice' })
  @Text(200)
  assignee!: string;
}

export class MilestoneCorrectionDto {
  @ApiProperty({ enum: MILESTONES })
  @IsIn(MILESTONES)
  milestone!: (typeof MILESTONES)[number];

  @ApiProperty({ description: 'The corrected time (ISO-8601)' })
  @IsISO8601({ strict: true })
  to!: string;

  @ApiProperty({ example: 'The alert fired 20 minutes after users were affected' })
  @Text(2000)
  reason!: string;
}

const list = ({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean)
    : value;

export class ListIncidentsQueryDto {
  @ApiPropertyOptional()
  @OptionalText(100)
  service?: string;

  @ApiPropertyOptional({ description: `Comma-separated: ${INCIDENT_STATUSES.join(', ')}` })
  @IsOptional()
  @Transform(list)
  @IsIn(INCIDENT_STATUSES, { each: true })
  status?: Array<(typeof INCIDENT_STATUSES)[number]>;

  @ApiPropertyOptional({ description: `Comma-separated: ${SEVERITIES.join(', ')}` })
  @IsOptional()
  @Transform(list)
  @IsIn(SEVERITIES, { each: true })
  severity?: Array<(typeof SEVERITIES)[number]>;

  @ApiPropertyOptional({ description: 'Opened at or after (ISO-8601)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ description: 'Opened before (ISO-8601)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @OptionalText(500)
  cursor?: string;
}
