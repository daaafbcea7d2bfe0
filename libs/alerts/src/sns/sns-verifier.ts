import { createVerify, X509Certificate, type KeyObject } from 'node:crypto';
import {
  checkSigningCertUrl,
  checkSubscribeUrl,
  snsSignatureAlgorithm,
  snsStringToSign,
  STRICT_SNS_TRUST,
  type SnsMessage,
  type SnsSubscriptionMessage,
  type SnsTrust,
} from '../domain/sns-message.js';

/** The outbound GETs SNS handling needs; tests count them. */
export interface SnsHttp {
  /** GETs a URL that already passed the trust checks; no redirects are followed. */
  get(url: URL): Promise<{ status: number; body: string }>;
}

const FETCH_TIMEOUT_MS = 5000;
const MAX_RESPONSE_BYTES = 64 * 1024;

/** Global fetch, no redirects (a redirect could leave the checked host), a timeout and a size cap. */
export const fetchSnsHttp: SnsHttp = {
  async get(url) {
    const response = await fetch(url, {
      redirect: 'manual',
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    // Read with a cap, whatever the length header says: a certificate is a few KiB.
    const chunks: Uint8Array[] = [];
    let total = 0;
    if (!response.body) return { status: response.status, body: '' };
    const reader = response.body.getReader();
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      total += chunk.value.length;
      if (total > MAX_RESPONSE_BYTES) {
        await reader.cancel();
        return { status: 502, body: '' };
      }
      chunks.push(chunk.value);
    }
    return { status: response.status, body: Buffer.concat(chunks).toString('utf8') };
  },
};

/** Why an SNS message was not taken; the receiver turns each into its HTTP answer. */
export class SnsError extends Error {
  constructor(
    readonly code: 'untrusted-url' | 'bad-signature' | 'certificate-unavailable' | 'confirmation-failed',
    message: string,
  ) {
    super(message);
    this.name = 'SnsError';
  }
}

/**
 * Verifies SNS message signatures and confirms subscriptions. Every URL a
 * message names is checked against the trust rule before anything is fetched
 * (so a message cannot point Vigil at an internal address), and signing
 * certificates are cached by URL, a bounded number of them: SNS signs with a
 * handful of certificates, fetched once each.
 */
export class SnsVerifier {
  private readonly certificates = new Map<string, Promise<KeyObject>>();

  constructor(
    private readonly trust: SnsTrust = STRICT_SNS_TRUST,
    private readonly http: SnsHttp = fetchSnsHttp,
    private readonly maxCertificates = 32,
  ) {}

  /**
   * Throws SnsError 'untrusted-url', having fetched nothing, when a URL the
   * message would make Vigil visit fails the trust rule: the SigningCertURL,
   * and a SubscriptionConfirmation's SubscribeURL.
   */
  checkUrls(message: SnsMessage): void {
    this.certificateUrl(message);
    if (message.Type === 'SubscriptionConfirmation') this.subscribeUrl(message);
  }

  /** Resolves when the message's signature is valid; throws SnsError otherwise. */
  async verify(message: SnsMessage): Promise<void> {
    const key = await this.certificate(this.certificateUrl(message));
    let valid = false;
    try {
      valid = createVerify(snsSignatureAlgorithm(message.SignatureVersion))
        .update(snsStringToSign(message), 'utf8')
        .verify(key, message.Signature, 'base64');
    } catch {
      valid = false;
    }
    if (!valid) throw new SnsError('bad-signature', 'The SNS message signature is not valid');
  }

  /** Visits the SubscribeURL of a verified SubscriptionConfirmation, once its URL passes the trust rule. */
  async confirm(message: SnsSubscriptionMessage): Promise<void> {
    const url = this.subscribeUrl(message);
    let status: number;
    try {
      status = (await this.http.get(url)).status;
    } catch {
      throw new SnsError('confirmation-failed', 'SNS could not be reached to confirm the subscription');
    }
    if (status !== 200)
      throw new SnsError('confirmation-failed', `SNS answered ${status} to the subscription confirmation`);
  }

  private certificateUrl(message: SnsMessage): URL {
    const checked = checkSigningCertUrl(message.SigningCertURL, this.trust);
    if (!checked.ok) throw new SnsError('untrusted-url', checked.reason);
    return checked.url;
  }

  private subscribeUrl(message: SnsSubscriptionMessage): URL {
    const checked = checkSubscribeUrl(message.SubscribeURL, this.trust);
    if (!checked.ok) throw new SnsError('untrusted-url', checked.reason);
    return checked.url;
  }

  private certificate(url: URL): Promise<KeyObject> {
    const cached = this.certificates.get(url.href);
    if (cached) return cached;
    const loading = this.load(url);
    if (this.certificates.size >= this.maxCertificates) {
      const oldest = this.certificates.keys().next();
      if (!oldest.done) this.certificates.delete(oldest.value);
    }
    this.certificates.set(url.href, loading);
    // A failed fetch is not remembered: the next message tries again.
    void loading.catch(() => {
      if (this.certificates.get(url.href) === loading) this.certificates.delete(url.href);
    });
    return loading;
  }

  private async load(url: URL): Promise<KeyObject> {
    let response: { status: number; body: string };
    try {
      response = await this.http.get(url);
    } catch {
      throw new SnsError('certificate-unavailable', 'The SNS signing certificate could not be fetched');
    }
    // A certificate that is not there is the message's fault (refused, 4xx); a failing host is
    // not (5xx, so SNS delivers the message again later).
    if (response.status >= 400 && response.status < 500)
      throw new SnsError('bad-signature', `The SNS signing certificate URL answered ${response.status}`);
    if (response.status !== 200)
      throw new SnsError(
        'certificate-unavailable',
        `The SNS signing certificate answered ${response.status}`,
      );
    let key: KeyObject;
    try {
      key = new X509Certificate(response.body).publicKey;
    } catch {
      throw new SnsError('bad-signature', 'The SNS signing certificate is not a certificate');
    }
    if (key.asymmetricKeyType !== 'rsa')
      throw new SnsError('bad-signature', 'The SNS signing certificate does not hold an RSA key');
    return key;
  }
}

/** The trust rule Vigil's configuration asks for: AWS's own unless a (test) host pattern is set. */
export const snsTrustOf = (config: {
  certHostPattern: string | null;
  allowLoopbackHttp: boolean;
}): SnsTrust =>
  config.certHostPattern === null
    ? STRICT_SNS_TRUST
    : { host: new RegExp(config.certHostPattern), allowLoopbackHttp: config.allowLoopbackHttp };
