/** The stream was not at the version the writer expected: someone else appended first. */
export class ConcurrencyError extends Error {
  readonly code = 'ConcurrencyConflict';
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number,
  ) {
    super(`Stream ${streamId} is no longer at version ${expectedVersion}; reload and retry`);
    this.name = 'ConcurrencyError';
  }
}

/** An Idempotency-Key was reused for a different request. */
export class IdempotencyKeyReusedError extends Error {
  readonly code = 'IdempotencyKeyReused';
  constructor(readonly key: string) {
    super(`Idempotency-Key ${key} was already used for a different request`);
    this.name = 'IdempotencyKeyReusedError';
  }
}
