import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { AdapterResult, NormalisedAlert } from './normalised-alert.js';
import { fromPagerDutyChangeEvent, fromPagerDutyEvent, parseChangeEvent } from './pagerduty.adapter.js';
import { fuzzAdapter } from './spec-fuzz.js';

const NOW = '2026-08-01T12:00:00.000Z';
const KEY = 'e93facc04764012d7bfb002500d5d1a6';

/** A key generator that counts, so generated keys are predictable. */
const counter = (): (() => string) => {
  let n = 0;
  return () => `gen-${++n}`;
};

// Source: /work/shared/reference/wire-formats-and-reliability.md §2 (PagerDuty/developer-docs
// docs/events-API-v2 example trigger).
const REFERENCE_TRIGGER = {
  routing_key: KEY,
  event_action: 'trigger',
  dedup_key: 'srv01/mysql',
  payload: {
    summary: 'DISK at 99% on machine prod-datapipe03.example.com',
    source: 'prod-datapipe03.example.com',
    severity: 'critical',
    timestamp: '2015-07-17T08:42:58.315+0000',
    component: 'mysql',
    group: 'prod-datapipe',
    class: 'disk',
    custom_details: { 'free space': '1%' },
  },
  links: [{ href: 'http://pagerduty.example.com', text: 'An example link.' }],
};

// Source: PagerDuty/developer-docs docs/events-API-v2/02-Trigger-Events.md, "Trigger" tab
// (routing_key "samplekeyhere" replaced by a 32-character key, dedup_key dropped as the comment there describes).
const DOCS_TRIGGER_NO_DEDUP = {
  payload: {
    summary: 'Example alert on host1.example.com',
    timestamp: '2015-07-17T08:42:58.315+0000',
    source: 'monitoringtool:cloudvendor:central-region-dc-01:852559987:cluster/api-stats-prod-003',
    severity: 'info',
    component: 'postgres',
    group: 'prod-datapipe',
    class: 'deploy',
    custom_details: { 'ping time': '1500ms', 'load avg': 0.75 },
  },
  routing_key: KEY,
  images: [
    {
      src: 'https://www.pagerduty.com/wp-content/uploads/2016/05/pagerduty-logo-green.png',
      href: 'https://example.com/',
      alt: 'Example text',
    },
  ],
  links: [{ href: 'https://example.com/', text: 'Link text' }],
  event_action: 'trigger',
  client: 'Sample Monitoring Service',
  client_url: 'https://monitoring.example.com',
};

// Source: same page, "Acknowledge" and "Resolve" tabs (routing_key replaced).
const DOCS_ACK = { routing_key: KEY, dedup_key: 'dedupkeyhere', event_action: 'acknowledge' };
const DOCS_RESOLVE = { routing_key: KEY, dedup_key: 'dedupkeyhere', event_action: 'resolve' };

// Source: PagerDuty/developer-docs docs/events-API-v2/03-Change-Events.md example (routing_key replaced).
const DOCS_CHANGE = {
  routing_key: KEY,
  payload: {
    summary: 'Build Success: Increase snapshot create timeout to 30 seconds',
    timestamp: '2020-07-17T08:42:58.315+0000',
    source: 'acme-build-pipeline-tool-default-i-9999',
    custom_details: { build_state: 'passed', build_number: '2', run_time: '1236s' },
  },
  links: [{ href: 'https://acme.pagerduty.dev/build/2', text: 'View more details in Acme!' }],
};

const run = (body: unknown): AdapterResult => fromPagerDutyEvent(body, NOW, counter());

const onlyAlert = (result: AdapterResult): NormalisedAlert => {
  assert.ok(result.ok, result.ok ? '' : result.errors.join('; '));
  assert.equal(result.alerts.length, 1);
  return result.alerts[0] as NormalisedAlert;
};

describe('fromPagerDutyEvent', () => {
  it('maps the reference trigger', () => {
    const result = run(REFERENCE_TRIGGER);
    assert.deepEqual(result, {
      ok: true,
      dedupKey: 'srv01/mysql',
      alerts: [
        {
          source: 'pagerduty',
          action: 'trigger',
          dedupKey: 'srv01/mysql',
          groupKey: 'srv01/mysql',
          fact: `trigger:${NOW}:gen-1`,
          severity: 'SEV1',
          summary: 'DISK at 99% on machine prod-datapipe03.example.com',
          labels: {
            source: 'prod-datapipe03.example.com',
            component: 'mysql',
            group: 'prod-datapipe',
            class: 'disk',
          },
          annotations: {},
          links: [{ href: 'http://pagerduty.example.com', text: 'An example link.' }],
          startsAt: '2015-07-17T08:42:58.315Z',
          details: { 'free space': '1%' },
        },
      ],
    });
  });

  it('generates the dedup_key of a trigger without one and returns it', () => {
    const result = run(DOCS_TRIGGER_NO_DEDUP);
    const alert = onlyAlert(result);
    assert.equal(result.ok && result.dedupKey, 'gen-1');
    assert.equal(alert.dedupKey, 'gen-1');
    assert.equal(alert.groupKey, 'gen-1');
    assert.equal(alert.fact, `trigger:${NOW}:gen-2`);
    assert.equal(alert.severity, 'SEV4');
    assert.deepEqual(alert.details, {
      'ping time': '1500ms',
      'load avg': 0.75,
      client: 'Sample Monitoring Service',
      client_url: 'https://monitoring.example.com',
      images: [
        {
          src: 'https://www.pagerduty.com/wp-content/uploads/2016/05/pagerduty-logo-green.png',
          href: 'https://example.com/',
          alt: 'Example text',
        },
      ],
    });
    // A blank dedup_key on a trigger counts as absent.
    assert.equal(onlyAlert(run({ ...DOCS_TRIGGER_NO_DEDUP, dedup_key: '' })).dedupKey, 'gen-1');
  });

  it('gives every trigger a new fact, even for the same dedup_key (each is a repeat)', () => {
    const generate = counter();
    const a = onlyAlert(fromPagerDutyEvent(REFERENCE_TRIGGER, NOW, generate));
    const b = onlyAlert(fromPagerDutyEvent(REFERENCE_TRIGGER, NOW, generate));
    assert.equal(a.dedupKey, b.dedupKey);
    assert.notEqual(a.fact, b.fact);
  });

  const ackResolve: Array<[string, unknown, 'acknowledge' | 'resolve']> = [
    ['docs acknowledge', DOCS_ACK, 'acknowledge'],
    ['docs resolve', DOCS_RESOLVE, 'resolve'],
  ];
  for (const [name, body, action] of ackResolve)
    it(`maps the ${name} without a payload`, () => {
      assert.deepEqual(run(body), {
        ok: true,
        dedupKey: 'dedupkeyhere',
        alerts: [
          {
            source: 'pagerduty',
            action,
            dedupKey: 'dedupkeyhere',
            groupKey: 'dedupkeyhere',
            fact: action,
            severity: 'SEV3',
            summary: '',
            labels: {},
            annotations: {},
            links: [],
            startsAt: NOW,
          },
        ],
      });
    });

  it('takes summary and severity from an optional payload on resolve', () => {
    const alert = onlyAlert(run({ ...DOCS_RESOLVE, payload: { summary: 'fixed', severity: 'warning' } }));
    assert.equal(alert.summary, 'fixed');
    assert.equal(alert.severity, 'SEV3');
  });

  const severities = [
    ['critical', 'SEV1'],
    ['error', 'SEV2'],
    ['warning', 'SEV3'],
    ['info', 'SEV4'],
  ] as const;
  for (const [severity, expected] of severities)
    it(`maps payload.severity ${severity} to ${expected}`, () => {
      const body = { ...REFERENCE_TRIGGER, payload: { ...REFERENCE_TRIGGER.payload, severity } };
      assert.equal(onlyAlert(run(body)).severity, expected);
    });

  it('uses now when there is no timestamp, and strings component/group/class', () => {
    const payload: Record<string, unknown> = { ...REFERENCE_TRIGGER.payload };
    delete payload['timestamp'];
    const alert = onlyAlert(run({ ...REFERENCE_TRIGGER, payload: { ...payload, class: 42, group: true } }));
    assert.equal(alert.startsAt, NOW);
    assert.deepEqual(alert.labels, {
      source: 'prod-datapipe03.example.com',
      component: 'mysql',
      group: 'true',
      class: '42',
    });
  });

  it('keeps non-object custom_details whole and drops non-http(s) links', () => {
    const alert = onlyAlert(
      run({
        ...REFERENCE_TRIGGER,
        payload: { ...REFERENCE_TRIGGER.payload, custom_details: 'free text' },
        links: [{ href: 'javascript:alert(1)' }, { href: 'https://ok.example' }],
      }),
    );
    assert.deepEqual(alert.details, { custom_details: 'free text' });
    assert.deepEqual(alert.links, [{ href: 'https://ok.example' }]);
  });

  const p = REFERENCE_TRIGGER.payload;
  const errorCases: Array<[string, unknown, string[]]> = [
    ['body not an object', 'trigger', ['Event object is invalid']],
    ['body null', null, ['Event object is invalid']],
    ['body an array', [REFERENCE_TRIGGER], ['Event object is invalid']],
    ['empty object', {}, ["'routing_key' is missing or blank", "'event_action' is missing or blank"]],
    [
      'routing_key missing',
      { ...REFERENCE_TRIGGER, routing_key: undefined },
      ["'routing_key' is missing or blank"],
    ],
    ['routing_key blank', { ...REFERENCE_TRIGGER, routing_key: '  ' }, ["'routing_key' is missing or blank"]],
    [
      'routing_key not a string',
      { ...REFERENCE_TRIGGER, routing_key: 1234 },
      ["'routing_key' is invalid (must be a string)"],
    ],
    [
      'routing_key wrong length',
      { ...REFERENCE_TRIGGER, routing_key: 'samplekeyhere' },
      ["Length of 'routing_key' is incorrect (should be 32 characters)"],
    ],
    [
      'event_action invalid',
      { ...REFERENCE_TRIGGER, event_action: 'Trigger' },
      ["'event_action' is invalid (must be one of trigger, acknowledge, resolve)"],
    ],
    [
      'event_action missing',
      { ...REFERENCE_TRIGGER, event_action: undefined },
      ["'event_action' is missing or blank"],
    ],
    [
      'acknowledge without dedup_key',
      { ...DOCS_ACK, dedup_key: undefined },
      ["'dedup_key' is missing or blank"],
    ],
    ['resolve with blank dedup_key', { ...DOCS_RESOLVE, dedup_key: '' }, ["'dedup_key' is missing or blank"]],
    [
      'dedup_key too long',
      { ...REFERENCE_TRIGGER, dedup_key: 'k'.repeat(256) },
      ["'dedup_key' is too long (max 255)"],
    ],
    [
      'dedup_key not a string',
      { ...REFERENCE_TRIGGER, dedup_key: 7 },
      ["'dedup_key' is invalid (must be a string)"],
    ],
    [
      'trigger without payload',
      { ...REFERENCE_TRIGGER, payload: undefined },
      [
        "'payload.summary' is missing or blank",
        "'payload.source' is missing or blank",
        "'payload.severity' is missing or blank",
      ],
    ],
    [
      'payload not an object',
      { ...REFERENCE_TRIGGER, payload: 'x' },
      ["'payload' is invalid (must be an object)"],
    ],
    [
      'summary missing',
      { ...REFERENCE_TRIGGER, payload: { ...p, summary: undefined } },
      ["'payload.summary' is missing or blank"],
    ],
    [
      'summary too long',
      { ...REFERENCE_TRIGGER, payload: { ...p, summary: 's'.repeat(1025) } },
      ["'payload.summary' is too long (max 1024)"],
    ],
    [
      'summary not a string',
      { ...REFERENCE_TRIGGER, payload: { ...p, summary: ['s'] } },
      ["'payload.summary' is invalid (must be a string)"],
    ],
    [
      'source missing',
      { ...REFERENCE_TRIGGER, payload: { ...p, source: '' } },
      ["'payload.source' is missing or blank"],
    ],
    [
      'severity invalid',
      { ...REFERENCE_TRIGGER, payload: { ...p, severity: 'high' } },
      ["'payload.severity' is invalid (must be one of critical, error, warning, info)"],
    ],
    [
      'severity invalid on resolve too',
      { ...DOCS_RESOLVE, payload: { severity: 'CRITICAL' } },
      ["'payload.severity' is invalid (must be one of critical, error, warning, info)"],
    ],
    [
      'timestamp not ISO 8601',
      { ...REFERENCE_TRIGGER, payload: { ...p, timestamp: '07/17/2015 08:42' } },
      ["'payload.timestamp' is invalid (must be an ISO 8601 timestamp)"],
    ],
    [
      'timestamp a number',
      { ...REFERENCE_TRIGGER, payload: { ...p, timestamp: 1437122578 } },
      ["'payload.timestamp' is invalid (must be an ISO 8601 timestamp)"],
    ],
    [
      'component an object',
      { ...REFERENCE_TRIGGER, payload: { ...p, component: {} } },
      ["'payload.component' is invalid (must be a string)"],
    ],
    ['links not an array', { ...REFERENCE_TRIGGER, links: {} }, ["'links' is invalid (must be an array)"]],
    [
      'link not an object',
      { ...REFERENCE_TRIGGER, links: ['http://x'] },
      ["'links[0]' is invalid (must be an object)"],
    ],
    [
      'link without href',
      { ...REFERENCE_TRIGGER, links: [{ text: 'x' }] },
      ["'links[0].href' is missing or blank"],
    ],
    [
      'link href not a string',
      { ...REFERENCE_TRIGGER, links: [{ href: 1 }] },
      ["'links[0].href' is invalid (must be a string)"],
    ],
    [
      'link text not a string',
      { ...REFERENCE_TRIGGER, links: [{ href: 'https://x.example', text: 1 }] },
      ["'links[0].text' is invalid (must be a string)"],
    ],
    [
      'images not an array',
      { ...REFERENCE_TRIGGER, images: 'x' },
      ["'images' is invalid (must be an array)"],
    ],
    [
      'image not an object',
      { ...REFERENCE_TRIGGER, images: [null] },
      ["'images[0]' is invalid (must be an object)"],
    ],
    [
      'image without src',
      { ...REFERENCE_TRIGGER, images: [{ href: 'https://x' }] },
      ["'images[0].src' is missing or blank"],
    ],
    ['client not a string', { ...REFERENCE_TRIGGER, client: {} }, ["'client' is invalid (must be a string)"]],
    [
      'client_url not a string',
      { ...REFERENCE_TRIGGER, client_url: 1 },
      ["'client_url' is invalid (must be a string)"],
    ],
    [
      'every error at once',
      {
        routing_key: 'short',
        event_action: 'trigger',
        dedup_key: 'd'.repeat(300),
        payload: { summary: '', severity: 'sev1', timestamp: 'soon' },
        links: [{}],
        images: [{}],
      },
      [
        "Length of 'routing_key' is incorrect (should be 32 characters)",
        "'dedup_key' is too long (max 255)",
        "'payload.summary' is missing or blank",
        "'payload.source' is missing or blank",
        "'payload.severity' is invalid (must be one of critical, error, warning, info)",
        "'payload.timestamp' is invalid (must be an ISO 8601 timestamp)",
        "'links[0].href' is missing or blank",
        "'images[0].src' is missing or blank",
      ],
    ],
  ];
  for (const [name, body, expected] of errorCases)
    it(`rejects: ${name}`, () => assert.deepEqual(run(body), { ok: false, errors: expected }));

  it('does not call generateKey for invalid events', () => {
    let calls = 0;
    fromPagerDutyEvent({ ...REFERENCE_TRIGGER, routing_key: 'x' }, NOW, () => `k${++calls}`);
    assert.equal(calls, 0);
  });

  it('never throws on 500 random mutations of the docs trigger', () => {
    const { ok, rejected } = fuzzAdapter(DOCS_TRIGGER_NO_DEDUP, run, 500, 11);
    assert.ok(ok > 0 && rejected > 0, `ok=${ok} rejected=${rejected}`);
  });
});

describe('PagerDuty change events', () => {
  it('parses the docs change event', () => {
    assert.deepEqual(parseChangeEvent(DOCS_CHANGE, NOW), {
      ok: true,
      change: {
        summary: 'Build Success: Increase snapshot create timeout to 30 seconds',
        source: 'acme-build-pipeline-tool-default-i-9999',
        timestamp: '2020-07-17T08:42:58.315Z',
        details: { build_state: 'passed', build_number: '2', run_time: '1236s' },
        links: [{ href: 'https://acme.pagerduty.dev/build/2', text: 'View more details in Acme!' }],
      },
    });
    assert.deepEqual(fromPagerDutyChangeEvent(DOCS_CHANGE, NOW), { ok: true, alerts: [] });
  });

  it('defaults source to null and timestamp to now', () => {
    const result = parseChangeEvent({ routing_key: KEY, payload: { summary: 'deploy' } }, NOW);
    assert.deepEqual(result, {
      ok: true,
      change: { summary: 'deploy', source: null, timestamp: NOW, details: {}, links: [] },
    });
  });

  const errorCases: Array<[string, unknown, string[]]> = [
    ['not an object', 42, ['Event object is invalid']],
    ['empty', {}, ["'routing_key' is missing or blank", "'payload.summary' is missing or blank"]],
    [
      'short key',
      { ...DOCS_CHANGE, routing_key: 'samplekeyhere' },
      ["Length of 'routing_key' is incorrect (should be 32 characters)"],
    ],
    [
      'payload not an object',
      { ...DOCS_CHANGE, payload: [] },
      ["'payload' is invalid (must be an object)", "'payload.summary' is missing or blank"],
    ],
    [
      'summary too long',
      { ...DOCS_CHANGE, payload: { summary: 'x'.repeat(1025) } },
      ["'payload.summary' is too long (max 1024)"],
    ],
    [
      'bad timestamp',
      { ...DOCS_CHANGE, payload: { ...DOCS_CHANGE.payload, timestamp: 'x' } },
      ["'payload.timestamp' is invalid (must be an ISO 8601 timestamp)"],
    ],
    ['bad link', { ...DOCS_CHANGE, links: [{ text: 'x' }] }, ["'links[0].href' is missing or blank"]],
  ];
  for (const [name, body, expected] of errorCases)
    it(`rejects: ${name}`, () => {
      assert.deepEqual(parseChangeEvent(body, NOW), { ok: false, errors: expected });
      assert.deepEqual(fromPagerDutyChangeEvent(body, NOW), { ok: false, errors: expected });
    });

  it('never throws on 500 random mutations of the docs change event', () => {
    const { ok, rejected } = fuzzAdapter(DOCS_CHANGE, (body) => fromPagerDutyChangeEvent(body, NOW), 500, 12);
    assert.ok(ok > 0 && rejected > 0, `ok=${ok} rejected=${rejected}`);
  });
});
