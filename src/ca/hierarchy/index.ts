/** CA material: the development hierarchy, the configured (production) hierarchy, and test citizen identities. */
export * from './ca-material.js';
export * from './configured-hierarchy.js';
export * from './dev-hierarchy.js';
export * from './citizen-identity.js';
export * from './issue-ca-certificate.js';
export * from './load-ca-material.js';
