export * from './types.js';
export * from './lint-certificate.js';
export * from './registry.js';
export * from './structure-lints.js';
export * from './validity-lints.js';
export * from './name-lints.js';
export * from './key-lints.js';
export * from './extension-lints.js';
