import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startFakeSns, type FakeSns } from '../support/fake-sns.js';
import { startTestApp, type CallResult, type TestApp } from '../support/app.js';

// Source: aws/aws-lambda-go events/testdata/cloudwatch-alarm-sns-payload-single-metric.json, the alarm
// JSON in Records[0].Sns.Message, as the string SNS carries in a Notification's Message.
const ALARM_MESSAGE =
  '{"AlarmName": "EXAMPLE","AlarmDescription": "EXAMPLE","AWSAccountId": "123456789012","NewStateValue": "ALARM",' +
  '"NewStateReason": "Threshold Crossed: 1 out of the last 1 datapoints [1234.0 (06/03/15 17:43:27)] was greater than the threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition).",' +
  '"StateChangeTime": "2015-06-03T17:43:27.123+0000","Region": "EXAMPLE","AlarmArn": "arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:alarm:EXAMPLE",' +
  '"OldStateValue": "INSUFFICIENT_DATA","Trigger": {"MetricName": "NetworkOut","Namespace": "AWS/EC2","StatisticType": "Statistic",' +
  '"Statistic": "AVERAGE","Unit": "Bytes","Dimensions": [{"value": "TestInstance","name": "InstanceId"}],"Period": 60,' +
  '"EvaluationPeriods": 1,"ComparisonOperator": "GreaterThanThreshold","Threshold": 0.0,' +
  '"TreatMissingData": "- TreatMissingData:                    missing","EvaluateLowSampleCountPercentile": ""}}';
const OK_MESSAGE = ALARM_MESSAGE.replace('"NewStateValue": "ALARM"', '"NewStateValue": "OK"')
  .replace('"OldStateValue": "INSUFFICIENT_DATA"', '"OldStateValue": "ALARM"')
  .replace('2015-06-03T17:43:27.123+0000', '2015-06-03T17:53:27.123+0000');

const topic = () => `arn:aws:sns:eu-west-1:123456789012:alarms-${randomUUID().slice(0, 8)}`;

const isProblem = (res: CallResult, status: number) => {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
  assert.equal(res.body.status, status);
};

describe('CloudWatch alarms through an SNS HTTP(S) subscription', () => {
  let sns: FakeSns;
  let t: TestApp;
  /** The same app code with the default trust: AWS's SNS hosts over https only. */
  let strict: TestApp;

  before(async () => {
    sns = await startFakeSns();
    const saved = [
      process.env.VIGIL_SNS_CERT_HOST_PATTERN,
      process.env.VIGIL_SNS_ALLOW_LOOPBACK_HTTP,
    ] as const;
    const restore = (name: string, value: string | undefined) => {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    };
    try {
      // An explicit test override: this fake's loopback address, over plain http.
      process.env.VIGIL_SNS_CERT_HOST_PATTERN = sns.hostPattern;
      process.env.VIGIL_SNS_ALLOW_LOOPBACK_HTTP = 'true';
      t = await startTestApp();
      delete process.env.VIGIL_SNS_CERT_HOST_PATTERN;
      delete process.env.VIGIL_SNS_ALLOW_LOOPBACK_HTTP;
      strict = await startTestApp({ roles: 'api' });
    } finally {
      restore('VIGIL_SNS_CERT_HOST_PATTERN', saved[0]);
      restore('VIGIL_SNS_ALLOW_LOOPBACK_HTTP', saved[1]);
    }
  });
  after(async () => {
    await strict?.close();
    await t?.close();
    await sns?.close();
  });

  const countEvents = async () =>
    Number((await t.runtime.pool.query(`SELECT count(*) AS n FROM events`)).rows[0].n);

  const integration = async (snsTopicArns: string[]) => {
    const service = `cw-${randomUUID().slice(0, 8)}`;
    const res = await t.call('POST', '/v1/integrations', {
      body: { name: 'CloudWatch test', service, type: 'cloudwatch', snsTopicArns },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { id: string; key: string; service: string; snsTopicArns: string[] };
  };

  /** Posts as SNS does: JSON with Content-Type text/plain and the message type header. */
  const post = (
    app: TestApp,
    key: string,
    message: { Type: string },
    contentType = 'text/plain; charset=UTF-8',
  ) =>
    app.call('POST', `/v1/integrations/${key}/cloudwatch`, {
      key: null,
      rawBody: JSON.stringify(message),
      headers: { 'content-type': contentType, 'x-amz-sns-message-type': message.Type },
    });

  const incidentsOf = async (service: string) =>
    (
      await t.runtime.pool.query<{ stream_id: string }>(
        `SELECT DISTINCT stream_id FROM events WHERE type = 'IncidentOpened' AND data->>'service' = $1`,
        [service],
      )
    ).rows.map((r) => r.stream_id);

  it('confirms a SubscriptionConfirmation for an allow-listed topic by visiting SubscribeURL', async () => {
    const arn = topic();
    const { key } = await integration([arn]);
    const before = await countEvents();
    const message = sns.subscriptionConfirmation({ topicArn: arn });
    const res = await post(t, key, message);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'confirmed');
    assert.ok(sns.confirmed.includes(message.Token), 'the fake SNS saw the confirmation GET');
    assert.equal(await countEvents(), before, 'a confirmation stores nothing');
  });

  it('refuses a SubscriptionConfirmation for a topic not allow-listed with 403, fetching nothing', async () => {
    const { key } = await integration([topic()]);
    const seen = sns.requests.length;
    const res = await post(t, key, sns.subscriptionConfirmation({ topicArn: topic() }));
    isProblem(res, 403);
    assert.deepEqual(sns.requests.slice(seen), [], 'neither the certificate nor SubscribeURL was fetched');
  });

  it('opens an incident from a signed ALARM, takes a redelivery once, and resolves on OK', async () => {
    const arn = topic();
    const { key, service } = await integration([arn]);
    const alarm = sns.notification({
      topicArn: arn,
      message: ALARM_MESSAGE,
      subject: 'ALARM: "EXAMPLE" in EXAMPLE',
    });
    const first = await post(t, key, alarm);
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.deepEqual(first.body, { status: 'accepted', alerts: 1 });
    const [incident] = await incidentsOf(service);
    assert.ok(incident, 'an incident was opened');
    const incidentId = incident.slice('incident-'.length);
    const opened = await t.call('GET', `/v1/incidents/${incidentId}`);
    assert.equal(opened.body.title, 'EXAMPLE');
    assert.equal(opened.body.severity, 'SEV2');

    // SNS redelivers with the same MessageId (and a new Timestamp, so a new signature).
    const before = await countEvents();
    const again = await post(
      t,
      key,
      sns.notification({ topicArn: arn, message: ALARM_MESSAGE, messageId: alarm.MessageId }),
    );
    assert.equal(again.status, 202);
    assert.deepEqual(again.body, first.body);
    assert.equal(await countEvents(), before, 'the redelivery appended nothing');

    const ok = await post(t, key, sns.notification({ topicArn: arn, message: OK_MESSAGE, version: '1' }));
    assert.equal(ok.status, 202, JSON.stringify(ok.body));
    assert.equal((await t.call('GET', `/v1/incidents/${incidentId}`)).body.status, 'resolved');
    assert.equal((await incidentsOf(service)).length, 1);
  });

  it('takes the same message as application/json', async () => {
    const arn = topic();
    const { key, service } = await integration([arn]);
    const res = await post(
      t,
      key,
      sns.notification({ topicArn: arn, message: ALARM_MESSAGE }),
      'application/json',
    );
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal((await incidentsOf(service)).length, 1);
  });

  it('refuses a Notification from a topic not allow-listed with 403', async () => {
    const { key, service } = await integration([topic()]);
    const before = await countEvents();
    isProblem(await post(t, key, sns.notification({ topicArn: topic(), message: ALARM_MESSAGE })), 403);
    assert.equal(await countEvents(), before);
    assert.deepEqual(await incidentsOf(service), []);
  });

  it('refuses a tampered Message, Subject or signature with 401 and stores nothing', async () => {
    const arn = topic();
    const { key, service } = await integration([arn]);
    const before = await countEvents();
    const good = sns.notification({ topicArn: arn, message: OK_MESSAGE, subject: 'OK' });
    const tampered = [
      { ...good, Message: ALARM_MESSAGE },
      { ...good, Subject: 'ALARM' },
      { ...good, MessageId: randomUUID() },
      { ...good, SignatureVersion: '1' },
      { ...good, Signature: Buffer.from('forged').toString('base64') },
    ];
    for (const message of tampered) isProblem(await post(t, key, message), 401);
    assert.equal(await countEvents(), before);
    assert.deepEqual(await incidentsOf(service), []);
  });

  it('acknowledges a signed UnsubscribeConfirmation with 200 and stores nothing', async () => {
    const arn = topic();
    const { key } = await integration([arn]);
    const before = await countEvents();
    const seen = sns.confirmed.length;
    const res = await post(
      t,
      key,
      sns.subscriptionConfirmation({ topicArn: arn, type: 'UnsubscribeConfirmation' }),
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(sns.confirmed.length, seen, 'SubscribeURL is not visited');
    assert.equal(await countEvents(), before);
  });

  it('with the default trust, refuses a certificate URL off AWS with 400 and no request reaching the fake', async () => {
    const arn = topic();
    const { key } = await integration([arn]);
    const seen = sns.requests.length;
    const before = await countEvents();
    isProblem(await post(strict, key, sns.notification({ topicArn: arn, message: ALARM_MESSAGE })), 400);
    isProblem(await post(strict, key, sns.subscriptionConfirmation({ topicArn: arn })), 400);
    assert.deepEqual(sns.requests.slice(seen), []);
    assert.equal(await countEvents(), before);
  });

  it('refuses untrusted certificate and subscription URLs before fetching, with the test trust too', async () => {
    const arn = topic();
    const { key } = await integration([arn]);
    const seen = sns.requests.length;
    for (const certUrl of [
      'https://sns.evil.com/SimpleNotificationService-x.pem',
      'https://sns.us-east-1.amazonaws.com.evil.com/x.pem',
      `${sns.origin}/cert`, // no .pem
      `${sns.origin.replace('127.0.0.1', '127.0.0.1.nip.io')}/x.pem`,
      `http://user@127.0.0.1:${new URL(sns.origin).port}/x.pem`,
    ])
      isProblem(
        await post(t, key, sns.notification({ topicArn: arn, message: ALARM_MESSAGE, certUrl })),
        400,
      );
    const confirmation = sns.subscriptionConfirmation({ topicArn: arn });
    const elsewhere = { ...confirmation, SubscribeURL: 'http://169.254.169.254/latest/meta-data/' };
    isProblem(await post(t, key, elsewhere), 400);
    assert.deepEqual(sns.requests.slice(seen), []);
  });

  it('answers 404 for unknown, disabled and other-type keys, as every receiver does', async () => {
    const arn = topic();
    const { id, key } = await integration([arn]);
    const message = sns.notification({ topicArn: arn, message: ALARM_MESSAGE });
    isProblem(await post(t, '0'.repeat(32), message), 404);
    const alertmanager = await t.call('POST', '/v1/integrations', {
      body: { name: 'am', service: 'am', type: 'alertmanager' },
    });
    isProblem(await post(t, alertmanager.body.key, message), 404);
    await t.call('PATCH', `/v1/integrations/${id}`, { body: { disabled: true } });
    isProblem(await post(t, key, message), 404);
  });

  it('answers 400 for malformed JSON and for a body that is not an SNS message; 413 over 512 KiB', async () => {
    const arn = topic();
    const { key } = await integration([arn]);
    const before = await countEvents();
    const path = `/v1/integrations/${key}/cloudwatch`;
    const text = { 'content-type': 'text/plain; charset=UTF-8' };
    isProblem(await t.call('POST', path, { key: null, rawBody: '{"Type":', headers: text }), 400);
    isProblem(await t.call('POST', path, { key: null, rawBody: '"just a string"', headers: text }), 400);
    isProblem(
      await t.call('POST', path, { key: null, rawBody: '{"Type":"Notification"}', headers: text }),
      400,
    );
    const mismatched = await t.call('POST', path, {
      key: null,
      rawBody: JSON.stringify(sns.notification({ topicArn: arn, message: ALARM_MESSAGE })),
      headers: { ...text, 'x-amz-sns-message-type': 'SubscriptionConfirmation' },
    });
    isProblem(mismatched, 400);
    const notAnAlarm = await post(t, key, sns.notification({ topicArn: arn, message: 'Hello world!' }));
    isProblem(notAnAlarm, 400);
    const huge = await t.call('POST', path, {
      key: null,
      rawBody: JSON.stringify({ Type: 'Notification', Message: 'x'.repeat(600 * 1024) }),
      headers: text,
    });
    isProblem(huge, 413);
    assert.equal(await countEvents(), before);
  });

  it('still answers 415 to text/plain on every other route', async () => {
    const generic = await t.call('POST', '/v1/integrations', {
      body: { name: 'generic', service: 'generic', type: 'generic' },
    });
    const body = JSON.stringify({ summary: 'x' });
    const headers = { 'content-type': 'text/plain; charset=UTF-8' };
    isProblem(
      await t.call('POST', `/v1/integrations/${generic.body.key}/alerts`, {
        key: null,
        rawBody: body,
        headers,
      }),
      415,
    );
    isProblem(await t.call('POST', '/v1/incidents', { rawBody: body, headers }), 415);
    isProblem(await t.call('POST', '/v1/integrations', { rawBody: body, headers }), 415);
  });

  it('manages the topic allow-list on the integration resource', async () => {
    const { id, key, snsTopicArns } = await integration([]);
    assert.deepEqual(snsTopicArns, []);
    const arn = topic();
    isProblem(await post(t, key, sns.subscriptionConfirmation({ topicArn: arn })), 403);
    const patched = await t.call('PATCH', `/v1/integrations/${id}`, { body: { snsTopicArns: [arn] } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.deepEqual(patched.body.snsTopicArns, [arn]);
    assert.equal((await post(t, key, sns.subscriptionConfirmation({ topicArn: arn }))).status, 200);

    isProblem(
      await t.call('PATCH', `/v1/integrations/${id}`, { body: { snsTopicArns: ['not-an-arn'] } }),
      400,
    );
    isProblem(await t.call('PATCH', `/v1/integrations/${id}`, { body: { secret: 'only for grafana' } }), 400);
    isProblem(
      await t.call('POST', '/v1/integrations', {
        body: { name: 'am', service: 'am', type: 'alertmanager', snsTopicArns: [arn] },
      }),
      400,
    );
    assert.deepEqual((await t.call('GET', `/v1/integrations/${id}`)).body.snsTopicArns, [arn]);
  });
});
