export * from './domain/index.js';
export * from './integrations/integrations.js';
export * from './application/alert-ingestion.js';
export * from './http/receivers.controller.js';
export * from './alerts.module.js';
export * from './silences/silences.js';
export * from './read-models/alert-fatigue.projection.js';
export * from './read-models/alert-fatigue.report.js';
