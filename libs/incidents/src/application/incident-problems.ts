import { ProblemError } from '#vigil/common';
import { ConcurrencyError, IdempotencyKeyReusedError, PreconditionFailedError } from '#vigil/event-store';
import { IncidentError, incidentErrorStatus } from '../domain/errors.js';

const kebab = (code: string) => code.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();

/** How the incident domain's and the event store's errors answer over HTTP. */
export const incidentProblem = (error: unknown): ProblemError | undefined => {
  if (error instanceof IncidentError) {
    const status = incidentErrorStatus(error.code);
    const title =
      status === 404 ? 'Incident not found' : status === 409 ? 'Not allowed in this state' : 'Invalid change';
    return new ProblemError(status, kebab(error.code), title, error.message, { code: error.code });
  }
  if (error instanceof PreconditionFailedError) {
    return new ProblemError(412, 'precondition-failed', 'Precondition failed', error.message, {
      currentVersion: error.actualVersion,
    });
  }
  if (error instanceof ConcurrencyError) {
    return new ProblemError(
      409,
      'concurrency-conflict',
      'Conflict',
      `${error.message}: another change landed first`,
    );
  }
  if (error instanceof IdempotencyKeyReusedError) {
    return new ProblemError(422, 'idempotency-key-reused', 'Idempotency-Key reused', error.message);
  }
  return undefined;
};
