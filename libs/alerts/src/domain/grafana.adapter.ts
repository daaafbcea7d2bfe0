import {
  type AlertmanagerShapedOptions,
  fromAlertmanagerShaped,
  isRecord,
  type JsonObject,
} from './alertmanager.adapter.js';
import type { AdapterResult } from './normalised-alert.js';

const grafanaDetails = (alert: JsonObject): Record<string, unknown> | undefined => {
  const details: Record<string, unknown> = {};
  if (isRecord(alert['values'])) details['values'] = alert['values'];
  if (typeof alert['valueString'] === 'string' && alert['valueString'] !== '')
    details['valueString'] = alert['valueString'];
  return details;
};

/**
 * Grafana unified alerting's webhook, version "1": Alertmanager's shape plus
 * `orgId`, `title`, `state`, `message` (ignored: they summarise the group) and,
 * per alert, `silenceURL`, `dashboardURL`, `panelURL` (links when non-empty)
 * and `values` (kept in details).
 */
export const GRAFANA_OPTIONS: AlertmanagerShapedOptions = {
  source: 'grafana',
  versions: ['1'],
  fallbackSummary: 'Grafana alert',
  alertLinks: [
    { field: 'generatorURL', text: 'Source' },
    { field: 'dashboardURL', text: 'Dashboard' },
    { field: 'panelURL', text: 'Panel' },
    { field: 'silenceURL', text: 'Silence' },
  ],
  externalUrlText: 'Grafana',
  alertDetails: grafanaDetails,
};

/** Maps a Grafana webhook body to one alert per element of `alerts` (mapping as for Alertmanager). */
export const fromGrafana = (body: unknown): AdapterResult => fromAlertmanagerShaped(body, GRAFANA_OPTIONS);
