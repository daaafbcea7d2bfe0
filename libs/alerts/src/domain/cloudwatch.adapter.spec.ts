import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { fromCloudWatchAlarm } from './cloudwatch.adapter.js';
import type { AdapterResult, NormalisedAlert } from './normalised-alert.js';
import { fuzzAdapter } from './spec-fuzz.js';

const MESSAGE_ID = '95df01b4-ee98-5cb9-9903-4c221d41eb5e';

// Source: aws/aws-lambda-go events/testdata/cloudwatch-alarm-sns-payload-single-metric.json,
// the alarm JSON inside Records[0].Sns.Message (kept as the string SNS carries).
const SINGLE_METRIC_MESSAGE =
  '{"AlarmName": "EXAMPLE","AlarmDescription": "EXAMPLE","AWSAccountId": "123456789012","NewStateValue": "ALARM",' +
  '"NewStateReason": "Threshold Crossed: 1 out of the last 1 datapoints [1234.0 (06/03/15 17:43:27)] was greater than the threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition).",' +
  '"StateChangeTime": "2015-06-03T17:43:27.123+0000","Region": "EXAMPLE","AlarmArn": "arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:alarm:EXAMPLE",' +
  '"OldStateValue": "INSUFFICIENT_DATA","Trigger": {"MetricName": "NetworkOut","Namespace": "AWS/EC2","StatisticType": "Statistic",' +
  '"Statistic": "AVERAGE","Unit": "Bytes","Dimensions": [{"value": "TestInstance","name": "InstanceId"}],"Period": 60,' +
  '"EvaluationPeriods": 1,"ComparisonOperator": "GreaterThanThreshold","Threshold": 0.0,' +
  '"TreatMissingData": "- TreatMissingData:                    missing","EvaluateLowSampleCountPercentile": ""}}';
const SINGLE_METRIC = JSON.parse(SINGLE_METRIC_MESSAGE) as Record<string, unknown>;

// Source: aws/aws-lambda-go events/testdata/cloudwatch-alarm-sns-payload-multiple-metrics.json (metric-math alarm).
const MULTIPLE_METRICS = JSON.parse(
  '{"AlarmName":"EXAMPLE","AlarmDescription":"EXAMPLE","AWSAccountId":"EXAMPLE","NewStateValue":"ALARM",' +
    '"NewStateReason":"Threshold Crossed: 1 out of the last 1 datapoints [1234.0 (06/03/15 17:43:27)] was greater than the threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition).",' +
    '"StateChangeTime":"2015-06-03T17:43:27.123+0000","Region":"EXAMPLE","AlarmArn":"arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:alarm:EXAMPLE",' +
    '"OldStateValue":"INSUFFICIENT_DATA","Trigger":{"Period":60,"EvaluationPeriods":1,"ComparisonOperator":"GreaterThanThreshold",' +
    '"Threshold":0.0,"TreatMissingData":"- TreatMissingData:                    missing","EvaluateLowSampleCountPercentile":"",' +
    '"Metrics":[{"Expression":"m1*1","Id":"e1","Label":"Expression1","ReturnData":true},{"Id":"m1","MetricStat":{"Metric":' +
    '{"Dimensions":[{"value":"TestInstance","name":"InstanceId"}],"MetricName":"NetworkOut","Namespace":"AWS/EC2"},' +
    '"Period":60,"Stat":"Average"},"ReturnData":false}]}}',
) as Record<string, unknown>;

// Reference §3 fields with a real region code in the ARN and a display-name Region, as SNS delivers them.
const IRELAND = {
  ...SINGLE_METRIC,
  AlarmName: 'api 5xx rate',
  AWSAccountId: '123456789012',
  Region: 'EU (Ireland)',
  AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:api 5xx rate',
  AlarmDescription: null,
};

const onlyAlert = (result: AdapterResult): NormalisedAlert => {
  assert.ok(result.ok, result.ok ? '' : result.errors.join('; '));
  assert.equal(result.alerts.length, 1);
  return result.alerts[0] as NormalisedAlert;
};

describe('fromCloudWatchAlarm', () => {
  it('maps the aws-lambda-go single-metric alarm', () => {
    assert.deepEqual(onlyAlert(fromCloudWatchAlarm(SINGLE_METRIC, MESSAGE_ID)), {
      source: 'cloudwatch',
      action: 'trigger',
      dedupKey: '123456789012:EXAMPLE:EXAMPLE',
      groupKey: '123456789012:EXAMPLE:EXAMPLE',
      fact: MESSAGE_ID,
      severity: 'SEV2',
      summary: 'EXAMPLE',
      labels: {
        namespace: 'AWS/EC2',
        metric_name: 'NetworkOut',
        dimension_InstanceId: 'TestInstance',
        alarm_name: 'EXAMPLE',
        aws_account_id: '123456789012',
        region: 'EXAMPLE',
        state: 'ALARM',
      },
      annotations: {
        description: 'EXAMPLE',
        reason:
          'Threshold Crossed: 1 out of the last 1 datapoints [1234.0 (06/03/15 17:43:27)] was greater than the threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition).',
      },
      links: [],
      startsAt: '2015-06-03T17:43:27.123Z',
      details: {
        alarmArn: 'arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:alarm:EXAMPLE',
        oldState: 'INSUFFICIENT_DATA',
        trigger: SINGLE_METRIC['Trigger'],
      },
    });
  });

  it('accepts the Message string as SNS carries it', () => {
    assert.deepEqual(
      fromCloudWatchAlarm(SINGLE_METRIC_MESSAGE, MESSAGE_ID),
      fromCloudWatchAlarm(SINGLE_METRIC, MESSAGE_ID),
    );
  });

  it('reads metric and dimensions from a metric-math alarm', () => {
    const alert = onlyAlert(fromCloudWatchAlarm(MULTIPLE_METRICS, MESSAGE_ID));
    assert.equal(alert.labels['metric_name'], 'NetworkOut');
    assert.equal(alert.labels['namespace'], 'AWS/EC2');
    assert.equal(alert.labels['dimension_InstanceId'], 'TestInstance');
    assert.equal(alert.dedupKey, 'EXAMPLE:EXAMPLE:EXAMPLE');
  });

  const states: Array<[string, { action: string; severity: string; summary: string }]> = [
    ['ALARM', { action: 'trigger', severity: 'SEV2', summary: 'api 5xx rate' }],
    ['OK', { action: 'resolve', severity: 'SEV2', summary: 'api 5xx rate' }],
    [
      'INSUFFICIENT_DATA',
      { action: 'trigger', severity: 'SEV4', summary: 'Insufficient data: api 5xx rate' },
    ],
  ];
  for (const [state, expected] of states)
    it(`maps ${state}`, () => {
      const alert = onlyAlert(fromCloudWatchAlarm({ ...IRELAND, NewStateValue: state }, `msg-${state}`));
      assert.deepEqual({ action: alert.action, severity: alert.severity, summary: alert.summary }, expected);
      // All three states share the key, so OK resolves what ALARM triggered.
      assert.equal(alert.dedupKey, '123456789012:EU (Ireland):api 5xx rate');
      assert.equal(alert.groupKey, alert.dedupKey);
      assert.equal(alert.fact, `msg-${state}`);
      assert.equal(alert.labels['state'], state);
    });

  it('links to the console when the ARN names a region, and skips a null description', () => {
    const alert = onlyAlert(fromCloudWatchAlarm(IRELAND, MESSAGE_ID));
    assert.deepEqual(alert.links, [
      {
        href: 'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/api%205xx%20rate',
        text: 'CloudWatch alarm',
      },
    ]);
    assert.equal(alert.annotations['description'], undefined);
  });

  const errorCases: Array<[string, unknown, string, string[]]> = [
    ['not an object', 42, MESSAGE_ID, ['alarm: must be a JSON object']],
    ['not JSON', '{"AlarmName":', MESSAGE_ID, ['alarm: must be JSON']],
    ['JSON but not an object', '[1]', MESSAGE_ID, ['alarm: must be a JSON object']],
    ['no message id', SINGLE_METRIC, '', ['MessageId: is required']],
    [
      'empty alarm',
      {},
      MESSAGE_ID,
      [
        'AlarmName: is required',
        'AWSAccountId: is required',
        'Region: is required',
        'NewStateValue: must be one of ALARM, OK, INSUFFICIENT_DATA',
        'StateChangeTime: must be an ISO 8601 time',
      ],
    ],
    ['AlarmName a number', { ...SINGLE_METRIC, AlarmName: 1 }, MESSAGE_ID, ['AlarmName: must be a string']],
    ['AWSAccountId blank', { ...SINGLE_METRIC, AWSAccountId: '' }, MESSAGE_ID, ['AWSAccountId: is required']],
    ['Region missing', { ...SINGLE_METRIC, Region: undefined }, MESSAGE_ID, ['Region: is required']],
    [
      'unknown state',
      { ...SINGLE_METRIC, NewStateValue: 'alarm' },
      MESSAGE_ID,
      ['NewStateValue: must be one of ALARM, OK, INSUFFICIENT_DATA'],
    ],
    [
      'bad StateChangeTime',
      { ...SINGLE_METRIC, StateChangeTime: '06/03/15 17:43:27' },
      MESSAGE_ID,
      ['StateChangeTime: must be an ISO 8601 time'],
    ],
    [
      'description an object',
      { ...SINGLE_METRIC, AlarmDescription: {} },
      MESSAGE_ID,
      ['AlarmDescription: must be a string'],
    ],
    [
      'reason a number',
      { ...SINGLE_METRIC, NewStateReason: 3 },
      MESSAGE_ID,
      ['NewStateReason: must be a string'],
    ],
  ];
  for (const [name, alarm, messageId, expected] of errorCases)
    it(`rejects: ${name}`, () =>
      assert.deepEqual(fromCloudWatchAlarm(alarm, messageId), { ok: false, errors: expected }));

  it('ignores a malformed Trigger (informative only)', () => {
    const alert = onlyAlert(
      fromCloudWatchAlarm(
        { ...SINGLE_METRIC, Trigger: { Dimensions: [null, { name: 'x' }], Metrics: 'x' } },
        MESSAGE_ID,
      ),
    );
    assert.equal(alert.labels['alarm_name'], 'EXAMPLE');
  });

  it('never throws on 500 random mutations of the single-metric alarm', () => {
    const { ok, rejected } = fuzzAdapter(
      SINGLE_METRIC,
      (alarm) => fromCloudWatchAlarm(alarm, MESSAGE_ID),
      500,
      14,
    );
    assert.ok(ok > 0 && rejected > 0, `ok=${ok} rejected=${rejected}`);
  });
});
