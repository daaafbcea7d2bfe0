import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  AWS_SNS_HOST,
  checkSigningCertUrl,
  checkSubscribeUrl,
  parseSnsMessage,
  SNS_TOPIC_ARN,
  snsSignatureAlgorithm,
  snsStringToSign,
  type SnsMessage,
  type SnsTrust,
} from './sns-message.js';

// Shapes of the examples in the Amazon SNS Developer Guide ("HTTP/HTTPS notification JSON format",
// "HTTP/HTTPS subscription confirmation JSON format"), signatures shortened.
const NOTIFICATION = {
  Type: 'Notification',
  MessageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
  TopicArn: 'arn:aws:sns:us-west-2:123456789012:MyTopic',
  Subject: 'My First Message',
  Message: 'Hello world!',
  Timestamp: '2012-05-02T00:54:06.655Z',
  SignatureVersion: '1',
  Signature: 'EXAMPLEw6JRN',
  SigningCertURL:
    'https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem',
  UnsubscribeURL:
    'https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:123456789012:MyTopic:c9135db0-26c4-47ec-8998-413945fb5a96',
};

const CONFIRMATION = {
  Type: 'SubscriptionConfirmation',
  MessageId: '165545c9-2a5c-472c-8df2-7ff2be2b3b1b',
  Token:
    '2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736',
  TopicArn: 'arn:aws:sns:us-west-2:123456789012:MyTopic',
  Message:
    'You have chosen to subscribe to the topic arn:aws:sns:us-west-2:123456789012:MyTopic.\nTo confirm the subscription, visit the SubscribeURL included in this message.',
  SubscribeURL:
    'https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736',
  Timestamp: '2012-04-26T20:45:04.751Z',
  SignatureVersion: '1',
  Signature:
    'EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N858fiTDN6bkkOxYDVrY0Ad8L10Hs3zH81mtnPk5uvvolIC1CXGu43obcgFxeL3khZl8IKvO61GWB6jI9b5+gLPoBc1Q=',
  SigningCertURL:
    'https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem',
};

const parsed = (body: unknown): SnsMessage => {
  const result = parseSnsMessage(body);
  assert.ok(result.ok, result.ok ? '' : result.errors.join('; '));
  return result.message;
};

describe('snsStringToSign', () => {
  it('Notification with a Subject: Message, MessageId, Subject, Timestamp, TopicArn, Type', () =>
    assert.equal(
      snsStringToSign(parsed(NOTIFICATION)),
      'Message\nHello world!\n' +
        'MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n' +
        'Subject\nMy First Message\n' +
        'Timestamp\n2012-05-02T00:54:06.655Z\n' +
        'TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\n' +
        'Type\nNotification\n',
    ));

  it('Notification without a Subject leaves the field out, name and all', () => {
    const withoutSubject: Record<string, unknown> = { ...NOTIFICATION };
    delete withoutSubject['Subject'];
    const expected =
      'Message\nHello world!\n' +
      'MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n' +
      'Timestamp\n2012-05-02T00:54:06.655Z\n' +
      'TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\n' +
      'Type\nNotification\n';
    assert.equal(snsStringToSign(parsed(withoutSubject)), expected);
    assert.equal(snsStringToSign(parsed({ ...NOTIFICATION, Subject: null })), expected);
  });

  it('Notification: unsigned fields (UnsubscribeURL, attributes, a stray Token) stay out', () =>
    assert.equal(
      snsStringToSign(
        parsed({ ...NOTIFICATION, Token: 'x', SubscribeURL: 'https://x', MessageAttributes: { a: 1 } }),
      ),
      snsStringToSign(parsed(NOTIFICATION)),
    ));

  it('SubscriptionConfirmation: Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type', () =>
    assert.equal(
      snsStringToSign(parsed(CONFIRMATION)),
      `Message\n${CONFIRMATION.Message}\n` +
        'MessageId\n165545c9-2a5c-472c-8df2-7ff2be2b3b1b\n' +
        `SubscribeURL\n${CONFIRMATION.SubscribeURL}\n` +
        'Timestamp\n2012-04-26T20:45:04.751Z\n' +
        `Token\n${CONFIRMATION.Token}\n` +
        'TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\n' +
        'Type\nSubscriptionConfirmation\n',
    ));

  it('SubscriptionConfirmation never signs a Subject', () =>
    assert.equal(
      snsStringToSign(parsed({ ...CONFIRMATION, Subject: 'ignored' })),
      snsStringToSign(parsed(CONFIRMATION)),
    ));

  it('UnsubscribeConfirmation uses the confirmation order', () =>
    assert.match(
      snsStringToSign(parsed({ ...CONFIRMATION, Type: 'UnsubscribeConfirmation' })),
      /^Message\n[^]*\nMessageId\n[^\n]+\nSubscribeURL\n[^\n]+\nTimestamp\n[^\n]+\nToken\n[^\n]+\nTopicArn\n[^\n]+\nType\nUnsubscribeConfirmation\n$/,
    ));

  it('version 2 signs the same string, with SHA256withRSA instead of SHA1withRSA', () => {
    assert.equal(
      snsStringToSign(parsed({ ...NOTIFICATION, SignatureVersion: '2' })),
      snsStringToSign(parsed(NOTIFICATION)),
    );
    assert.equal(
      snsStringToSign(parsed({ ...CONFIRMATION, SignatureVersion: '2' })),
      snsStringToSign(parsed(CONFIRMATION)),
    );
    assert.equal(snsSignatureAlgorithm('1'), 'RSA-SHA1');
    assert.equal(snsSignatureAlgorithm('2'), 'RSA-SHA256');
  });
});

describe('parseSnsMessage', () => {
  it('takes the documented examples', () => {
    assert.equal(parsed(NOTIFICATION).Type, 'Notification');
    assert.equal(parsed(CONFIRMATION).Type, 'SubscriptionConfirmation');
  });

  const refusals: Array<[string, unknown, string | undefined, string[]]> = [
    ['not an object', 'x', undefined, ['(body): must be a JSON object']],
    [
      'an unknown Type',
      { ...NOTIFICATION, Type: 'Spam' },
      undefined,
      ['Type: must be one of SubscriptionConfirmation, Notification, UnsubscribeConfirmation'],
    ],
    [
      'a header that disagrees with the body',
      NOTIFICATION,
      'SubscriptionConfirmation',
      ['Type: does not match the x-amz-sns-message-type header'],
    ],
    [
      'signature version 3',
      { ...NOTIFICATION, SignatureVersion: '3' },
      undefined,
      ['SignatureVersion: must be one of 1, 2'],
    ],
    [
      'a numeric SignatureVersion',
      { ...NOTIFICATION, SignatureVersion: 1 },
      undefined,
      ['SignatureVersion: must be one of 1, 2'],
    ],
    ['no Signature', { ...NOTIFICATION, Signature: undefined }, undefined, ['Signature: is required']],
    [
      'no SigningCertURL',
      { ...NOTIFICATION, SigningCertURL: '' },
      undefined,
      ['SigningCertURL: is required'],
    ],
    [
      'a Message that is not a string',
      { ...NOTIFICATION, Message: { a: 1 } },
      undefined,
      ['Message: must be a string'],
    ],
    ['a numeric Subject', { ...NOTIFICATION, Subject: 7 }, undefined, ['Subject: must be a string']],
    [
      'a confirmation without Token and SubscribeURL',
      { ...CONFIRMATION, Token: undefined, SubscribeURL: undefined },
      undefined,
      ['Token: is required', 'SubscribeURL: is required'],
    ],
    [
      'an overlong Signature',
      { ...NOTIFICATION, Signature: 'A'.repeat(5000) },
      undefined,
      ['Signature: is too long'],
    ],
  ];
  for (const [name, body, header, errors] of refusals)
    it(`refuses ${name}`, () => assert.deepEqual(parseSnsMessage(body, header), { ok: false, errors }));

  it('takes a matching header', () => assert.ok(parseSnsMessage(NOTIFICATION, 'Notification').ok));
});

describe('checkSigningCertUrl (strict, the default)', () => {
  const good = [
    'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem',
    'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem',
    'https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-3242f6ca1f0a8bf3b8a7e9a7a5e3b1b2.pem',
    'https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-x.pem',
    'https://SNS.US-EAST-1.AMAZONAWS.COM/SimpleNotificationService-x.pem',
    'https://sns.us-east-1.amazonaws.com:443/SimpleNotificationService-x.pem',
  ];
  for (const url of good)
    it(`accepts ${url}`, () => {
      const result = checkSigningCertUrl(url);
      assert.ok(result.ok, result.ok ? '' : result.reason);
    });

  const bad: Array<[string, unknown, RegExp]> = [
    ['http', 'http://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem', /https/],
    ['ftp', 'ftp://sns.us-east-1.amazonaws.com/x.pem', /https/],
    ['another host', 'https://example.com/SimpleNotificationService-x.pem', /SNS host/],
    ['sns.evil.com', 'https://sns.evil.com/SimpleNotificationService-x.pem', /SNS host/],
    ['an AWS host as a subdomain', 'https://sns.us-east-1.amazonaws.com.evil.com/x.pem', /SNS host/],
    ['a region too short', 'https://sns.us.amazonaws.com/x.pem', /SNS host/],
    ['another AWS service', 'https://s3.us-east-1.amazonaws.com/x.pem', /SNS host/],
    ['a host with a trailing dot', 'https://sns.us-east-1.amazonaws.com./x.pem', /SNS host/],
    ['an explicit port', 'https://sns.us-east-1.amazonaws.com:8443/x.pem', /SNS host/],
    ['an IP address', 'https://169.254.169.254/latest/meta-data/x.pem', /SNS host/],
    ['localhost', 'https://localhost/x.pem', /SNS host/],
    ['no .pem', 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-x', /\.pem/],
    ['.pem only in the query', 'https://sns.us-east-1.amazonaws.com/cert?x.pem', /\.pem/],
    ['.pem only in the fragment', 'https://sns.us-east-1.amazonaws.com/cert#x.pem', /\.pem/],
    ['a query after .pem', 'https://sns.us-east-1.amazonaws.com/x.pem?redirect=1', /query/],
    ['userinfo naming an AWS host', 'https://sns.us-east-1.amazonaws.com@evil.com/x.pem', /credentials/],
    ['userinfo before an AWS host', 'https://evil.com@sns.us-east-1.amazonaws.com/x.pem', /credentials/],
    ['user and password', 'https://a:b@sns.us-east-1.amazonaws.com/x.pem', /credentials/],
    ['an AWS host in the fragment', 'https://evil.com#@sns.us-east-1.amazonaws.com/x.pem', /SNS host/],
    ['an AWS host in the path', 'https://evil.com/sns.us-east-1.amazonaws.com/x.pem', /SNS host/],
    ['a backslash trick', 'https://evil.com\\@sns.us-east-1.amazonaws.com/x.pem', /SNS host/],
    ['not a URL', 'sns.us-east-1.amazonaws.com/x.pem', /not a URL/],
    ['a relative path', '/x.pem', /not a URL/],
    ['not a string', 42, /missing/],
    ['empty', '', /missing/],
  ];
  for (const [name, url, reason] of bad)
    it(`refuses ${name}`, () => {
      const result = checkSigningCertUrl(url);
      assert.equal(result.ok, false, String(url));
      assert.match(result.ok ? '' : result.reason, reason);
    });

  it('returns the URL that was checked, so that is the one fetched', () => {
    const result = checkSigningCertUrl('https://SNS.us-east-1.amazonaws.com:443/a/../x.pem');
    assert.ok(result.ok);
    assert.equal(result.url.href, 'https://sns.us-east-1.amazonaws.com/x.pem');
  });
});

describe('checkSigningCertUrl with a test trust setting', () => {
  const local: SnsTrust = { host: /^127\.0\.0\.1:\d+$/, allowLoopbackHttp: true };

  it('accepts the local fake over http', () =>
    assert.ok(checkSigningCertUrl('http://127.0.0.1:4567/cert.pem', local).ok));

  it('still refuses AWS hosts it does not name, http to a non-loopback host, and no .pem', () => {
    assert.equal(checkSigningCertUrl('https://sns.us-east-1.amazonaws.com/x.pem', local).ok, false);
    assert.equal(
      checkSigningCertUrl('http://10.0.0.1:4567/cert.pem', { ...local, host: /^10\.0\.0\.1:\d+$/ }).ok,
      false,
    );
    assert.equal(checkSigningCertUrl('http://127.0.0.1:4567/cert', local).ok, false);
  });

  it('refuses the local fake under the strict default', () =>
    assert.equal(checkSigningCertUrl('http://127.0.0.1:4567/cert.pem').ok, false));

  it('keeps https required when loopback http is not allowed', () =>
    assert.equal(
      checkSigningCertUrl('http://127.0.0.1:4567/cert.pem', { ...local, allowLoopbackHttp: false }).ok,
      false,
    ));
});

describe('checkSubscribeUrl', () => {
  it('accepts an SNS ConfirmSubscription URL', () =>
    assert.ok(checkSubscribeUrl(CONFIRMATION.SubscribeURL).ok));

  for (const url of [
    'http://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription',
    'https://sns.us-west-2.amazonaws.com.evil.com/?Action=ConfirmSubscription',
    'https://evil.com/?host=sns.us-west-2.amazonaws.com',
    'https://user@sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription',
    'https://127.0.0.1/?Action=ConfirmSubscription',
  ])
    it(`refuses ${url}`, () => assert.equal(checkSubscribeUrl(url).ok, false));
});

describe('patterns', () => {
  it("AWS_SNS_HOST is aws-js-sns-message-validator's rule", () => {
    assert.ok(AWS_SNS_HOST.test('sns.ap-southeast-2.amazonaws.com'));
    assert.ok(AWS_SNS_HOST.test('sns.cn-northwest-1.amazonaws.com.cn'));
    assert.equal(AWS_SNS_HOST.test('sns.us-east-1.amazonaws.com.cn.evil.com'), false);
  });

  it('SNS_TOPIC_ARN takes topic ARNs of every partition and nothing else', () => {
    for (const arn of [
      'arn:aws:sns:us-east-1:123456789012:alarms',
      'arn:aws-cn:sns:cn-north-1:123456789012:alarms',
      'arn:aws-us-gov:sns:us-gov-west-1:123456789012:alarms_prod-1',
      'arn:aws:sns:eu-west-1:123456789012:orders.fifo',
    ])
      assert.ok(SNS_TOPIC_ARN.test(arn), arn);
    for (const arn of [
      'arn:aws:sqs:us-east-1:123456789012:alarms',
      'arn:aws:sns:us-east-1:12345:alarms',
      'arn:aws:sns:us-east-1:123456789012:',
      'arn:aws:sns:us-east-1:123456789012:a b',
      'arn:aws:sns:us-east-1:123456789012:alarms:subscription-id',
    ])
      assert.equal(SNS_TOPIC_ARN.test(arn), false, arn);
  });
});
