import { Body, Controller, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProblemError, RequireScope, validationProblem, uuidParam } from '#vigil/common';
import { Integrations, type IntegrationType } from '../integrations/integrations.js';
import { CreateIntegrationDto, UpdateIntegrationDto } from './integrations.dto.js';

const uuid = uuidParam();

const notFound = (id: string) =>
  new ProblemError(404, 'integration-not-found', 'Integration not found', `Integration ${id} does not exist`);

/** A secret is checked only by the Grafana receiver, topic ARNs only by the CloudWatch one. */
const checkSettingsFit = (
  type: IntegrationType,
  settings: { secret?: string | null; snsTopicArns?: string[] },
): void => {
  const errors: Array<{ field: string; message: string }> = [];
  if (typeof settings.secret === 'string' && type !== 'grafana')
    errors.push({ field: 'secret', message: 'only grafana integrations take a secret' });
  if (settings.snsTopicArns !== undefined && settings.snsTopicArns.length > 0 && type !== 'cloudwatch')
    errors.push({ field: 'snsTopicArns', message: 'only cloudwatch integrations take SNS topic ARNs' });
  if (errors.length > 0) throw validationProblem(errors);
};

@ApiTags('integrations')
@ApiBearerAuth()
@Controller('v1/integrations')
export class IntegrationsController {
  constructor(private readonly integrations: Integrations) {}

  @Post()
  @HttpCode(201)
  @RequireScope('admin')
  @ApiOperation({ summary: 'Create an integration; the answer holds its key (shown once)' })
  async create(@Body() body: CreateIntegrationDto) {
    checkSettingsFit(body.type, body);
    const { integration, key } = await this.integrations.create(body);
    return { ...integration, key };
  }

  @Get()
  @RequireScope('admin')
  async list() {
    return { items: await this.integrations.list() };
  }

  @Get(':id')
  @RequireScope('admin')
  async get(@Param('id', uuid) id: string) {
    return (await this.integrations.get(id)) ?? Promise.reject(notFound(id));
  }

  @Post(':id/rotate')
  @HttpCode(200)
  @RequireScope('admin')
  @ApiOperation({ summary: 'Replace the key; the old one stops working at once' })
  async rotate(@Param('id', uuid) id: string) {
    const rotated = await this.integrations.rotate(id);
    if (!rotated) throw notFound(id);
    return { ...rotated.integration, key: rotated.key };
  }

  @Patch(':id')
  @RequireScope('admin')
  @ApiOperation({
    summary: 'Rename, change auto-resolve, disable or enable, set or clear the secret, set the SNS topics',
  })
  async update(@Param('id', uuid) id: string, @Body() body: UpdateIntegrationDto) {
    if (body.secret !== undefined || body.snsTopicArns !== undefined) {
      const current = await this.integrations.get(id);
      if (!current) throw notFound(id);
      checkSettingsFit(current.type, body);
    }
    return (await this.integrations.update(id, body)) ?? Promise.reject(notFound(id));
  }
}
