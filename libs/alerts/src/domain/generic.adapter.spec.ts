import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { fromGeneric } from './generic.adapter.js';
import type { AdapterResult, NormalisedAlert } from './normalised-alert.js';
import { fuzzAdapter } from './spec-fuzz.js';

const NOW = '2026-08-01T12:00:00.000Z';

// Source: Vigil's own generic format (GenericAlertBody in generic.adapter.ts); no vendor involved.
const FULL = {
  status: 'firing',
  dedupKey: 'checkout/latency',
  groupKey: 'checkout',
  summary: 'Checkout p99 latency above 2s',
  severity: 'critical',
  labels: { service: 'checkout', env: 'prod' },
  annotations: { runbook: 'https://runbooks.example.com/checkout-latency' },
  links: [
    { href: 'https://grafana.example.com/d/checkout', text: 'Dashboard' },
    { href: 'https://example.com/x' },
  ],
  startsAt: '2026-08-01T11:58:00+02:00',
};

const MINIMAL = { dedupKey: 'disk-full:db-1', summary: 'Disk full on db-1' };

const onlyAlert = (result: AdapterResult): NormalisedAlert => {
  assert.ok(result.ok, result.ok ? '' : result.errors.join('; '));
  assert.equal(result.alerts.length, 1);
  return result.alerts[0] as NormalisedAlert;
};

describe('fromGeneric', () => {
  it('maps a full body', () => {
    assert.deepEqual(fromGeneric(FULL, NOW), {
      ok: true,
      alerts: [
        {
          source: 'generic',
          action: 'trigger',
          dedupKey: 'checkout/latency',
          groupKey: 'checkout',
          fact: 'firing|2026-08-01T09:58:00.000Z|Checkout p99 latency above 2s',
          severity: 'SEV1',
          summary: 'Checkout p99 latency above 2s',
          labels: { service: 'checkout', env: 'prod' },
          annotations: { runbook: 'https://runbooks.example.com/checkout-latency' },
          links: [
            { href: 'https://grafana.example.com/d/checkout', text: 'Dashboard' },
            { href: 'https://example.com/x' },
          ],
          startsAt: '2026-08-01T09:58:00.000Z',
        },
      ],
    });
  });

  it('applies defaults to a minimal body', () => {
    assert.deepEqual(onlyAlert(fromGeneric(MINIMAL, NOW)), {
      source: 'generic',
      action: 'trigger',
      dedupKey: 'disk-full:db-1',
      groupKey: 'disk-full:db-1',
      fact: `firing|${NOW}|Disk full on db-1`,
      severity: 'SEV3',
      summary: 'Disk full on db-1',
      labels: {},
      annotations: {},
      links: [],
      startsAt: NOW,
    });
  });

  it('maps resolved to resolve with a different fact', () => {
    const firing = onlyAlert(fromGeneric(FULL, NOW));
    const resolved = onlyAlert(fromGeneric({ ...FULL, status: 'resolved' }, NOW));
    assert.equal(resolved.action, 'resolve');
    assert.notEqual(resolved.fact, firing.fact);
    assert.equal(onlyAlert(fromGeneric(FULL, NOW)).fact, firing.fact, 'a resend has the same fact');
  });

  const severities: Array<[string, string]> = [
    ['SEV1', 'SEV1'],
    ['SEV2', 'SEV2'],
    ['sev3', 'SEV3'],
    ['SEV4', 'SEV4'],
    ['critical', 'SEV1'],
    ['error', 'SEV2'],
    ['warning', 'SEV3'],
    ['Info', 'SEV4'],
  ];
  for (const [severity, expected] of severities)
    it(`maps severity ${severity} to ${expected}`, () =>
      assert.equal(onlyAlert(fromGeneric({ ...MINIMAL, severity }, NOW)).severity, expected));

  const errorCases: Array<[string, unknown, string[]]> = [
    ['not an object', 'alert', ['body: must be a JSON object']],
    ['array', [MINIMAL], ['body: must be a JSON object']],
    ['empty', {}, ['dedupKey: is required', 'summary: is required']],
    ['bad status', { ...MINIMAL, status: 'ok' }, ['status: must be "firing" or "resolved"']],
    ['dedupKey blank', { ...MINIMAL, dedupKey: ' ' }, ['dedupKey: is required']],
    ['dedupKey a number', { ...MINIMAL, dedupKey: 5 }, ['dedupKey: must be a string']],
    [
      'dedupKey too long',
      { ...MINIMAL, dedupKey: 'k'.repeat(256) },
      ['dedupKey: must be at most 255 characters'],
    ],
    ['groupKey blank', { ...MINIMAL, groupKey: '' }, ['groupKey: must not be blank']],
    [
      'groupKey too long',
      { ...MINIMAL, groupKey: 'g'.repeat(256) },
      ['groupKey: must be at most 255 characters'],
    ],
    ['summary a number', { ...MINIMAL, summary: 1 }, ['summary: must be a string']],
    [
      'summary too long',
      { ...MINIMAL, summary: 's'.repeat(1025) },
      ['summary: must be at most 1024 characters'],
    ],
    [
      'severity unknown',
      { ...MINIMAL, severity: 'P1' },
      ['severity: must be one of SEV1, SEV2, SEV3, SEV4, critical, error, warning, info'],
    ],
    [
      'severity a number',
      { ...MINIMAL, severity: 1 },
      ['severity: must be one of SEV1, SEV2, SEV3, SEV4, critical, error, warning, info'],
    ],
    ['labels an array', { ...MINIMAL, labels: ['a'] }, ['labels: must be an object of strings']],
    ['label a number', { ...MINIMAL, labels: { a: 1 } }, ['labels.a: must be a string']],
    ['annotation null', { ...MINIMAL, annotations: { a: null } }, ['annotations.a: must be a string']],
    ['links an object', { ...MINIMAL, links: {} }, ['links: must be an array']],
    ['link a string', { ...MINIMAL, links: ['https://x.example'] }, ['links[0]: must be an object']],
    [
      'link href javascript:',
      { ...MINIMAL, links: [{ href: 'javascript:alert(1)' }] },
      ['links[0].href: must be an http(s) URL'],
    ],
    [
      'link text a number',
      { ...MINIMAL, links: [{ href: 'https://x.example', text: 2 }] },
      ['links[0].text: must be a string'],
    ],
    ['startsAt not ISO', { ...MINIMAL, startsAt: 'yesterday' }, ['startsAt: must be an ISO 8601 time']],
    [
      'every error at once',
      { status: 1, dedupKey: '', summary: '', severity: 'x', labels: 1, links: 1, startsAt: 1 },
      [
        'status: must be "firing" or "resolved"',
        'dedupKey: is required',
        'summary: is required',
        'severity: must be one of SEV1, SEV2, SEV3, SEV4, critical, error, warning, info',
        'labels: must be an object of strings',
        'links: must be an array',
        'startsAt: must be an ISO 8601 time',
      ],
    ],
  ];
  for (const [name, body, expected] of errorCases)
    it(`rejects: ${name}`, () => assert.deepEqual(fromGeneric(body, NOW), { ok: false, errors: expected }));

  it('never throws on 500 random mutations of a full body', () => {
    const { ok, rejected } = fuzzAdapter(FULL, (body) => fromGeneric(body, NOW), 500, 13);
    assert.ok(ok > 0 && rejected > 0, `ok=${ok} rejected=${rejected}`);
  });
});
