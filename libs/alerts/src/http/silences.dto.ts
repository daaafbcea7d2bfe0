import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsISO8601,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { MATCHER_OPS } from '../domain/silences.js';

const NO_NUL = /^[^\u0000]*$/;

export class MatcherDto {
  @ApiProperty({ example: 'service' })
  @IsString()
  @MaxLength(100)
  name!: string;

  @ApiProperty({ enum: MATCHER_OPS })
  @IsIn(MATCHER_OPS)
  op!: (typeof MATCHER_OPS)[number];

  @ApiProperty({ example: 'payments' })
  @IsString()
  @MaxLength(1024)
  @Matches(NO_NUL, { message: 'value must not contain NUL characters' })
  value!: string;
}

export class CreateSilenceDto {
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

  @ApiPropertyOptional({ description: 'Defaults to now' })
  @IsOptional()
  @IsISO8601({ strict: true })
  startsAt?: string;

  @ApiProperty()
  @IsISO8601({ strict: true })
  endsAt!: string;

  @ApiProperty({ example: 'Database maintenance, change CHG-1234' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  @Matches(NO_NUL, { message: 'comment must not contain NUL characters' })
  comment!: string;
}

export class ListSilencesQueryDto {
  @ApiPropertyOptional({ description: 'true: only silences in force now' })
  @IsOptional()
  @IsIn(['true', 'false'])
  active?: 'true' | 'false';
}
