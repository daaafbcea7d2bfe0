import { SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ProblemError } from '../problem.js';
import { grants, type ApiKeyRecord, type ApiKeys } from './api-keys.js';

const SCOPES_KEY = 'vigil:scopes';
export const PUBLIC_KEY = 'vigil:public';

/** The scope a route needs; with `admin`, a key has them all. */
export const RequireScope = (scope: string) => SetMetadata(SCOPES_KEY, scope);
/** A route anyone may call (health, metrics, docs). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

export type AuthenticatedRequest = FastifyRequest & { apiKey?: ApiKeyRecord };

/** Every route is closed unless it is @Public or the bearer key holds its @RequireScope. */
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeys,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const scope = this.reflector.getAllAndOverride<string | undefined>(SCOPES_KEY, targets) ?? 'admin';
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    if (!header) {
      throw new ProblemError(
        401,
        'unauthenticated',
        'Unauthorized',
        'Send an API key as "Authorization: Bearer <key>"',
      );
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const key = match ? await this.keys.verify(match[1]!) : null;
    if (!key)
      throw new ProblemError(
        401,
        'unauthenticated',
        'Unauthorized',
        'The API key is not valid or was revoked',
      );
    if (!grants(key.scopes, scope)) {
      throw new ProblemError(
        403,
        'forbidden',
        'Forbidden',
        `This API key lacks the scope "${scope}" this route needs`,
        {
          requiredScope: scope,
        },
      );
    }
    request.apiKey = key;
    return true;
  }
}
