/** Certificate building blocks: DER, names, algorithms, extensions, TBS encoding, assembly and PKCS#10 parsing. */
export * from './der.js';
export * from './name.js';
export * from './algorithms.js';
export * from './public-key.js';
export * from './extensions.js';
export * from './tbs-certificate.js';
export * from './certificate.js';
export * from './csr.js';
