// The DER primitives live in src/asn1 (shared with path validation); re-exported for the CA's x509 modules.
export * from '../../asn1/der.js';
