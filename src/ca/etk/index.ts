/** ETK (eHealth Encryption Token) CMS: build, parse, verify; plus the client-side encryption certificate for tests. */
export * from './etk-builder.js';
export * from './etk-parser.js';
export * from './encryption-certificate.js';
