import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsInt, IsOptional, IsString, MaxLength } from 'class-validator';
import { MAX_GROUP_BY_LABELS, MAX_GROUPING_WINDOW_MINUTES } from '../domain/grouping.js';

export class GroupingRuleDto {
  @ApiProperty({
    example: ['alertname', 'cluster'],
    description:
      "Label names whose values must be equal for alerts to share an incident. [] puts every alert of an integration in one group; ['...'] groups by every label.",
  })
  @IsArray()
  @ArrayMaxSize(MAX_GROUP_BY_LABELS)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  groupBy!: string[];

  @ApiPropertyOptional({
    example: 60,
    nullable: true,
    minimum: 1,
    maximum: MAX_GROUPING_WINDOW_MINUTES,
    description:
      'A new alert joins its group’s open incident only while the incident is younger than this; null or absent: while it is open.',
  })
  @IsOptional()
  @IsInt()
  windowMinutes?: number | null;
}
