import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProblemError, RequireScope, validationProblem } from '#vigil/common';
import { Integrations } from '../integrations/integrations.js';
import { CreateIntegrationDto, UpdateIntegrationDto } from './integrations.dto.js';

const uuid = new ParseUUIDPipe({
  exceptionFactory: () => validationProblem([{ field: 'id', message: 'id must be a UUID' }]),
});

const notFound = (id: string) =>
  new ProblemError(404, 'integration-not-found', 'Integration not found', `Integration ${id} does not exist`);

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
  @ApiOperation({ summary: 'Rename, change auto-resolve, disable or enable' })
  async update(@Param('id', uuid) id: string, @Body() body: UpdateIntegrationDto) {
    return (await this.integrations.update(id, body)) ?? Promise.reject(notFound(id));
  }
}
