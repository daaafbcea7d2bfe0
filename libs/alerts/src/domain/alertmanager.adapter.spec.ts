import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';

import {
  capErrors,
  fromAlertmanager,
  groupKeyFromLabels,
  isWebUrl,
  labelsFingerprint,
  MAX_ERRORS,
  parseIso8601,
  parseRfc3339,
} from './alertmanager.adapter.js';
import type { AdapterResult, NormalisedAlert } from './normalised-alert.js';
import { fuzzAdapter } from './spec-fuzz.js';

// Source: /work/shared/reference/wire-formats-and-reliability.md §1, itself the shape of the
// `alertmanager-webhook-types` crate fixture `assets/sample-v4-payload.json` (secondary source).
const SAMPLE_V4 = {
  receiver: 'sms',
  status: 'firing',
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'ProbeFailure', instance: 'https://server.example.org', severity: 'critical' },
      annotations: { summary: 'BlackBox Probe Failure' },
      startsAt: '2023-02-06T13:08:45.828Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0',
      fingerprint: '1a30ba71cca2921f',
    },
  ],
  groupLabels: { alertname: 'ProbeFailure' },
  commonLabels: { alertname: 'ProbeFailure', severity: 'critical' },
  commonAnnotations: { summary: 'BlackBox Probe Failure' },
  externalURL: 'http://prometheus.example.org:9093',
  version: '4',
  groupKey: '{}/{severity="critical"}:{alertname="ProbeFailure"}',
  truncatedAlerts: 0,
};

// The same group one group_interval later: the alert resolved, a second one firing with nanosecond
// precision and an offset (Go's RFC3339Nano), plus fields newer Alertmanagers add (notification_reason
// v0.32+, routeLabels v0.34+: reference §1) which must be ignored.
const RESOLVED_AND_FIRING = {
  ...SAMPLE_V4,
  status: 'firing',
  notification_reason: 'group_interval',
  routeLabels: { team: 'web' },
  alerts: [
    { ...SAMPLE_V4.alerts[0], status: 'resolved', endsAt: '2023-02-06T13:20:00Z' },
    {
      status: 'firing',
      labels: { alertname: 'HighLatency', job: 'api', severity: 'Warning' },
      annotations: { description: 'p99 above 2s' },
      startsAt: '2023-02-06T14:08:45.123456789+01:00',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example.org:9090/graph?g0.expr=latency',
      fingerprint: 'b1f2c3d4e5f60718',
    },
  ],
};

const alertsOf = (result: AdapterResult): NormalisedAlert[] => {
  assert.ok(result.ok, result.ok ? '' : result.errors.join('; '));
  return result.alerts;
};

const errorsOf = (result: AdapterResult): string[] => {
  assert.equal(result.ok, false);
  return result.ok ? [] : result.errors;
};

describe('fromAlertmanager', () => {
  it('maps the reference v4 sample', () => {
    assert.deepEqual(alertsOf(fromAlertmanager(SAMPLE_V4)), [
      {
        source: 'alertmanager',
        action: 'trigger',
        dedupKey: '1a30ba71cca2921f:2023-02-06T13:08:45.828Z',
        groupKey: '{}/{severity="critical"}:{alertname="ProbeFailure"}',
        fact: '1a30ba71cca2921f|2023-02-06T13:08:45.828Z|firing',
        severity: 'SEV1',
        summary: 'BlackBox Probe Failure',
        labels: { alertname: 'ProbeFailure', instance: 'https://server.example.org', severity: 'critical' },
        annotations: { summary: 'BlackBox Probe Failure' },
        links: [
          { href: 'http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0', text: 'Source' },
          { href: 'http://prometheus.example.org:9093', text: 'Alertmanager' },
        ],
        startsAt: '2023-02-06T13:08:45.828Z',
      },
    ]);
  });

  it('maps every alert of a group, resolved ones to resolve, ignoring unknown fields', () => {
    const [resolved, firing] = alertsOf(fromAlertmanager(RESOLVED_AND_FIRING));
    assert.equal(resolved?.action, 'resolve');
    assert.equal(resolved?.dedupKey, '1a30ba71cca2921f:2023-02-06T13:08:45.828Z');
    assert.equal(resolved?.fact, '1a30ba71cca2921f|2023-02-06T13:08:45.828Z|resolved');
    assert.equal(firing?.action, 'trigger');
    assert.equal(firing?.startsAt, '2023-02-06T13:08:45.123Z');
    assert.equal(firing?.dedupKey, 'b1f2c3d4e5f60718:2023-02-06T13:08:45.123Z');
    assert.equal(firing?.severity, 'SEV3');
    assert.equal(firing?.summary, 'p99 above 2s');
    assert.equal(firing?.groupKey, resolved?.groupKey);
  });

  it('gives the same facts when a group is re-sent unchanged (a resend appends nothing)', () => {
    const first = alertsOf(fromAlertmanager(SAMPLE_V4)).map((a) => a.fact);
    const again = alertsOf(fromAlertmanager(structuredClone(SAMPLE_V4))).map((a) => a.fact);
    assert.deepEqual(again, first);
  });

  const summaryCases: Array<[string, Record<string, string>, Record<string, string>, string]> = [
    ['summary annotation', { alertname: 'A' }, { summary: 'S', description: 'D' }, 'S'],
    ['description annotation', { alertname: 'A' }, { description: 'D' }, 'D'],
    ['blank summary skipped', { alertname: 'A' }, { summary: ' ', description: 'D' }, 'D'],
    ['alertname label', { alertname: 'A' }, {}, 'A'],
    ['fallback', { job: 'x' }, {}, 'Alertmanager alert'],
  ];
  for (const [name, labels, annotations, expected] of summaryCases)
    it(`summary from ${name}`, () => {
      const body = { ...SAMPLE_V4, alerts: [{ ...SAMPLE_V4.alerts[0], labels, annotations }] };
      assert.equal(alertsOf(fromAlertmanager(body))[0]?.summary, expected);
    });

  it('computes a stable fingerprint when it is missing (sha256 of sorted labels, 16 hex)', () => {
    const alert: Record<string, unknown> = { ...SAMPLE_V4.alerts[0] };
    delete alert['fingerprint'];
    const reordered = {
      ...alert,
      labels: { severity: 'critical', instance: 'https://server.example.org', alertname: 'ProbeFailure' },
    };
    const a = alertsOf(fromAlertmanager({ ...SAMPLE_V4, alerts: [alert] }))[0];
    const b = alertsOf(fromAlertmanager({ ...SAMPLE_V4, alerts: [reordered] }))[0];
    const expected = createHash('sha256')
      .update(
        JSON.stringify([
          ['alertname', 'ProbeFailure'],
          ['instance', 'https://server.example.org'],
          ['severity', 'critical'],
        ]),
      )
      .digest('hex')
      .slice(0, 16);
    assert.match(expected, /^[0-9a-f]{16}$/);
    assert.equal(a?.dedupKey, `${expected}:2023-02-06T13:08:45.828Z`);
    assert.equal(b?.dedupKey, a?.dedupKey);
    assert.equal(labelsFingerprint({ b: '1', a: '2' }), labelsFingerprint({ a: '2', b: '1' }));
    assert.notEqual(labelsFingerprint({ a: '1' }), labelsFingerprint({ a: '2' }));
    // An empty fingerprint counts as missing.
    const c = alertsOf(fromAlertmanager({ ...SAMPLE_V4, alerts: [{ ...alert, fingerprint: '' }] }))[0];
    assert.equal(c?.dedupKey, a?.dedupKey);
  });

  it('derives the group key from groupLabels when groupKey is missing', () => {
    const body: Record<string, unknown> = { ...SAMPLE_V4 };
    delete body['groupKey'];
    const [alert] = alertsOf(
      fromAlertmanager({ ...body, groupLabels: { b: '2', alertname: 'ProbeFailure' } }),
    );
    assert.equal(alert?.groupKey, '[["alertname","ProbeFailure"],["b","2"]]');
    assert.equal(groupKeyFromLabels({}), '[]');
  });

  it('keeps a "__proto__" label as a label', () => {
    const labels = JSON.parse('{"alertname":"A","__proto__":"x"}') as Record<string, string>;
    const [alert] = alertsOf(
      fromAlertmanager({ ...SAMPLE_V4, alerts: [{ ...SAMPLE_V4.alerts[0], labels }] }),
    );
    assert.deepEqual(Object.keys(alert?.labels ?? {}), ['alertname', '__proto__']);
  });

  it('drops links that are not http(s)', () => {
    const body = {
      ...SAMPLE_V4,
      externalURL: '',
      alerts: [{ ...SAMPLE_V4.alerts[0], generatorURL: 'javascript:alert(1)' }],
    };
    assert.deepEqual(alertsOf(fromAlertmanager(body))[0]?.links, []);
  });

  it('accepts an empty alerts array', () => {
    assert.deepEqual(fromAlertmanager({ ...SAMPLE_V4, alerts: [] }), { ok: true, alerts: [] });
  });

  const good = SAMPLE_V4.alerts[0];
  const errorCases: Array<[string, unknown, string[]]> = [
    ['body not an object', [SAMPLE_V4], ['body: must be a JSON object']],
    ['body null', null, ['body: must be a JSON object']],
    ['version missing', { ...SAMPLE_V4, version: undefined }, ['version: is required (expected "4")']],
    [
      'version 3',
      { ...SAMPLE_V4, version: '3' },
      ['version: unsupported webhook version "3" (expected "4")'],
    ],
    [
      'version number',
      { ...SAMPLE_V4, version: 4 },
      ['version: unsupported webhook version number (expected "4")'],
    ],
    ['alerts missing', { ...SAMPLE_V4, alerts: undefined }, ['alerts: must be an array']],
    ['alerts object', { ...SAMPLE_V4, alerts: {} }, ['alerts: must be an array']],
    ['alert not an object', { ...SAMPLE_V4, alerts: [good, 'x'] }, ['alerts[1]: must be an object']],
    [
      'bad status',
      { ...SAMPLE_V4, alerts: [{ ...good, status: 'pending' }] },
      ['alerts[0].status: must be "firing" or "resolved"'],
    ],
    [
      'labels missing',
      { ...SAMPLE_V4, alerts: [{ ...good, labels: undefined }] },
      ['alerts[0].labels: is required (an object of strings)'],
    ],
    [
      'labels array',
      { ...SAMPLE_V4, alerts: [{ ...good, labels: [] }] },
      ['alerts[0].labels: must be an object of strings'],
    ],
    [
      'label not a string',
      { ...SAMPLE_V4, alerts: [{ ...good, labels: { alertname: 'A', severity: 1 } }] },
      ['alerts[0].labels.severity: must be a string'],
    ],
    [
      'annotation not a string',
      { ...SAMPLE_V4, alerts: [{ ...good, annotations: { summary: null } }] },
      ['alerts[0].annotations.summary: must be a string'],
    ],
    [
      'startsAt missing',
      { ...SAMPLE_V4, alerts: [{ ...good, startsAt: undefined }] },
      ['alerts[0].startsAt: must be an RFC 3339 time'],
    ],
    [
      'startsAt without offset',
      { ...SAMPLE_V4, alerts: [{ ...good, startsAt: '2023-02-06T13:08:45' }] },
      ['alerts[0].startsAt: must be an RFC 3339 time'],
    ],
    [
      'fingerprint not a string',
      { ...SAMPLE_V4, alerts: [{ ...good, fingerprint: 12 }] },
      ['alerts[0].fingerprint: must be a string'],
    ],
    [
      'generatorURL not a string',
      { ...SAMPLE_V4, alerts: [{ ...good, generatorURL: {} }] },
      ['alerts[0].generatorURL: must be a string'],
    ],
    ['groupKey not a string', { ...SAMPLE_V4, groupKey: 1 }, ['groupKey: must be a string']],
    [
      'groupLabels invalid when needed',
      { ...SAMPLE_V4, groupKey: undefined, groupLabels: 'x' },
      ['groupLabels: must be an object of strings'],
    ],
    ['externalURL not a string', { ...SAMPLE_V4, externalURL: 1 }, ['externalURL: must be a string']],
    [
      'all errors at once, with paths',
      {
        ...SAMPLE_V4,
        version: '5',
        alerts: [good, good, { ...good, status: 'x', startsAt: 'yesterday', labels: { a: 1 } }],
      },
      [
        'version: unsupported webhook version "5" (expected "4")',
        'alerts[2].status: must be "firing" or "resolved"',
        'alerts[2].labels.a: must be a string',
        'alerts[2].startsAt: must be an RFC 3339 time',
      ],
    ],
  ];
  for (const [name, body, expected] of errorCases)
    it(`rejects: ${name}`, () => assert.deepEqual(errorsOf(fromAlertmanager(body)), expected));

  it('caps the error list', () => {
    const errors = errorsOf(fromAlertmanager({ ...SAMPLE_V4, alerts: Array.from({ length: 300 }, () => 1) }));
    assert.equal(errors.length, MAX_ERRORS + 1);
    assert.equal(errors.at(-1), '… and 200 more errors');
    assert.deepEqual(capErrors(['a']), ['a']);
  });

  it('never throws on 500 random mutations of the sample', () => {
    const { ok, rejected } = fuzzAdapter(RESOLVED_AND_FIRING, fromAlertmanager);
    assert.ok(ok > 0 && rejected > 0, `ok=${ok} rejected=${rejected}`);
  });
});

describe('timestamps', () => {
  const rfc3339: Array<[string, string | null]> = [
    ['2023-02-06T13:08:45.828Z', '2023-02-06T13:08:45.828Z'],
    ['2023-02-06t13:08:45z', '2023-02-06T13:08:45.000Z'],
    ['2021-10-12T09:51:03.157076+02:00', '2021-10-12T07:51:03.157Z'],
    ['2023-02-06T13:08:45.123456789-05:30', '2023-02-06T18:38:45.123Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ['2016-12-31T23:59:60Z', '2016-12-31T23:59:59.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['2023-02-29T00:00:00Z', null],
    ['2023-13-01T00:00:00Z', null],
    ['2023-01-01T24:00:00Z', null],
    ['2023-01-01T00:00:00+24:00', null],
    ['2023-01-01T00:00:00', null],
    ['2023-01-01 00:00:00Z', null],
    ['2015-07-17T08:42:58.315+0000', null],
    ['', null],
  ];
  for (const [input, expected] of rfc3339)
    it(`parseRfc3339(${JSON.stringify(input)}) = ${String(expected)}`, () =>
      assert.equal(parseRfc3339(input), expected));

  const iso: Array<[unknown, string | null]> = [
    ['2015-07-17T08:42:58.315+0000', '2015-07-17T08:42:58.315Z'],
    ['2015-06-03T17:43:27.123+0000', '2015-06-03T17:43:27.123Z'],
    ['2015-07-17T08:42:58+02', '2015-07-17T06:42:58.000Z'],
    ['2015-07-17 08:42:58,5Z', '2015-07-17T08:42:58.500Z'],
    ['2015-07-17T08:42', '2015-07-17T08:42:00.000Z'],
    ['2015-07-17', '2015-07-17T00:00:00.000Z'],
    ['17/07/2015', null],
    ['2015-07-17T08:42:58.315+0000'.repeat(3), null],
    [1437122578, null],
    [null, null],
  ];
  for (const [input, expected] of iso)
    it(`parseIso8601(${JSON.stringify(input)}) = ${String(expected)}`, () =>
      assert.equal(parseIso8601(input), expected));

  it('isWebUrl accepts http(s) only', () => {
    assert.equal(isWebUrl('https://example.org/x'), true);
    assert.equal(isWebUrl('http://localhost:9093'), true);
    assert.equal(isWebUrl('javascript:alert(1)'), false);
    assert.equal(isWebUrl('data:text/html,x'), false);
    assert.equal(isWebUrl('/relative'), false);
  });
});
