export * from './normalised-alert.js';
export * from './severity-map.js';
export * from './alertmanager.adapter.js';
export * from './grafana.adapter.js';
export * from './pagerduty.adapter.js';
export * from './generic.adapter.js';
export * from './cloudwatch.adapter.js';
export * from './alert-group.js';
