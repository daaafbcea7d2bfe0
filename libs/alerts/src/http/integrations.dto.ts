import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { INTEGRATION_TYPES } from '../integrations/integrations.js';

export class CreateIntegrationDto {
  @ApiProperty({ example: 'Prometheus (prod)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @Matches(/^[^\u0000]*$/, { message: 'name must not contain NUL characters' })
  name!: string;

  @ApiProperty({ example: 'checkout' })
  @IsString()
  @MaxLength(100)
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, {
    message: 'service must be a name of letters, digits and . _ : / -',
  })
  service!: string;

  @ApiProperty({ enum: INTEGRATION_TYPES })
  @IsIn(INTEGRATION_TYPES)
  type!: (typeof INTEGRATION_TYPES)[number];

  @ApiPropertyOptional({
    description: 'Resolve the incident when its last firing alert resolves',
    default: true,
  })
  @IsOptional()
  @IsBoolean()
  autoResolve?: boolean;
}

export class UpdateIntegrationDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @Matches(/^[^\u0000]*$/, { message: 'name must not contain NUL characters' })
  name?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  autoResolve?: boolean;

  @ApiPropertyOptional({ description: 'true disables the integration: its key is refused from then on' })
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;
}
