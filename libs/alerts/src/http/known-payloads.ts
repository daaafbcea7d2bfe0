import { hash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyRequest, preParsingHookHandler, RequestPayload } from 'fastify';
import type { IntegrationType, Receiver } from '../integrations/integrations.js';

/** The hash a payload's bytes are known by (see AlertIngestion.answerTo). */
export const bytesHashOf = (bytes: Buffer) => hash('sha256', bytes, 'hex');

/** Hashes taken here, by request, so the controller does not take them again. */
const hashes = new WeakMap<object, string>();

/** The hash of a request's body as sent: taken before parsing if this hook saw it, else now. */
export const requestBytesHash = (request: FastifyRequest, rawBody: Buffer | undefined) =>
  hashes.get(request.raw) ?? (rawBody ? bytesHashOf(rawBody) : undefined);

/**
 * Receivers whose senders send the same payload again and again (Alertmanager every
 * group_interval, an HA pair twice; Grafana each repeat interval), by route. Others have their
 * re-sends found by the controller, after parsing.
 */
export const KNOWN_PAYLOAD_ROUTES: Readonly<Record<string, IntegrationType>> = {
  '/v1/integrations/:key/alertmanager': 'alertmanager',
  '/v1/integrations/:key/grafana': 'grafana',
};

const JSON_TYPE = /^\s*application\/json\s*(;|$)/i;

export interface KnownPayloadSources {
  receiverByKey(key: string): Promise<Receiver | null>;
  answerTo(integrationId: string, bytesHash: string): { response: unknown } | undefined;
}

const readAll = (payload: RequestPayload) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    payload.on('data', (chunk: Buffer) => chunks.push(chunk));
    payload.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    payload.on('error', reject);
    payload.on('aborted', () => reject(new Error('the request was aborted')));
  });

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
    const hash = bytesHashOf(bytes);
    hashes.set(request.raw, hash);
    return sources.answerTo(receiver.integration.id, hash);
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
