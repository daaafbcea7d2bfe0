import { containsNul, validationProblem, type AuthenticatedRequest } from '#vigil/common';
import type { EscalationActor } from '../application/streams.js';

/** The API key that made the request, as the actor of what it changes. */
export const actorOf = (request: AuthenticatedRequest): EscalationActor => {
  const key = request.apiKey!;
  return { kind: 'api-key', id: key.id, name: key.name };
};

/** PostgreSQL cannot store NUL characters; say so before trying. */
export const refuseNul = <T>(body: T): T => {
  if (containsNul(body)) {
    throw validationProblem([{ field: '(body)', message: 'text must not contain NUL characters' }]);
  }
  return body;
};

export const instant = (iso: string | undefined, fallback: Date): Date => (iso ? new Date(iso) : fallback);
