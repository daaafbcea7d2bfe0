import { Body, Controller, Get, Param, Patch, Post, Res, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ProblemError, RequireScope, uuidParam } from '#vigil/common';
import { Users } from '../application/users.js';
import { CreateUserDto, UpdateUserDto } from './escalation.dto.js';
import { EscalationProblems } from './escalation-problems.js';
import { refuseNul } from './http-support.js';

@ApiTags('escalation')
@ApiBearerAuth()
@Controller('v1/users')
@UseInterceptors(EscalationProblems)
export class UsersController {
  constructor(private readonly users: Users) {}

  @Post()
  @RequireScope('admin')
  @ApiOperation({ summary: 'Add a user who can be on call; slackUserId is how pages reach them' })
  async create(@Body() body: CreateUserDto, @Res({ passthrough: true }) reply: FastifyReply) {
    const user = await this.users.create(refuseNul(body));
    void reply.status(201).header('Location', `/v1/users/${user.id}`);
    return user;
  }

  @Get()
  @RequireScope('incidents:read')
  @ApiOperation({ summary: 'Every user, by name' })
  async list() {
    return { items: await this.users.list() };
  }

  @Get(':id')
  @RequireScope('incidents:read')
  async get(@Param('id', uuidParam()) id: string) {
    const user = await this.users.get(id);
    if (!user)
      throw new ProblemError(404, 'user-not-found', 'Not found', `User ${id} does not exist`, {
        code: 'UserNotFound',
      });
    return user;
  }

  @Patch(':id')
  @RequireScope('admin')
  @ApiOperation({ summary: 'Change a user; null clears email, slackUserId or timeZone' })
  update(@Param('id', uuidParam()) id: string, @Body() body: UpdateUserDto) {
    return this.users.update(id, refuseNul(body));
  }
}
