import type { CertificateProfile, DnAttributeRule, KeyPolicy, SubjectDnRule, ValidityRule } from './types.js';

/**
 * Built-in profiles. eHealth facts: docs/wire-facts.md §5, §6, §8; organisation usage split after IGC-Santé
 * (ORG AUTH_CLI / SIGN / CONF, 3-year certificates). Override any field from JSON with loadProfiles().
 */

const RSA_ONLY: KeyPolicy = { rsa: { minModulusBits: 2048, maxModulusBits: 8192, publicExponents: [65537] }, ecCurves: [] };
const RSA_OR_EC: KeyPolicy = { rsa: { minModulusBits: 2048, maxModulusBits: 8192, publicExponents: [65537] }, ecCurves: ['P-256', 'P-384'] };

/** docs/wire-facts.md §8: 36 months in production; 12 in acceptance (unconfirmed, hence configurable). */
const EHEALTH_VALIDITY: ValidityRule = { months: { acceptance: 12, production: 36 }, backdateSeconds: 0 };
const leaf = { ca: false, critical: true } as const;

export const EHEALTH_PLATFORM_OU = 'eHealth-platform Belgium';
export const FEDERAL_GOVERNMENT_O = 'Federal Government';

const EHEALTH_COMMON: readonly DnAttributeRule[] = [
  { type: 'C', min: 1, max: 1, values: ['BE'] },
  { type: 'O', min: 1, max: 1, values: [FEDERAL_GOVERNMENT_O] },
  // eHealth-platform Belgium, TYPE=id, optional NAME, optional APPID
  { type: 'OU', min: 2, max: 4, mustInclude: [EHEALTH_PLATFORM_OU] },
  { type: 'CN', min: 1, max: 1 },
];

const EHEALTH_PERSON_DN: SubjectDnRule = {
  attributes: EHEALTH_COMMON,
  form: { kind: 'ehealth', identifierTypePattern: '^SSIN$', identifierValuePattern: '^[0-9]{11}$', applicationId: 'forbidden' },
};

/** ETK identifier types of organisations (CBE*, EHP*, NIHII-*): docs/wire-facts.md §3. */
const EHEALTH_ORGANISATION_DN: SubjectDnRule = {
  attributes: EHEALTH_COMMON,
  form: {
    kind: 'ehealth',
    identifierTypePattern: '^(CBE|EHP)(-[A-Z_]+)?$|^NIHII-[A-Z_]+$',
    identifierValuePattern: '^[0-9]{8,10}$',
    applicationId: 'optional',
  },
};

function eidCitizenDn(cnSuffix: 'Signature' | 'Authentication'): SubjectDnRule {
  return {
    attributes: [
      { type: 'C', min: 1, max: 1, values: ['BE'] },
      { type: 'CN', min: 1, max: 1, pattern: ` \\(${cnSuffix}\\)$` },
      { type: 'SN', min: 1, max: 1 },
      { type: 'GIVENNAME', min: 1, max: 1 },
      { type: 'SERIALNUMBER', min: 1, max: 1, pattern: '^[0-9]{11}$' },
    ],
    form: { kind: 'eid-citizen', cnSuffix },
  };
}

const CA_DN: SubjectDnRule = {
  attributes: [
    { type: 'C', min: 1, max: 1, pattern: '^[A-Z]{2}$' },
    { type: 'O', min: 0, max: 1 },
    { type: 'OU', min: 0, max: 3 },
    { type: 'CN', min: 1, max: 1 },
    { type: 'SERIALNUMBER', min: 0, max: 1 },
    { type: 'L', min: 0, max: 1 },
    { type: 'ST', min: 0, max: 1 },
  ],
};

export const ehealthNaturalPerson: CertificateProfile = {
  name: 'ehealth-natural-person',
  description: 'eHealth certificate of a natural person: CN=SSIN=<ssin>, authentication and key transport',
  basicConstraints: leaf,
  // The 2014 acceptance certificate also carried nonRepudiation; an authentication certificate has no business with it.
  keyUsage: ['digitalSignature', 'keyEncipherment', 'dataEncipherment'],
  extendedKeyUsage: ['clientAuth'],
  // keyEncipherment needs RSA; §8: the connector generates RSA-2048.
  allowedKeys: RSA_ONLY,
  validity: EHEALTH_VALIDITY,
  subject: EHEALTH_PERSON_DN,
  certificatePolicies: [],
  crlDistributionPoint: true,
  authorityInfoAccess: true,
};

export const ehealthOrganisation: CertificateProfile = {
  ...ehealthNaturalPerson,
  name: 'ehealth-organisation',
  description: 'eHealth certificate of an organisation: CN=<ETK type>=<id>[, APPID]',
  subject: EHEALTH_ORGANISATION_DN,
};

export const organisationAuthentication: CertificateProfile = {
  name: 'organisation-authentication',
  description: 'Organisation certificate for TLS client / WS client authentication (IGC-Santé ORG AUTH_CLI)',
  basicConstraints: leaf,
  keyUsage: ['digitalSignature'],
  extendedKeyUsage: ['clientAuth'],
  allowedKeys: RSA_OR_EC,
  validity: EHEALTH_VALIDITY,
  subject: EHEALTH_ORGANISATION_DN,
  certificatePolicies: [],
  crlDistributionPoint: true,
  authorityInfoAccess: true,
};

export const organisationSignature: CertificateProfile = {
  ...organisationAuthentication,
  name: 'organisation-signature',
  description: 'Organisation certificate for document / token signature (IGC-Santé ORG SIGN)',
  keyUsage: ['digitalSignature', 'nonRepudiation'],
  extendedKeyUsage: [],
};

export const organisationEncryption: CertificateProfile = {
  ...organisationAuthentication,
  name: 'organisation-encryption',
  description: 'Organisation certificate for confidentiality, key transport (IGC-Santé ORG CONF)',
  keyUsage: ['keyEncipherment', 'dataEncipherment'],
  extendedKeyUsage: [],
  allowedKeys: RSA_ONLY,
};

export const rootCa: CertificateProfile = {
  name: 'root-ca',
  description: 'Self-signed root of the development / private hierarchy',
  basicConstraints: { ca: true, critical: true },
  keyUsage: ['keyCertSign', 'cRLSign'],
  extendedKeyUsage: [],
  allowedKeys: RSA_OR_EC,
  validity: { months: { acceptance: 240, production: 240 }, backdateSeconds: 0 },
  subject: CA_DN,
  certificatePolicies: [],
  crlDistributionPoint: false,
  authorityInfoAccess: false,
};

export const ehealthIssuingCa: CertificateProfile = {
  ...rootCa,
  name: 'ehealth-issuing-ca',
  description: 'CA issuing eHealth and organisation certificates (like "eH CA"); issues leaves only',
  basicConstraints: { ca: true, pathLenConstraint: 0, critical: true },
  validity: { months: { acceptance: 120, production: 120 }, backdateSeconds: 0 },
  crlDistributionPoint: true,
  authorityInfoAccess: true,
};

export const citizenCa: CertificateProfile = {
  ...ehealthIssuingCa,
  name: 'citizen-ca',
  description: 'Test citizen CA issuing eID-like Signature and Authentication certificates',
};

export const ETK_RA_SUBJECT = [
  { type: 'C', value: 'BE' },
  { type: 'O', value: FEDERAL_GOVERNMENT_O },
  { type: 'OU', value: EHEALTH_PLATFORM_OU },
  { type: 'CN', value: 'ETK-RA' },
] as const;

export const etkRaSigner: CertificateProfile = {
  name: 'etk-ra-signer',
  description: 'Signer of ETK CMS structures: CN=ETK-RA, OU=eHealth-platform Belgium, O=Federal Government, C=BE (§5)',
  basicConstraints: leaf,
  keyUsage: ['digitalSignature'],
  extendedKeyUsage: [],
  // §5: the ETK SignerInfo uses rsaEncryption.
  allowedKeys: RSA_ONLY,
  validity: { months: { acceptance: 60, production: 60 }, backdateSeconds: 0 },
  subject: {
    attributes: [
      { type: 'C', min: 1, max: 1, values: ['BE'] },
      { type: 'O', min: 1, max: 1, values: [FEDERAL_GOVERNMENT_O] },
      { type: 'OU', min: 1, max: 1, values: [EHEALTH_PLATFORM_OU] },
      { type: 'CN', min: 1, max: 1, values: ['ETK-RA'] },
    ],
  },
  certificatePolicies: [],
  crlDistributionPoint: true,
  authorityInfoAccess: true,
};

/**
 * Delegated OCSP responder of one of our CAs (RFC 6960 §4.2.2.2): OCSPSigning EKU and id-pkix-ocsp-nocheck (clients
 * do not check the responder's own status), short-lived and renewed by the service; the lifetime is given in days
 * at issuance (OCSP_RESPONDER_VALIDITY_DAYS), the months below are never used.
 */
export const ocspResponder: CertificateProfile = {
  name: 'ocsp-responder',
  description: 'Delegated OCSP responder certificate of one of our CAs: OCSPSigning, ocsp-nocheck, short-lived',
  basicConstraints: leaf,
  keyUsage: ['digitalSignature'],
  extendedKeyUsage: ['OCSPSigning'],
  allowedKeys: RSA_OR_EC,
  validity: { months: { acceptance: 1, production: 1 }, backdateSeconds: 0 },
  subject: CA_DN,
  certificatePolicies: [],
  crlDistributionPoint: false,
  authorityInfoAccess: false,
  ocspNoCheck: true,
};

/**
 * Signer of the trusted lists we publish (ETSI TS 119 612 §5.7.1, the connector's TrustServiceStatusListSignatureVerifier):
 * EKU id-tsl-kp-tslSigning, pinned by the clients in their TSL keystore (no chain building), so no CRL or AIA.
 */
export const tslSigner: CertificateProfile = {
  name: 'tsl-signer',
  description: 'Signer of the published trusted lists (XAdES): id-tsl-kp-tslSigning, pinned by the clients',
  basicConstraints: leaf,
  keyUsage: ['digitalSignature', 'nonRepudiation'],
  extendedKeyUsage: ['tslSigning'],
  allowedKeys: RSA_OR_EC,
  validity: { months: { acceptance: 36, production: 36 }, backdateSeconds: 0 },
  subject: CA_DN,
  certificatePolicies: [],
  crlDistributionPoint: false,
  authorityInfoAccess: false,
};

/** Subject of an officer or an admin server: C, O, OU=…, CN=name (e.g. CN=Alice Dupont, OU=RA officers). */
const SERVICE_PERSON_DN: SubjectDnRule = {
  attributes: [
    { type: 'C', min: 1, max: 1, pattern: '^[A-Z]{2}$' },
    { type: 'O', min: 0, max: 1 },
    { type: 'OU', min: 0, max: 2 },
    { type: 'CN', min: 1, max: 1 },
  ],
};

/** An RA officer's TLS client certificate for the admin listener (its role is kept by the platform, not in the certificate). */
export const adminOfficer: CertificateProfile = {
  name: 'admin-officer',
  description: 'RA officer client certificate for the admin listener (TLS client authentication)',
  basicConstraints: leaf,
  keyUsage: ['digitalSignature'],
  extendedKeyUsage: ['clientAuth'],
  allowedKeys: RSA_OR_EC,
  validity: { months: { acceptance: 12, production: 12 }, backdateSeconds: 0 },
  subject: SERVICE_PERSON_DN,
  certificatePolicies: [],
  crlDistributionPoint: true,
  authorityInfoAccess: true,
};

/** The admin listener's TLS server certificate (development, or when no ADMIN_TLS_CERT_FILE is configured). */
export const adminTlsServer: CertificateProfile = {
  name: 'admin-tls-server',
  description: "TLS server certificate of the admin listener: serverAuth, the host's names in subjectAltName",
  basicConstraints: leaf,
  keyUsage: ['digitalSignature'],
  extendedKeyUsage: ['serverAuth'],
  allowedKeys: RSA_OR_EC,
  validity: { months: { acceptance: 12, production: 12 }, backdateSeconds: 0 },
  subject: SERVICE_PERSON_DN,
  certificatePolicies: [],
  crlDistributionPoint: true,
  authorityInfoAccess: true,
  serverNames: true,
};

export const eidCitizenSignature: CertificateProfile = {
  name: 'eid-citizen-signature',
  description: 'eID-like citizen "Signature" certificate (qualified-signature style: nonRepudiation only)',
  basicConstraints: leaf,
  keyUsage: ['nonRepudiation'],
  extendedKeyUsage: [],
  allowedKeys: RSA_OR_EC,
  validity: { months: { acceptance: 120, production: 120 }, backdateSeconds: 0 },
  subject: eidCitizenDn('Signature'),
  certificatePolicies: [],
  crlDistributionPoint: true,
  authorityInfoAccess: true,
};

export const eidCitizenAuthentication: CertificateProfile = {
  ...eidCitizenSignature,
  name: 'eid-citizen-authentication',
  description: 'eID-like citizen "Authentication" certificate (digitalSignature, clientAuth)',
  keyUsage: ['digitalSignature'],
  extendedKeyUsage: ['clientAuth'],
  subject: eidCitizenDn('Authentication'),
};

export const BUILT_IN_PROFILES = {
  'ehealth-natural-person': ehealthNaturalPerson,
  'ehealth-organisation': ehealthOrganisation,
  'organisation-authentication': organisationAuthentication,
  'organisation-signature': organisationSignature,
  'organisation-encryption': organisationEncryption,
  'root-ca': rootCa,
  'ehealth-issuing-ca': ehealthIssuingCa,
  'citizen-ca': citizenCa,
  'etk-ra-signer': etkRaSigner,
  'ocsp-responder': ocspResponder,
  'tsl-signer': tslSigner,
  'admin-officer': adminOfficer,
  'admin-tls-server': adminTlsServer,
  'eid-citizen-signature': eidCitizenSignature,
  'eid-citizen-authentication': eidCitizenAuthentication,
} as const satisfies Record<string, CertificateProfile>;

// Profiles are shared by every issuance: freeze them so no caller can change one under another's feet.
for (const profile of Object.values(BUILT_IN_PROFILES)) deepFreeze(profile);

function deepFreeze(value: unknown): void {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
}

export type BuiltInProfileName = keyof typeof BUILT_IN_PROFILES;
