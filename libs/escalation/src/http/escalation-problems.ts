import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { catchError, type Observable } from 'rxjs';
import { ProblemError } from '#vigil/common';
import { EscalationError } from '../domain/escalation-errors.js';

const kebab = (code: string) => code.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();

const TITLES = { 404: 'Not found', 409: 'Not allowed in this state', 422: 'Invalid change' } as const;

/** How the escalation lib's refusals answer over HTTP (RFC 9457), with their stable `code`. */
export const escalationProblem = (error: unknown): ProblemError | undefined =>
  error instanceof EscalationError
    ? new ProblemError(error.status, kebab(error.code), TITLES[error.status], error.message, {
        code: error.code,
      })
    : undefined;

/** Maps EscalationError to problem+json on the escalation lib's own routes. */
@Injectable()
export class EscalationProblems implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) => {
        throw escalationProblem(error) ?? error;
      }),
    );
  }
}
