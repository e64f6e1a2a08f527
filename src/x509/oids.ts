/** Object identifiers of X.509 that the platform reads, emits or checks. One table, so the reader, the CA builders and the lints cannot drift apart. */

export const OID = {
  // Public key algorithms and curves (RFC 3279, RFC 5480)
  rsaEncryption: '1.2.840.113549.1.1.1',
  ecPublicKey: '1.2.840.10045.2.1',
  curveP256: '1.2.840.10045.3.1.7',
  curveP384: '1.3.132.0.34',
  curveP521: '1.3.132.0.35',

  // Signature algorithms (RFC 4055, RFC 5758)
  sha1WithRSAEncryption: '1.2.840.113549.1.1.5',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  sha384WithRSAEncryption: '1.2.840.113549.1.1.12',
  sha512WithRSAEncryption: '1.2.840.113549.1.1.13',
  rsassaPss: '1.2.840.113549.1.1.10',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ecdsaWithSHA384: '1.2.840.10045.4.3.3',
  ecdsaWithSHA512: '1.2.840.10045.4.3.4',

  // Certificate extensions (RFC 5280 §4.2)
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  cRLDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',

  // Access methods and policy qualifiers
  adCaIssuers: '1.3.6.1.5.5.7.48.2',
  adOcsp: '1.3.6.1.5.5.7.48.1',
  /** RFC 6960 §4.2.2.2.1: the responder certificate is not checked for revocation. */
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
  ocspNonce: '1.3.6.1.5.5.7.48.1.2',
  ocspBasic: '1.3.6.1.5.5.7.48.1.1',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  qtCps: '1.3.6.1.5.5.7.2.1',

  // Extended key usages (RFC 5280 §4.2.1.12)
  kpServerAuth: '1.3.6.1.5.5.7.3.1',
  kpClientAuth: '1.3.6.1.5.5.7.3.2',
  kpCodeSigning: '1.3.6.1.5.5.7.3.3',
  kpEmailProtection: '1.3.6.1.5.5.7.3.4',
  kpTimeStamping: '1.3.6.1.5.5.7.3.8',
  kpOcspSigning: '1.3.6.1.5.5.7.3.9',
  /** ETSI TS 119 612 id-tsl-kp-tslSigning: the key purpose the connector requires of a trusted-list signer. */
  kpTslSigning: '0.4.0.2231.3.0',
} as const;

/** Extensions this CA understands; a critical extension outside this set is a lint failure (RFC 5280 §4.2). */
export const KNOWN_EXTENSION_OIDS: ReadonlySet<string> = new Set([
  OID.subjectKeyIdentifier,
  OID.keyUsage,
  OID.subjectAltName,
  OID.basicConstraints,
  OID.cRLDistributionPoints,
  OID.certificatePolicies,
  OID.authorityKeyIdentifier,
  OID.extKeyUsage,
  OID.authorityInfoAccess,
  OID.ocspNoCheck,
]);
