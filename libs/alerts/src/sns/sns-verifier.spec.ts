import assert from 'node:assert/strict';
import { createSign } from 'node:crypto';
import { before, describe, it } from 'node:test';

import { ConfigError, loadConfig } from '#vigil/common';
import {
  STRICT_SNS_TRUST,
  type SnsNotification,
  type SnsSubscriptionMessage,
} from '../domain/sns-message.js';
import { SnsError, SnsVerifier, snsTrustOf, type SnsHttp } from './sns-verifier.js';
import { selfSignedCertificate, signSnsMessage, type SigningCertificate } from './spec-sns.js';

const CERT_URL = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem';
const SUBSCRIBE_URL =
  'https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:eu-west-1:123456789012:alarms&Token=abc';

/** An SnsHttp that answers from a table and remembers every URL asked for. */
const fakeHttp = (routes: Record<string, { status: number; body: string }>) => {
  const asked: string[] = [];
  const http: SnsHttp = {
    async get(url) {
      asked.push(url.href);
      return routes[url.href] ?? { status: 404, body: '' };
    },
  };
  return { http, asked };
};

const notification = (over: Partial<SnsNotification> = {}) => ({
  Type: 'Notification' as const,
  MessageId: 'f1e2d3c4-0000-4000-8000-000000000001',
  TopicArn: 'arn:aws:sns:eu-west-1:123456789012:alarms',
  Subject: 'ALARM: "api 5xx rate" in EU (Ireland)',
  Message: '{"AlarmName":"api 5xx rate","NewStateValue":"ALARM"}',
  Timestamp: '2026-01-01T00:00:00.000Z',
  SigningCertURL: CERT_URL,
  ...over,
});

const confirmation = (over: Partial<SnsSubscriptionMessage> = {}) => ({
  Type: 'SubscriptionConfirmation' as const,
  MessageId: 'f1e2d3c4-0000-4000-8000-000000000002',
  TopicArn: 'arn:aws:sns:eu-west-1:123456789012:alarms',
  Message: 'You have chosen to subscribe to the topic arn:aws:sns:eu-west-1:123456789012:alarms.',
  Timestamp: '2026-01-01T00:00:00.000Z',
  Token: 'abc',
  SubscribeURL: SUBSCRIBE_URL,
  SigningCertURL: CERT_URL,
  ...over,
});

const rejection = async (promise: Promise<unknown>, code: SnsError['code']) =>
  assert.rejects(promise, (e: unknown) => e instanceof SnsError && e.code === code);

describe('SnsVerifier', () => {
  let cert: SigningCertificate;
  let other: SigningCertificate;
  before(() => {
    cert = selfSignedCertificate();
    other = selfSignedCertificate();
  });
  const serving = () => fakeHttp({ [CERT_URL]: { status: 200, body: cert.pem } });

  for (const version of ['1', '2'] as const)
    it(`verifies signature version ${version}, Notification and SubscriptionConfirmation`, async () => {
      const { http } = serving();
      const verifier = new SnsVerifier(STRICT_SNS_TRUST, http);
      await verifier.verify(signSnsMessage<SnsNotification>(notification(), cert.privateKey, version));
      await verifier.verify(
        signSnsMessage<SnsNotification>(notification({ Subject: undefined }), cert.privateKey, version),
      );
      await verifier.verify(signSnsMessage<SnsSubscriptionMessage>(confirmation(), cert.privateKey, version));
    });

  it('agrees with a string to sign written out by hand from the SNS documentation', async () => {
    const message = notification();
    const signed =
      `Message\n${message.Message}\nMessageId\n${message.MessageId}\nSubject\n${message.Subject}\n` +
      `Timestamp\n${message.Timestamp}\nTopicArn\n${message.TopicArn}\nType\nNotification\n`;
    const signature = createSign('RSA-SHA256').update(signed, 'utf8').sign(cert.privateKey, 'base64');
    await new SnsVerifier(STRICT_SNS_TRUST, serving().http).verify({
      ...message,
      SignatureVersion: '2',
      Signature: signature,
    });
  });

  it('refuses a tampered Message, Subject or TopicArn, another key, and a version that was not used', async () => {
    const verifier = new SnsVerifier(STRICT_SNS_TRUST, serving().http);
    const good = signSnsMessage<SnsNotification>(notification(), cert.privateKey, '2');
    await rejection(
      verifier.verify({ ...good, Message: good.Message.replace('ALARM', 'OK') }),
      'bad-signature',
    );
    await rejection(verifier.verify({ ...good, Subject: 'OK' }), 'bad-signature');
    await rejection(verifier.verify({ ...good, TopicArn: `${good.TopicArn}2` }), 'bad-signature');
    await rejection(verifier.verify({ ...good, SignatureVersion: '1' }), 'bad-signature');
    await rejection(verifier.verify({ ...good, Signature: 'not base64 at all!' }), 'bad-signature');
    await rejection(
      verifier.verify(signSnsMessage<SnsNotification>(notification(), other.privateKey, '2')),
      'bad-signature',
    );
  });

  it('fetches nothing for an untrusted certificate URL', async () => {
    const { http, asked } = serving();
    const verifier = new SnsVerifier(STRICT_SNS_TRUST, http);
    for (const url of [
      'https://sns.evil.com/cert.pem',
      'https://sns.eu-west-1.amazonaws.com.evil.com/cert.pem',
      'http://sns.eu-west-1.amazonaws.com/cert.pem',
      'http://127.0.0.1:8080/cert.pem',
      'https://169.254.169.254/latest/meta-data/iam.pem',
    ]) {
      const message = signSnsMessage<SnsNotification>(notification({ SigningCertURL: url }), cert.privateKey);
      assert.throws(
        () => verifier.checkUrls(message),
        (e: unknown) => e instanceof SnsError && e.code === 'untrusted-url',
      );
      await rejection(verifier.verify(message), 'untrusted-url');
    }
    assert.deepEqual(asked, []);
  });

  it('checks a SubscriptionConfirmation’s SubscribeURL before anything is fetched', async () => {
    const { http, asked } = serving();
    const verifier = new SnsVerifier(STRICT_SNS_TRUST, http);
    const message = signSnsMessage<SnsSubscriptionMessage>(
      confirmation({ SubscribeURL: 'https://internal.example/admin?Action=ConfirmSubscription' }),
      cert.privateKey,
    );
    assert.throws(
      () => verifier.checkUrls(message),
      (e: unknown) => e instanceof SnsError && e.code === 'untrusted-url',
    );
    await rejection(verifier.confirm(message), 'untrusted-url');
    assert.deepEqual(asked, []);
  });

  it('caches certificates by URL', async () => {
    const { http, asked } = serving();
    const verifier = new SnsVerifier(STRICT_SNS_TRUST, http);
    await Promise.all(
      Array.from({ length: 5 }, (_, n) =>
        verifier.verify(
          signSnsMessage<SnsNotification>(notification({ MessageId: `m-${n}` }), cert.privateKey),
        ),
      ),
    );
    assert.deepEqual(asked, [CERT_URL]);
  });

  it('keeps a bounded number of certificates, dropping the oldest', async () => {
    const urls = ['a', 'b', 'c'].map((n) => `https://sns.eu-west-1.amazonaws.com/${n}.pem`);
    const { http, asked } = fakeHttp(
      Object.fromEntries(urls.map((u) => [u, { status: 200, body: cert.pem }])),
    );
    const verifier = new SnsVerifier(STRICT_SNS_TRUST, http, 2);
    const verify = (url: string) =>
      verifier.verify(
        signSnsMessage<SnsNotification>(notification({ SigningCertURL: url }), cert.privateKey),
      );
    for (const url of [...urls, urls[2]!, urls[0]!]) await verify(url);
    assert.deepEqual(asked, [urls[0], urls[1], urls[2], urls[0]]);
  });

  it('does not remember a certificate that could not be fetched', async () => {
    let status = 503;
    const asked: string[] = [];
    const verifier = new SnsVerifier(STRICT_SNS_TRUST, {
      async get(url) {
        asked.push(url.href);
        return { status, body: status === 200 ? cert.pem : '' };
      },
    });
    const message = signSnsMessage<SnsNotification>(notification(), cert.privateKey);
    await rejection(verifier.verify(message), 'certificate-unavailable');
    status = 200;
    await verifier.verify(message);
    assert.equal(asked.length, 2);
  });

  it('refuses a certificate URL that serves something other than a certificate', async () => {
    const verifier = new SnsVerifier(
      STRICT_SNS_TRUST,
      fakeHttp({ [CERT_URL]: { status: 200, body: '<html>hello</html>' } }).http,
    );
    await rejection(
      verifier.verify(signSnsMessage<SnsNotification>(notification(), cert.privateKey)),
      'bad-signature',
    );
  });

  it('confirms a subscription by visiting SubscribeURL', async () => {
    const { http, asked } = fakeHttp({
      [SUBSCRIBE_URL]: { status: 200, body: '<ConfirmSubscriptionResponse/>' },
    });
    await new SnsVerifier(STRICT_SNS_TRUST, http).confirm(
      signSnsMessage<SnsSubscriptionMessage>(confirmation(), cert.privateKey),
    );
    assert.deepEqual(asked, [SUBSCRIBE_URL]);
  });

  it('reports a confirmation SNS did not accept', async () => {
    const { http } = fakeHttp({ [SUBSCRIBE_URL]: { status: 403, body: '' } });
    await rejection(
      new SnsVerifier(STRICT_SNS_TRUST, http).confirm(
        signSnsMessage<SnsSubscriptionMessage>(confirmation(), cert.privateKey),
      ),
      'confirmation-failed',
    );
  });
});

describe('SNS trust configuration', () => {
  it('defaults to the strict AWS rule', () => {
    assert.deepEqual(loadConfig({}).sns, { certHostPattern: null, allowLoopbackHttp: false });
  });

  it('takes an anchored test pattern, and loopback http only with one', () => {
    assert.deepEqual(
      loadConfig({
        VIGIL_SNS_CERT_HOST_PATTERN: '^127\\.0\\.0\\.1:\\d+$',
        VIGIL_SNS_ALLOW_LOOPBACK_HTTP: 'true',
      }).sns,
      { certHostPattern: '^127\\.0\\.0\\.1:\\d+$', allowLoopbackHttp: true },
    );
    for (const env of [
      { VIGIL_SNS_CERT_HOST_PATTERN: '127\\.0\\.0\\.1' },
      { VIGIL_SNS_CERT_HOST_PATTERN: '^(unclosed$' },
      { VIGIL_SNS_ALLOW_LOOPBACK_HTTP: 'true' },
      { VIGIL_SNS_CERT_HOST_PATTERN: '^x$', VIGIL_SNS_ALLOW_LOOPBACK_HTTP: 'yes' },
    ])
      assert.throws(() => loadConfig(env), ConfigError, JSON.stringify(env));
  });

  it('is the strict AWS rule unless a pattern is configured', () => {
    assert.equal(snsTrustOf({ certHostPattern: null, allowLoopbackHttp: false }), STRICT_SNS_TRUST);
    const local = snsTrustOf({ certHostPattern: '^127\\.0\\.0\\.1:\\d+$', allowLoopbackHttp: true });
    assert.ok(local.host.test('127.0.0.1:8080'));
    assert.equal(local.host.test('127.0.0.10:8080'), false);
    assert.equal(local.allowLoopbackHttp, true);
  });
});
