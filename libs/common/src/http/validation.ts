import { ParseUUIDPipe, ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { validationProblem } from '../problem.js';

const flatten = (errors: ValidationError[], parent = ''): Array<{ field: string; message: string }> =>
  errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });

/**
 * class-validator on every body and query, unknown fields refused, and every
 * bad field named in the problem's `errors`. A body that is not a JSON object
 * (null, an array, a string) is refused before validation.
 */
export class StrictValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => validationProblem(flatten(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && metadata.metatype && metadata.metatype !== Object) {
      const body = value ?? {};
      if (typeof body !== 'object' || Array.isArray(body)) {
        throw validationProblem([{ field: '(body)', message: 'the body must be a JSON object' }]);
      }
      return super.transform(body, metadata);
    }
    return super.transform(value, metadata);
  }
}

/** Rejects a string that PostgreSQL cannot store (it refuses NUL characters in text and jsonb). */
export const containsNul = (value: unknown): boolean => {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(containsNul);
  if (value && typeof value === 'object') {
    return Object.entries(value).some(([k, v]) => k.includes('\u0000') || containsNul(v));
  }
  return false;
};

/** A path parameter that must be a UUID; anything else is a 400 problem naming `field`. */
export const uuidParam = (field = 'id') =>
  new ParseUUIDPipe({
    exceptionFactory: () => validationProblem([{ field, message: `${field} must be a UUID` }]),
  });
