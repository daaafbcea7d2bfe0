import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SnsNotification, SnsSignatureVersion, SnsSubscriptionMessage } from '#vigil/alerts';
// Test support shared with the SNS verifier's unit tests: our own signing certificate.
// eslint-disable-next-line no-restricted-imports
import { selfSignedCertificate, signSnsMessage } from '../../libs/alerts/src/sns/spec-sns.js';

const CERT_PATH = '/SimpleNotificationService-vigil-test.pem';

/**
 * A stand-in for Amazon SNS on loopback: it serves its own self-signed signing
 * certificate, answers subscription confirmations, remembers every request it
 * got, and signs messages as SNS does.
 */
export interface FakeSns {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** The host pattern that trusts this fake (VIGIL_SNS_CERT_HOST_PATTERN), and nothing else. */
  hostPattern: string;
  certUrl: string;
  /** Every request path (with query) the fake received, in order. */
  requests: string[];
  /** The Tokens of the confirmations received. */
  confirmed: string[];
  notification(options: {
    topicArn: string;
    message: string;
    messageId?: string;
    subject?: string;
    version?: SnsSignatureVersion;
    certUrl?: string;
  }): SnsNotification;
  subscriptionConfirmation(options: {
    topicArn: string;
    token?: string;
    type?: SnsSubscriptionMessage['Type'];
    version?: SnsSignatureVersion;
    certUrl?: string;
  }): SnsSubscriptionMessage;
  close(): Promise<void>;
}

export const startFakeSns = async (): Promise<FakeSns> => {
  const certificate = selfSignedCertificate();
  const requests: string[] = [];
  const confirmed: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake-sns');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (req.method === 'GET' && url.pathname === CERT_PATH) {
      res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(certificate.pem);
      return;
    }
    if (
      req.method === 'GET' &&
      url.pathname === '/' &&
      url.searchParams.get('Action') === 'ConfirmSubscription'
    ) {
      confirmed.push(url.searchParams.get('Token') ?? '');
      res.writeHead(200, { 'content-type': 'text/xml' }).end('<ConfirmSubscriptionResponse/>');
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const certUrl = `${origin}${CERT_PATH}`;

  return {
    origin,
    hostPattern: `^127\\.0\\.0\\.1:${port}$`,
    certUrl,
    requests,
    confirmed,
    notification: (o) =>
      signSnsMessage<SnsNotification>(
        {
          Type: 'Notification',
          MessageId: o.messageId ?? randomUUID(),
          TopicArn: o.topicArn,
          ...(o.subject === undefined ? {} : { Subject: o.subject }),
          Message: o.message,
          Timestamp: new Date().toISOString(),
          SigningCertURL: o.certUrl ?? certUrl,
          UnsubscribeURL: `${origin}/?Action=Unsubscribe&SubscriptionArn=${o.topicArn}:${randomUUID()}`,
        },
        certificate.privateKey,
        o.version,
      ),
    subscriptionConfirmation: (o) => {
      const token = o.token ?? randomUUID().replaceAll('-', '');
      return signSnsMessage<SnsSubscriptionMessage>(
        {
          Type: o.type ?? 'SubscriptionConfirmation',
          MessageId: randomUUID(),
          Token: token,
          TopicArn: o.topicArn,
          Message: `You have chosen to subscribe to the topic ${o.topicArn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
          SubscribeURL: `${origin}/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(o.topicArn)}&Token=${token}`,
          Timestamp: new Date().toISOString(),
          SigningCertURL: o.certUrl ?? certUrl,
        },
        certificate.privateKey,
        o.version,
      );
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        // The app's fetch keeps its connection alive; do not wait for it to idle out.
        server.closeAllConnections();
      }),
  };
};
