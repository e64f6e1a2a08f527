export * from './types.js';
export * from './builtin.js';
export * from './load-profiles.js';
export * from './subject-rule.js';
export * from './validity.js';
export * from './key-policy.js';
