/** An RFC 9457 problem details body. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  /** One entry per invalid field, for validation problems. */
  errors?: Array<{ field: string; message: string }>;
  [extension: string]: unknown;
}

export const PROBLEM_BASE = 'https://vigil.dev/problems/';

/** An error that already knows its HTTP answer. Thrown by adapters, never by domain code. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    detail: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'ProblemError';
  }

  toProblem(instance?: string): ProblemDetails {
    return {
      type: `${PROBLEM_BASE}${this.slug}`,
      title: this.title,
      status: this.status,
      detail: this.message,
      ...(instance ? { instance } : {}),
      ...this.extensions,
    };
  }
}

export const validationProblem = (errors: Array<{ field: string; message: string }>) =>
  new ProblemError(
    400,
    'validation',
    'Request is invalid',
    errors.map((e) => `${e.field}: ${e.message}`).join('; '),
    { errors },
  );

/**
 * An error answered in a wire format other than problem+json, for endpoints
 * that speak another product's protocol (PagerDuty's Events API answers its own
 * JSON shape, and its clients expect it).
 */
export class WireFormatError extends ProblemError {
  constructor(
    status: number,
    readonly body: object,
    detail: string,
  ) {
    super(status, `http-${status}`, 'Bad request', detail);
    this.name = 'WireFormatError';
  }
}

/** Renders a problem in an endpoint's own wire format, for the paths it claims. */
export interface ProblemRenderer {
  pathPrefix: string;
  render(problem: ProblemDetails): object;
}
