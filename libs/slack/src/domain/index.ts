export * from './signature.js';
export * from './command-parser.js';
export * from './blocks.js';
export * from './outbox-plan.js';
export * from './retry.js';
export * from './delivery-key.js';
