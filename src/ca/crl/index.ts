export * from './crl-builder.js';
