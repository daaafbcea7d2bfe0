import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { fromGrafana } from './grafana.adapter.js';
import type { AdapterResult, NormalisedAlert } from './normalised-alert.js';
import { fuzzAdapter } from './spec-fuzz.js';

// Source: Grafana docs, "Configure the webhook notifier for Alerting", example JSON body
// (https://grafana.com/docs/grafana/latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/);
// `message` shortened.
const DOCS_EXAMPLE = {
  receiver: 'My Super Webhook',
  status: 'firing',
  orgId: 1,
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'High memory usage', team: 'blue', zone: 'us-1' },
      annotations: {
        description: 'The system has high memory usage',
        runbook_url: 'https://myrunbook.com/runbook/1234',
        summary: 'This alert was triggered for zone us-1',
      },
      startsAt: '2021-10-12T09:51:03.157076+02:00',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'https://play.grafana.org/alerting/1afz29v7z/edit',
      fingerprint: 'c6eadffa33fcdf37',
      silenceURL:
        'https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2%2Cteam%3Dblue%2Czone%3Dus-1',
      dashboardURL: '',
      panelURL: '',
      values: { B: 44.23943737541908, C: 1 },
    },
    {
      status: 'firing',
      labels: { alertname: 'High CPU usage', team: 'blue', zone: 'eu-1' },
      annotations: {
        description: 'The system has high CPU usage',
        runbook_url: 'https://myrunbook.com/runbook/1234',
        summary: 'This alert was triggered for zone eu-1',
      },
      startsAt: '2021-10-12T09:56:03.157076+02:00',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'https://play.grafana.org/alerting/d1rdpdv7k/edit',
      fingerprint: 'bc97ff14869b13e3',
      silenceURL:
        'https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT1%2Cteam%3Dblue%2Czone%3Deu-1',
      dashboardURL: '',
      panelURL: '',
      values: { B: 44.23943737541908, C: 1 },
    },
  ],
  groupLabels: {},
  commonLabels: { team: 'blue' },
  commonAnnotations: {},
  externalURL: 'https://play.grafana.org/',
  version: '1',
  groupKey: '{}:{}',
  truncatedAlerts: 0,
  title: '[FIRING:2]  (blue)',
  state: 'alerting',
  message: '**Firing**\n\nLabels:\n - alertname = T2\n …',
};

// Source: grafana/alerting receivers/webhook/v1/webhook_test.go, TestNotify "Default config with one
// alert with custom message" (expected webhookMessage); Go's zero startsAt as marshalled, severity label added.
const WITH_DASHBOARD = {
  receiver: 'my_receiver',
  status: 'firing',
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'alert1', lbl1: 'val1', severity: 'P1' },
      annotations: { ann1: 'annv1' },
      startsAt: '0001-01-01T00:00:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://localhost/test?orgId=1',
      fingerprint: 'fac0861a85de433a',
      silenceURL:
        'http://localhost/alerting/silence/new?alertmanager=grafana&matcher=alertname%3Dalert1&matcher=lbl1%3Dval1&orgId=1',
      dashboardURL: 'http://localhost/d/abcd?orgId=1',
      panelURL: 'http://localhost/d/abcd?orgId=1&viewPanel=efgh',
      orgId: 1,
    },
  ],
  groupLabels: { alertname: '' },
  commonLabels: { alertname: 'alert1', lbl1: 'val1' },
  commonAnnotations: { ann1: 'annv1' },
  externalURL: 'http://localhost',
  version: '1',
  groupKey: 'alertname',
  truncatedAlerts: 0,
  orgId: 1,
  title: '[FIRING:1]  (val1)',
  state: 'alerting',
  message: 'Custom message',
};

const alertsOf = (result: AdapterResult): NormalisedAlert[] => {
  assert.ok(result.ok, result.ok ? '' : result.errors.join('; '));
  return result.alerts;
};

describe('fromGrafana', () => {
  it('maps the Grafana docs example', () => {
    const [first, second] = alertsOf(fromGrafana(DOCS_EXAMPLE));
    assert.deepEqual(first, {
      source: 'grafana',
      action: 'trigger',
      dedupKey: 'c6eadffa33fcdf37:2021-10-12T07:51:03.157Z',
      groupKey: '{}:{}',
      fact: 'c6eadffa33fcdf37|2021-10-12T07:51:03.157Z|firing',
      severity: 'SEV3',
      summary: 'This alert was triggered for zone us-1',
      labels: { alertname: 'High memory usage', team: 'blue', zone: 'us-1' },
      annotations: {
        description: 'The system has high memory usage',
        runbook_url: 'https://myrunbook.com/runbook/1234',
        summary: 'This alert was triggered for zone us-1',
      },
      // Empty dashboardURL/panelURL give no links.
      links: [
        { href: 'https://play.grafana.org/alerting/1afz29v7z/edit', text: 'Source' },
        {
          href: 'https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2%2Cteam%3Dblue%2Czone%3Dus-1',
          text: 'Silence',
        },
        { href: 'https://play.grafana.org/', text: 'Grafana' },
      ],
      startsAt: '2021-10-12T07:51:03.157Z',
      details: { values: { B: 44.23943737541908, C: 1 } },
    });
    assert.equal(second?.dedupKey, 'bc97ff14869b13e3:2021-10-12T07:56:03.157Z');
  });

  it('links source, dashboard, panel, silence and Grafana, in that order', () => {
    const [alert] = alertsOf(fromGrafana(WITH_DASHBOARD));
    assert.deepEqual(alert?.links, [
      { href: 'http://localhost/test?orgId=1', text: 'Source' },
      { href: 'http://localhost/d/abcd?orgId=1', text: 'Dashboard' },
      { href: 'http://localhost/d/abcd?orgId=1&viewPanel=efgh', text: 'Panel' },
      {
        href: 'http://localhost/alerting/silence/new?alertmanager=grafana&matcher=alertname%3Dalert1&matcher=lbl1%3Dval1&orgId=1',
        text: 'Silence',
      },
      { href: 'http://localhost', text: 'Grafana' },
    ]);
    assert.equal(alert?.severity, 'SEV1');
    assert.equal(alert?.summary, 'alert1');
    assert.equal(alert?.startsAt, '0001-01-01T00:00:00.000Z');
    assert.equal(alert?.details, undefined);
  });

  it('keeps the deprecated valueString in details', () => {
    const body = {
      ...DOCS_EXAMPLE,
      alerts: [{ ...WITH_DASHBOARD.alerts[0], valueString: "[ metric='' labels={} value=14151.33 ]" }],
    };
    assert.deepEqual(alertsOf(fromGrafana(body))[0]?.details, {
      valueString: "[ metric='' labels={} value=14151.33 ]",
    });
  });

  it('maps a resolved alert (state ok) to resolve', () => {
    const body = {
      ...WITH_DASHBOARD,
      status: 'resolved',
      state: 'ok',
      alerts: [{ ...WITH_DASHBOARD.alerts[0], status: 'resolved', startsAt: '2024-05-01T10:00:00Z' }],
    };
    const [alert] = alertsOf(fromGrafana(body));
    assert.equal(alert?.action, 'resolve');
    assert.equal(alert?.fact, 'fac0861a85de433a|2024-05-01T10:00:00.000Z|resolved');
  });

  const errorCases: Array<[string, unknown, string[]]> = [
    ['not an object', 'alert', ['body: must be a JSON object']],
    [
      'Alertmanager version 4',
      { ...DOCS_EXAMPLE, version: '4' },
      ['version: unsupported webhook version "4" (expected "1")'],
    ],
    [
      'dashboardURL not a string',
      { ...WITH_DASHBOARD, alerts: [{ ...WITH_DASHBOARD.alerts[0], dashboardURL: 5 }] },
      ['alerts[0].dashboardURL: must be a string'],
    ],
    [
      'silenceURL and panelURL not strings',
      { ...WITH_DASHBOARD, alerts: [{ ...WITH_DASHBOARD.alerts[0], silenceURL: [], panelURL: {} }] },
      ['alerts[0].panelURL: must be a string', 'alerts[0].silenceURL: must be a string'],
    ],
    [
      'bad startsAt',
      { ...WITH_DASHBOARD, alerts: [{ ...WITH_DASHBOARD.alerts[0], startsAt: 'now' }] },
      ['alerts[0].startsAt: must be an RFC 3339 time'],
    ],
  ];
  for (const [name, body, expected] of errorCases)
    it(`rejects: ${name}`, () => assert.deepEqual(fromGrafana(body), { ok: false, errors: expected }));

  it('never throws on 500 random mutations of the TestNotify payload', () => {
    const { ok, rejected } = fuzzAdapter(WITH_DASHBOARD, fromGrafana, 500, 7);
    assert.ok(ok > 0 && rejected > 0, `ok=${ok} rejected=${rejected}`);
  });
});
