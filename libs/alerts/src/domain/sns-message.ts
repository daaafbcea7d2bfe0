import { isRecord } from './alertmanager.adapter.js';

/**
 * Amazon SNS messages as an HTTP(S) subscription receives them, and the rules
 * for trusting one: the string its signature covers, and where its signing
 * certificate and subscription URL may point. Pure: fetching and verifying live
 * in `sns/`.
 */

export const SNS_MESSAGE_TYPES = [
  'SubscriptionConfirmation',
  'Notification',
  'UnsubscribeConfirmation',
] as const;
export type SnsMessageType = (typeof SNS_MESSAGE_TYPES)[number];

/** "1" is SHA1withRSA, "2" SHA256withRSA. */
export const SNS_SIGNATURE_VERSIONS = ['1', '2'] as const;
export type SnsSignatureVersion = (typeof SNS_SIGNATURE_VERSIONS)[number];

interface SnsEnvelope {
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: SnsSignatureVersion;
  Signature: string;
  SigningCertURL: string;
}

export interface SnsNotification extends SnsEnvelope {
  Type: 'Notification';
  Subject?: string;
  UnsubscribeURL?: string;
}

export interface SnsSubscriptionMessage extends SnsEnvelope {
  Type: 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  Token: string;
  SubscribeURL: string;
}

export type SnsMessage = SnsNotification | SnsSubscriptionMessage;

export type SnsParseResult = { ok: true; message: SnsMessage } | { ok: false; errors: string[] };

const isType = (value: unknown): value is SnsMessageType =>
  typeof value === 'string' && (SNS_MESSAGE_TYPES as readonly string[]).includes(value);

const isVersion = (value: unknown): value is SnsSignatureVersion =>
  typeof value === 'string' && (SNS_SIGNATURE_VERSIONS as readonly string[]).includes(value);

/** Generous bounds on what SNS sends, so nothing unbounded reaches the verifier. */
const MAX_FIELD_CHARS: Record<string, number> = {
  MessageId: 100,
  TopicArn: 400,
  Timestamp: 40,
  Signature: 2048,
  SigningCertURL: 2048,
  SubscribeURL: 4096,
  UnsubscribeURL: 4096,
  Token: 4096,
  Subject: 200,
};

/**
 * Reads an SNS message body. `headerType` is the `x-amz-sns-message-type`
 * header: when present it must agree with the body's `Type` (it is not signed,
 * the body is).
 */
export const parseSnsMessage = (body: unknown, headerType?: string): SnsParseResult => {
  if (!isRecord(body)) return { ok: false, errors: ['(body): must be a JSON object'] };
  const errors: string[] = [];
  const type = body['Type'];
  if (!isType(type)) errors.push(`Type: must be one of ${SNS_MESSAGE_TYPES.join(', ')}`);
  else if (headerType !== undefined && headerType !== type)
    errors.push('Type: does not match the x-amz-sns-message-type header');

  const required = ['MessageId', 'TopicArn', 'Message', 'Timestamp', 'Signature', 'SigningCertURL'];
  if (type === 'SubscriptionConfirmation' || type === 'UnsubscribeConfirmation')
    required.push('Token', 'SubscribeURL');
  for (const field of required) {
    const value = body[field];
    if (value === undefined || value === null || value === '') errors.push(`${field}: is required`);
    else if (typeof value !== 'string') errors.push(`${field}: must be a string`);
    else if (value.length > (MAX_FIELD_CHARS[field] ?? Infinity)) errors.push(`${field}: is too long`);
  }
  for (const field of ['Subject', 'UnsubscribeURL']) {
    const value = body[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') errors.push(`${field}: must be a string`);
    else if (value.length > (MAX_FIELD_CHARS[field] ?? Infinity)) errors.push(`${field}: is too long`);
  }
  if (!isVersion(body['SignatureVersion']))
    errors.push(`SignatureVersion: must be one of ${SNS_SIGNATURE_VERSIONS.join(', ')}`);

  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, message: body as unknown as SnsMessage };
};

/** The fields a signature covers, in the order SNS signs them. */
const NOTIFICATION_FIELDS = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const;
const SUBSCRIPTION_FIELDS = [
  'Message',
  'MessageId',
  'SubscribeURL',
  'Timestamp',
  'Token',
  'TopicArn',
  'Type',
] as const;

/**
 * The string SNS signs: `name\nvalue\n` for each field in its order, skipping
 * a field the message lacks (only a Notification's `Subject` may be absent).
 */
export const snsStringToSign = (message: SnsMessage): string => {
  const fields: readonly string[] =
    message.Type === 'Notification' ? NOTIFICATION_FIELDS : SUBSCRIPTION_FIELDS;
  const values = message as unknown as Record<string, unknown>;
  let out = '';
  for (const field of fields) {
    const value = values[field];
    // parseSnsMessage has made every signed field a string, or absent.
    if (typeof value !== 'string') continue;
    out += `${field}\n${value}\n`;
  }
  return out;
};

/** The `createVerify` algorithm for a signature version. */
export const snsSignatureAlgorithm = (version: SnsSignatureVersion): 'RSA-SHA1' | 'RSA-SHA256' => {
  switch (version) {
    case '1':
      return 'RSA-SHA1';
    case '2':
      return 'RSA-SHA256';
  }
};

/** AWS's rule for the hosts SNS certificates and subscription URLs live on (aws-js-sns-message-validator). */
export const AWS_SNS_HOST = /^sns\.[a-zA-Z0-9-]{3,}\.amazonaws\.com(\.cn)?$/;

/**
 * Which URLs an SNS message may make Vigil fetch. `host` is tested against the
 * URL's host with its port, so AWS's rule refuses any explicit port. The only
 * production setting is {@link STRICT_SNS_TRUST}; tests against a local fake
 * SNS widen `host` and allow plain http, for loopback addresses only.
 */
export interface SnsTrust {
  host: RegExp;
  allowLoopbackHttp: boolean;
}

export const STRICT_SNS_TRUST: SnsTrust = { host: AWS_SNS_HOST, allowLoopbackHttp: false };

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

const checkSnsUrl = (raw: unknown, trust: SnsTrust, what: string): UrlCheck => {
  if (typeof raw !== 'string' || raw === '') return { ok: false, reason: `${what} is missing` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: `${what} is not a URL` };
  }
  const httpAllowed = trust.allowLoopbackHttp && url.protocol === 'http:' && LOOPBACK.has(url.hostname);
  if (url.protocol !== 'https:' && !httpAllowed) return { ok: false, reason: `${what} must use https` };
  if (url.username !== '' || url.password !== '')
    return { ok: false, reason: `${what} must not carry credentials` };
  // A fresh copy of the pattern, so a global or sticky flag cannot carry lastIndex between calls.
  if (!new RegExp(trust.host.source, trust.host.flags.replace(/[gy]/g, '')).test(url.host))
    return { ok: false, reason: `${what} is not on an SNS host` };
  return { ok: true, url };
};

/**
 * Checks a `SigningCertURL` before anything is fetched from it: https, an SNS
 * host (no port, no credentials), a path ending `.pem`, no query or fragment.
 * The returned URL is the one to fetch, so what was checked is what is fetched.
 */
export const checkSigningCertUrl = (raw: unknown, trust: SnsTrust = STRICT_SNS_TRUST): UrlCheck => {
  const checked = checkSnsUrl(raw, trust, 'SigningCertURL');
  if (!checked.ok) return checked;
  if (!checked.url.pathname.endsWith('.pem'))
    return { ok: false, reason: 'SigningCertURL must name a .pem file' };
  if (checked.url.search !== '' || checked.url.hash !== '')
    return { ok: false, reason: 'SigningCertURL must not have a query or fragment' };
  return checked;
};

/** Checks a `SubscribeURL` before it is visited: https, an SNS host, no credentials. */
export const checkSubscribeUrl = (raw: unknown, trust: SnsTrust = STRICT_SNS_TRUST): UrlCheck =>
  checkSnsUrl(raw, trust, 'SubscribeURL');

/** Topic ARNs as AWS forms them: partition, region, 12-digit account, topic name (optionally FIFO). */
export const SNS_TOPIC_ARN = /^arn:aws(-[a-z]+)*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
