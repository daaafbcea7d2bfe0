import { Controller, HttpCode, Post, Req, Res, type RawBodyRequest } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '#vigil/common';
import { SlackHttp } from './slack-http.js';

/** Slack's Request URLs: slash commands, interactivity, and the Events API. Slack signs them; no API key. */
@ApiExcludeController()
@Public()
@Controller('slack')
export class SlackController {
  constructor(private readonly http: SlackHttp) {}

  @Post('commands')
  @HttpCode(200)
  commands(@Req() req: RawBodyRequest<FastifyRequest>, @Res() reply: FastifyReply) {
    return this.http.handle('command', req, reply);
  }

  @Post('interactions')
  @HttpCode(200)
  interactions(@Req() req: RawBodyRequest<FastifyRequest>, @Res() reply: FastifyReply) {
    return this.http.handle('interaction', req, reply);
  }

  @Post('events')
  @HttpCode(200)
  events(@Req() req: RawBodyRequest<FastifyRequest>, @Res() reply: FastifyReply) {
    return this.http.handle('event', req, reply);
  }
}
