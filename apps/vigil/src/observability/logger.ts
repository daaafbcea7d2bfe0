import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs. Request headers and bodies are never logged, and the
 * paths below are redacted wherever they appear, so no key reaches a log.
 */
export const createLogger = (level: string): Logger =>
  pino({
    level,
    base: { service: 'vigil' },
    serializers: { err: serializeError },
    redact: {
      paths: [
        '*.authorization',
        '*.headers.authorization',
        '*.password',
        '*.key',
        '*.token',
        '*.secret',
        'url',
      ],
      censor: '[redacted]',
    },
  });

/**
 * Errors as type, message, code and stack only: driver errors carry their
 * client, connection parameters and query values, which do not belong in logs.
 */
export const serializeError = (err: unknown) => {
  if (!(err instanceof Error)) return { message: String(err) };
  const { code } = err as { code?: unknown };
  return {
    type: err.name,
    message: err.message,
    ...(typeof code === 'string' ? { code } : {}),
    stack: err.stack,
  };
};

/** Lets Nest's own messages go through pino. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly pino: Logger) {}
  log(message: unknown, context?: string) {
    this.pino.debug({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.pino.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.pino.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.pino.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.pino.trace({ context }, String(message));
  }
}
