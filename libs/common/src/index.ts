export * from './clock.js';
export * from './config.js';
export * from './problem.js';
export * from './auth/api-keys.js';
export * from './auth/api-key.guard.js';
export * from './http/problem.filter.js';
export * from './http/validation.js';
export * from './tokens.js';
