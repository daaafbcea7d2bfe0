import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyRequest, preParsingHookHandler, RequestPayload } from 'fastify';
import type { IntegrationType, Receiver } from '../integrations/integrations.js';

/** The hash a payload's bytes are known by (see AlertIngestion.answerTo). */
export const bytesHashOf = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Receivers whose payloads are known by their bytes alone, by route. */
export const KNOWN_PAYLOAD_ROUTES: Readonly<Record<string, IntegrationType>> = {
  '/v1/integrations/:key/alertmanager': 'alertmanager',
  '/v1/integrations/:key/grafana': 'grafana',
  '/v1/integrations/:key/alerts': 'generic',
};

const JSON_TYPE = /^\s*application\/json\s*(;|$)/i;

export interface KnownPayloadSources {
  receiverByKey(key: string): Promise<Receiver | null>;
  answerTo(integrationId: string, bytesHash: string): { response: unknown } | undefined;
}

const readAll = async (payload: RequestPayload) => {
  const chunks: Buffer[] = [];
  for await (const chunk of payload) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
};

/**
 * A route's preParsing hook that answers a payload this process saw committed, byte for byte,
 * before it is parsed or reaches the controller: Alertmanager sends every group again each
 * group_interval (and an HA pair sends everything twice), so most of what it sends is known. The
 * bytes are hashed as they are; anything else (unknown bytes, a body without Content-Length or over
 * `limit`, not JSON, an integration that signs its requests) goes on as it came, and the body read
 * here is handed on unchanged. A signed request is never answered here: its signature is checked
 * on every request.
 */
export const answerKnownPayloads = (
  type: IntegrationType,
  limit: number,
  sources: KnownPayloadSources,
): preParsingHookHandler => {
  const known = async (request: FastifyRequest, bytes: Buffer) => {
    const key = (request.params as { key?: unknown }).key;
    const receiver = typeof key === 'string' ? await sources.receiverByKey(key) : null;
    if (!receiver || receiver.integration.type !== type || receiver.hmacSecret !== null) return undefined;
    return sources.answerTo(receiver.integration.id, bytesHashOf(bytes));
  };

  return (request, reply, payload, done) => {
    const length = Number(request.headers['content-length']);
    const contentType = request.headers['content-type'];
    if (!(length > 0 && length <= limit) || contentType === undefined || !JSON_TYPE.test(contentType)) {
      done(null, payload);
      return;
    }
    readAll(payload).then(
      async (bytes) => {
        // Whatever goes wrong in looking (the integrations cannot be read), the controller decides.
        const answer = await known(request, bytes).catch(() => undefined);
        if (answer) {
          // Answered: the chain stops here (done is not called), as Fastify's hooks allow.
          void reply.code(202).send(answer.response);
          return;
        }
        const again = Readable.from([bytes]) as Readable & RequestPayload;
        again.receivedEncodedLength = bytes.length;
        done(null, again);
      },
      // The sender went away mid-body: no one hears the answer.
      (error: unknown) => done(Object.assign(new Error(String(error)), { statusCode: 400 })),
    );
  };
};
