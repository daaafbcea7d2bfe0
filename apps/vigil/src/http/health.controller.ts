import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public, RequireScope } from '#vigil/common';
import { RUNTIME } from '../tokens.js';
import type { Runtime } from '../runtime.js';

@ApiExcludeController()
@Controller()
export class HealthController {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  /** The process is up. */
  @Get('healthz')
  @Public()
  health() {
    return { status: 'ok' };
  }

  /** The database answers and every migration is applied. */
  @Get('readyz')
  @Public()
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const checks = { database: 'down', migrations: 'unknown' };
    try {
      await this.runtime.pool.query('SELECT 1');
      checks.database = 'up';
      checks.migrations = (await this.runtime.dataSource.showMigrations()) ? 'pending' : 'applied';
    } catch (err) {
      this.runtime.log.warn({ err }, 'readiness check failed');
    }
    const ready = checks.database === 'up' && checks.migrations === 'applied';
    void reply.status(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'not ready', checks };
  }

  /**
   * Prometheus metrics, for a key with `metrics:read`: they tell services, integrations and traffic
   * apart, which is nobody else's business.
   */
  @Get('metrics')
  @RequireScope('metrics:read')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics() {
    return this.runtime.metrics.registry.metrics();
  }
}
