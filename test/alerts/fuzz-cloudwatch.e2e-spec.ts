import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
// Test support shared with the adapters' unit tests: seeded mutations of a valid payload.
// eslint-disable-next-line no-restricted-imports
import { mutate, seededRandom } from '../../libs/alerts/src/domain/spec-fuzz.js';
import { startFakeSns, type FakeSns } from '../support/fake-sns.js';
import { logHead } from '../support/database.js';
import { startTestApp, type TestApp } from '../support/app.js';

const CASES = 2000;

// Source: aws/aws-lambda-go events/testdata/cloudwatch-alarm-sns-payload-single-metric.json (Records[0].Sns.Message).
const ALARM = {
  AlarmName: 'EXAMPLE',
  AlarmDescription: 'EXAMPLE',
  AWSAccountId: '123456789012',
  NewStateValue: 'ALARM',
  NewStateReason:
    'Threshold Crossed: 1 out of the last 1 datapoints [1234.0 (06/03/15 17:43:27)] was greater than the threshold (0.0)',
  StateChangeTime: '2015-06-03T17:43:27.123+0000',
  Region: 'EXAMPLE',
  AlarmArn: 'arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:alarm:EXAMPLE',
  OldStateValue: 'INSUFFICIENT_DATA',
  Trigger: {
    MetricName: 'NetworkOut',
    Namespace: 'AWS/EC2',
    StatisticType: 'Statistic',
    Statistic: 'AVERAGE',
    Unit: 'Bytes',
    Dimensions: [{ value: 'TestInstance', name: 'InstanceId' }],
    Period: 60,
    EvaluationPeriods: 1,
    ComparisonOperator: 'GreaterThanThreshold',
    Threshold: 0.0,
  },
};

describe('the CloudWatch receiver under 2,000 mutated real messages', () => {
  let sns: FakeSns;
  let t: TestApp;
  before(async () => {
    sns = await startFakeSns();
    const saved = [process.env.VIGIL_SNS_CERT_HOST_PATTERN, process.env.VIGIL_SNS_ALLOW_LOOPBACK_HTTP];
    process.env.VIGIL_SNS_CERT_HOST_PATTERN = sns.hostPattern;
    process.env.VIGIL_SNS_ALLOW_LOOPBACK_HTTP = 'true';
    try {
      t = await startTestApp({ roles: 'api' });
    } finally {
      for (const [name, value] of [
        ['VIGIL_SNS_CERT_HOST_PATTERN', saved[0]],
        ['VIGIL_SNS_ALLOW_LOOPBACK_HTTP', saved[1]],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
  after(async () => {
    await t?.close();
    await sns?.close();
  });

  const head = () => logHead(t.runtime.pool);

  it('answers no 5xx and stores nothing from a rejected message, signed or not', async () => {
    const topicArn = `arn:aws:sns:eu-west-1:123456789012:fuzz-${randomUUID().slice(0, 8)}`;
    const created = await t.call('POST', '/v1/integrations', {
      body: { name: 'fuzz cloudwatch', service: 'fuzz-cw', type: 'cloudwatch', snsTopicArns: [topicArn] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const random = seededRandom(20261129);
    const statuses = new Map<number, number>();
    // The log's head before each request; read again only after one that may have moved it.
    let before: string | null = null;
    for (let i = 0; i < CASES; i++) {
      let body: string;
      let type = 'Notification';
      if (random() < 0.5) {
        // A mutated alarm, correctly signed: it reaches the adapter.
        const message = JSON.stringify(mutate(ALARM, random)) ?? 'null';
        body = JSON.stringify(sns.notification({ topicArn, message, messageId: randomUUID() }));
      } else {
        // A mutated envelope: signature, certificate URL, type and topic checks.
        const envelope = sns.notification({
          topicArn,
          message: JSON.stringify(ALARM),
          messageId: randomUUID(),
        });
        const mutated = mutate(envelope, random);
        // The header says what the (mutated) body says it is, when that can travel in a header.
        const said = (mutated as { Type?: unknown } | null)?.Type;
        type = typeof said === 'string' && /^[\x20-\x7e]{0,100}$/.test(said) ? said : 'Notification';
        body =
          random() < 0.05
            ? JSON.stringify(envelope).slice(0, Math.floor(random() * 200))
            : (JSON.stringify(mutated) ?? 'null');
      }
      before ??= await head();
      const res = await t.call('POST', `/v1/integrations/${created.body.key}/cloudwatch`, {
        key: null,
        rawBody: body,
        headers: {
          'content-type': 'text/plain; charset=UTF-8',
          'x-amz-sns-message-type': type,
        },
      });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      assert.ok(res.status < 500, `→ ${res.status} ${JSON.stringify(res.body)}: ${body.slice(0, 300)}`);
      if (res.status >= 400) assert.equal(await head(), before, `stored something for a ${res.status}`);
      else before = null;
    }
    const rejected = [...statuses].filter(([s]) => s >= 400).reduce((n, [, c]) => n + c, 0);
    const accepted = statuses.get(202) ?? 0;
    assert.ok(rejected > 300 && accepted > 300, `both kinds seen: ${JSON.stringify([...statuses])}`);
  });
});
