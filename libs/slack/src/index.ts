export * from './domain/index.js';
export * from './ports/ports.js';
export * from './slack-runtime.js';
export * from './slack.module.js';
export * from './http/form-body.js';
export * from './outbox/slack-dispatcher.js';
export * from './outbox/slack-outbox.projection.js';
export * from './ports/escalation-binding.js';
