import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';
import { SNS_TOPIC_ARN } from '../domain/sns-message.js';
import { INTEGRATION_TYPES } from '../integrations/integrations.js';

const SECRET_DESCRIPTION =
  'Grafana integrations only: the HMAC secret Grafana signs requests with. Requests without a valid ' +
  'signature are then refused. Write-only: answers say hasSecret, never the secret.';
const TOPICS_DESCRIPTION =
  'CloudWatch integrations only: the SNS topic ARNs whose messages are taken (subscriptions confirmed, ' +
  'notifications ingested); messages from any other topic are refused with 403.';

/** Shared by create and update: the receivers' settings. */
class ReceiverSettingsDto {
  @ApiPropertyOptional({ description: SECRET_DESCRIPTION, writeOnly: true, nullable: true })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  @Matches(/^[^\u0000]*$/, { message: 'secret must not contain NUL characters' })
  secret?: string | null;

  @ApiPropertyOptional({
    description: TOPICS_DESCRIPTION,
    type: [String],
    example: ['arn:aws:sns:eu-west-1:123456789012:cloudwatch-alarms'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsString({ each: true })
  @Matches(SNS_TOPIC_ARN, { each: true, message: 'each value in snsTopicArns must be an SNS topic ARN' })
  snsTopicArns?: string[];
}

export class CreateIntegrationDto extends ReceiverSettingsDto {
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

/** A field left out is left as it is; `secret: null` removes the secret. */
export class UpdateIntegrationDto extends ReceiverSettingsDto {
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
