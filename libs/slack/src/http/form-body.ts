import type { FastifyRequest } from 'fastify';

/** Where Slack posts: the only routes that read application/x-www-form-urlencoded. */
export const SLACK_PATH_PREFIX = '/slack/';

const unsupported = () =>
  Object.assign(new Error('Unsupported Media Type: application/x-www-form-urlencoded'), {
    statusCode: 415,
    code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
  });

/**
 * A Fastify content-type parser for Slack's form posts (slash commands, and interactions'
 * `payload=`). It keeps the raw bytes as `rawBody`, since the signature is over them, and
 * refuses forms on every other route, which speak JSON only.
 */
export const slackFormParser = (
  request: FastifyRequest,
  body: Buffer,
  done: (err: Error | null, body?: unknown) => void,
): void => {
  if (!request.url.startsWith(SLACK_PATH_PREFIX)) {
    done(unsupported());
    return;
  }
  (request as FastifyRequest & { rawBody?: Buffer }).rawBody = body;
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of new URLSearchParams(body.toString('utf8'))) fields[key] = value;
  done(null, fields);
};
