import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  CLOUDWATCH_ALARM_SEVERITY,
  CLOUDWATCH_INSUFFICIENT_DATA_SEVERITY,
  DEFAULT_SEVERITY,
  isPagerDutySeverity,
  parseGenericSeverity,
  severityFromLabel,
  severityFromPagerDuty,
} from './severity-map.js';

describe('severityFromPagerDuty', () => {
  const table = [
    ['critical', 'SEV1'],
    ['error', 'SEV2'],
    ['warning', 'SEV3'],
    ['info', 'SEV4'],
  ] as const;
  for (const [value, expected] of table)
    it(`${value} → ${expected}`, () => assert.equal(severityFromPagerDuty(value), expected));

  it('recognises only the four PagerDuty names, case-sensitively', () => {
    for (const value of ['critical', 'error', 'warning', 'info'])
      assert.equal(isPagerDutySeverity(value), true);
    for (const value of ['Critical', 'high', '', 'constructor', 1, null, undefined])
      assert.equal(isPagerDutySeverity(value), false);
  });
});

describe('severityFromLabel (Alertmanager/Grafana `severity` label)', () => {
  const table: Array<[string | undefined, string]> = [
    ['critical', 'SEV1'],
    ['CRITICAL', 'SEV1'],
    ['page', 'SEV1'],
    ['P1', 'SEV1'],
    ['error', 'SEV2'],
    ['high', 'SEV2'],
    ['Major', 'SEV2'],
    ['p2', 'SEV2'],
    ['warning', 'SEV3'],
    ['warn', 'SEV3'],
    ['medium', 'SEV3'],
    ['minor', 'SEV3'],
    ['p3', 'SEV3'],
    ['info', 'SEV4'],
    ['low', 'SEV4'],
    ['p4', 'SEV4'],
    ['p5', 'SEV4'],
    ['none', 'SEV4'],
    [' Warning ', 'SEV3'],
    [undefined, 'SEV3'],
    ['', 'SEV3'],
    ['disaster', 'SEV3'],
    ['constructor', 'SEV3'],
    ['__proto__', 'SEV3'],
  ];
  for (const [value, expected] of table)
    it(`${JSON.stringify(value) ?? 'absent'} → ${expected}`, () =>
      assert.equal(severityFromLabel(value), expected));
});

describe('parseGenericSeverity', () => {
  const table: Array<[string, string | null]> = [
    ['SEV1', 'SEV1'],
    ['sev2', 'SEV2'],
    ['SEV3', 'SEV3'],
    ['SEV4', 'SEV4'],
    ['critical', 'SEV1'],
    ['ERROR', 'SEV2'],
    ['warning', 'SEV3'],
    ['info', 'SEV4'],
    ['SEV5', null],
    ['page', null],
    ['', null],
    ['toString', null],
  ];
  for (const [value, expected] of table)
    it(`${JSON.stringify(value)} → ${String(expected)}`, () =>
      assert.equal(parseGenericSeverity(value), expected));
});

describe('fixed severities', () => {
  it('defaults to SEV3; CloudWatch ALARM is SEV2 and INSUFFICIENT_DATA SEV4', () => {
    assert.equal(DEFAULT_SEVERITY, 'SEV3');
    assert.equal(CLOUDWATCH_ALARM_SEVERITY, 'SEV2');
    assert.equal(CLOUDWATCH_INSUFFICIENT_DATA_SEVERITY, 'SEV4');
  });
});
