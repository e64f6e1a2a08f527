import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityInfoAccessSyntax,
  AuthorityKeyIdentifier,
  BasicConstraints,
  CRLDistributionPoints,
  CertificatePolicies,
  ExtendedKeyUsage,
  KeyUsage,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  anyExtendedKeyUsage,
} from '@peculiar/asn1-x509';
import { OID } from '../../x509/oids.js';
import { EXTENDED_KEY_USAGE_OIDS, KEY_USAGE_FLAGS, keyUsageFlagsOf } from '../x509/extensions.js';
import { splitSpki } from '../x509/public-key.js';
import { extensionOf, type CertificateExtension, type KeyUsageName } from '../../x509/certificate.js';
import { NOT_APPLICABLE, PASS, expect, fail, type Lint, type LintResult } from './types.js';

// Several lints read the same extension, and most extensions are the same bytes in every certificate of a profile
// (policies, key usage, distribution points, authority information): decodings are kept across certificates, by type
// and DER, and never modified (lints only read them).
const decodings = new Map<unknown, Map<string, unknown>>();
const MAX_DECODINGS_PER_TYPE = 256;

/** Decodes an extension value with asn1-x509 (a decoder independent of our encoder); undefined when it does not parse. */
function decode<T>(ext: CertificateExtension, type: new () => T): T | undefined {
  let byValue = decodings.get(type);
  if (!byValue) decodings.set(type, (byValue = new Map()));
  const key = ext.value.toString('latin1');
  if (byValue.has(key)) return byValue.get(key) as T | undefined;
  let value: T | undefined;
  try {
    value = AsnConvert.parse(ext.value, type);
  } catch {
    value = undefined;
  }
  // Per-certificate values (key identifiers, names) would fill it: start over rather than grow.
  if (byValue.size >= MAX_DECODINGS_PER_TYPE) byValue.clear();
  byValue.set(key, value);
  return value;
}

function keyUsageFlags(ext: CertificateExtension): number | undefined {
  return decode(ext, KeyUsage)?.toNumber();
}

const usageNames = (flags: number): string =>
  (Object.entries(KEY_USAGE_FLAGS) as [KeyUsageName, number][])
    .filter(([, bit]) => (flags & bit) !== 0)
    .map(([name]) => name)
    .join(', ') || '(none)';

const isHttpUrl = (url: string | undefined): boolean => !!url && /^http:\/\/[\x21-\x7e]+$/.test(url);

export const keyUsagePresentCritical: Lint = {
  name: 'e_key_usage_present_critical',
  description: 'keyUsage is present and marked critical',
  source: 'RFC 5280 §4.2.1.3; profile',
  check: (cert) => {
    const ext = extensionOf(cert, OID.keyUsage);
    if (!ext) return fail('keyUsage is missing');
    return expect(ext.critical, 'keyUsage is not critical');
  },
};

export const keyUsageMatchesProfile: Lint = {
  name: 'e_key_usage_matches_profile',
  description: "keyUsage bits are exactly the profile's, in minimal DER (no trailing zero bits)",
  source: 'RFC 5280 §4.2.1.3; X.690 §11.2.2; profile',
  check: (cert, { profile }) => {
    const ext = extensionOf(cert, OID.keyUsage);
    if (!ext) return fail('keyUsage is missing');
    const flags = keyUsageFlags(ext);
    if (flags === undefined) return fail('keyUsage does not decode');
    const expected = keyUsageFlagsOf(profile.keyUsage);
    if (flags !== expected) return fail(`keyUsage is {${usageNames(flags)}}, profile wants {${usageNames(expected)}}`);
    const canonical = Buffer.from(AsnConvert.serialize(new KeyUsage(flags)));
    return expect(canonical.equals(ext.value), 'keyUsage BIT STRING is not minimally encoded');
  },
};

export const keyUsageFitsKeyAlgorithm: Lint = {
  name: 'e_key_usage_fits_key_algorithm',
  description: 'EC keys carry no key-transport bits; RSA keys carry no keyAgreement',
  source: 'RFC 5480 §3; RFC 3279 §2.3.1',
  check: (cert) => {
    const ext = extensionOf(cert, OID.keyUsage);
    const flags = ext && keyUsageFlags(ext);
    if (flags === undefined || !cert.publicKey) return NOT_APPLICABLE;
    if (cert.publicKey.kind === 'EC') {
      return expect((flags & (KEY_USAGE_FLAGS.keyEncipherment | KEY_USAGE_FLAGS.dataEncipherment)) === 0, 'EC key with keyEncipherment/dataEncipherment');
    }
    if (cert.publicKey.kind === 'RSA') {
      const agreement = KEY_USAGE_FLAGS.keyAgreement | KEY_USAGE_FLAGS.encipherOnly | KEY_USAGE_FLAGS.decipherOnly;
      return expect((flags & agreement) === 0, 'RSA key with keyAgreement/encipherOnly/decipherOnly');
    }
    return NOT_APPLICABLE;
  },
};

export const extendedKeyUsageMatchesProfile: Lint = {
  name: 'e_ext_key_usage_matches_profile',
  description: "extendedKeyUsage is absent when the profile has none, else non-critical with exactly the profile's purposes",
  source: 'RFC 5280 §4.2.1.12; profile',
  check: (cert, { profile }) => {
    const ext = extensionOf(cert, OID.extKeyUsage);
    const expected = profile.extendedKeyUsage.map((n) => EXTENDED_KEY_USAGE_OIDS[n]);
    if (expected.length === 0) return expect(!ext, 'extendedKeyUsage present but the profile has none');
    if (!ext) return fail(`extendedKeyUsage missing (profile: ${profile.extendedKeyUsage.join(', ')})`);
    if (ext.critical) return fail('extendedKeyUsage is critical');
    const purposes = decode(ext, ExtendedKeyUsage);
    if (!purposes) return fail('extendedKeyUsage does not decode');
    const got = [...purposes];
    if (got.includes(anyExtendedKeyUsage)) return fail('anyExtendedKeyUsage is not issued');
    const same = got.length === expected.length && expected.every((oid) => got.includes(oid));
    return expect(same, `extendedKeyUsage is {${got.join(', ')}}, profile wants {${expected.join(', ')}}`);
  },
};

function basicConstraintsOf(cert: Parameters<Lint['check']>[0]): { ext: CertificateExtension; value: BasicConstraints | undefined } | undefined {
  const ext = extensionOf(cert, OID.basicConstraints);
  return ext && { ext, value: decode(ext, BasicConstraints) };
}

export const basicConstraintsCa: Lint = {
  name: 'e_basic_constraints_ca',
  description: 'A CA certificate has critical basicConstraints cA=TRUE, the profile pathLen, and keyCertSign',
  source: 'RFC 5280 §4.2.1.9, §4.2.1.3',
  check: (cert, { profile }) => {
    if (!profile.basicConstraints.ca) return NOT_APPLICABLE;
    const bc = basicConstraintsOf(cert);
    if (!bc?.value) return fail('basicConstraints missing or undecodable');
    if (!bc.ext.critical) return fail('basicConstraints is not critical');
    if (!bc.value.cA) return fail('cA is FALSE on a CA profile');
    if (bc.value.pathLenConstraint !== profile.basicConstraints.pathLenConstraint) {
      return fail(`pathLenConstraint is ${bc.value.pathLenConstraint ?? 'absent'}, profile wants ${profile.basicConstraints.pathLenConstraint ?? 'absent'}`);
    }
    const ku = extensionOf(cert, OID.keyUsage);
    const flags = ku && keyUsageFlags(ku);
    return expect(flags !== undefined && (flags & KEY_USAGE_FLAGS.keyCertSign) !== 0, 'CA certificate without keyCertSign');
  },
};

export const basicConstraintsLeaf: Lint = {
  name: 'e_basic_constraints_leaf',
  description: 'An end-entity certificate has basicConstraints cA=FALSE without pathLen, criticality per profile, and no keyCertSign/cRLSign',
  source: 'RFC 5280 §4.2.1.9, §4.2.1.3',
  check: (cert, { profile }) => {
    if (profile.basicConstraints.ca) return NOT_APPLICABLE;
    const bc = basicConstraintsOf(cert);
    if (!bc?.value) return fail('basicConstraints missing or undecodable');
    if (bc.value.cA) return fail('cA is TRUE on an end-entity profile');
    if (bc.value.pathLenConstraint !== undefined) return fail('pathLenConstraint on an end-entity certificate');
    if (bc.ext.critical !== profile.basicConstraints.critical)
      return fail(`basicConstraints critical=${bc.ext.critical}, profile wants ${profile.basicConstraints.critical}`);
    const ku = extensionOf(cert, OID.keyUsage);
    const flags = (ku && keyUsageFlags(ku)) ?? 0;
    return expect((flags & (KEY_USAGE_FLAGS.keyCertSign | KEY_USAGE_FLAGS.cRLSign)) === 0, 'end-entity certificate with keyCertSign/cRLSign');
  },
};

export const subjectKeyIdentifier: Lint = {
  name: 'e_subject_key_identifier',
  description: 'subjectKeyIdentifier is present, non-critical, and equals SHA-1 of the subjectPublicKey (the eHealth PublicKeyIdentifier)',
  source: 'RFC 5280 §4.2.1.2 (method 1)',
  check: (cert) => {
    const ext = extensionOf(cert, OID.subjectKeyIdentifier);
    if (!ext) return fail('subjectKeyIdentifier is missing');
    if (ext.critical) return fail('subjectKeyIdentifier is critical');
    const value = decode(ext, SubjectKeyIdentifier);
    if (!value) return fail('subjectKeyIdentifier does not decode');
    const expected = createHash('sha1').update(splitSpki(cert.spkiDer).subjectPublicKey).digest();
    return expect(Buffer.from(value.buffer).equals(expected), 'subjectKeyIdentifier is not SHA-1(subjectPublicKey)');
  },
};

export const authorityKeyIdentifier: Lint = {
  name: 'e_authority_key_identifier',
  description: "authorityKeyIdentifier is present, holds only keyIdentifier, equal to the issuer's subjectKeyIdentifier",
  source: 'RFC 5280 §4.2.1.1',
  check: (cert, { issuer }) => {
    const ext = extensionOf(cert, OID.authorityKeyIdentifier);
    if (!ext) return fail('authorityKeyIdentifier is missing');
    const value = decode(ext, AuthorityKeyIdentifier);
    if (!value?.keyIdentifier) return fail('authorityKeyIdentifier has no keyIdentifier');
    if (value.authorityCertIssuer || value.authorityCertSerialNumber) return fail('authorityKeyIdentifier pins the issuer name/serial');
    return expect(
      Buffer.from(value.keyIdentifier.buffer).equals(issuer.subjectKeyIdentifier),
      "authorityKeyIdentifier differs from the issuer's subjectKeyIdentifier",
    );
  },
};

export const authorityKeyIdentifierNotCritical: Lint = {
  name: 'e_authority_key_identifier_not_critical',
  description: 'authorityKeyIdentifier is non-critical',
  source: 'RFC 5280 §4.2.1.1',
  check: (cert) => {
    const ext = extensionOf(cert, OID.authorityKeyIdentifier);
    if (!ext) return NOT_APPLICABLE;
    return expect(!ext.critical, 'authorityKeyIdentifier is critical');
  },
};

export const crlDistributionPoint: Lint = {
  name: 'e_crl_distribution_point',
  description: 'When the profile requires it: a non-critical CRL distribution point with an http URL (absent otherwise)',
  source: 'RFC 5280 §4.2.1.13; profile',
  check: (cert, { profile }) => {
    const ext = extensionOf(cert, OID.cRLDistributionPoints);
    if (!profile.crlDistributionPoint) return expect(!ext, 'CRL distribution point present but the profile has none');
    if (!ext) return fail('CRL distribution point is missing');
    if (ext.critical) return fail('cRLDistributionPoints is critical');
    const points = decode(ext, CRLDistributionPoints);
    if (!points || points.length === 0) return fail('cRLDistributionPoints does not decode or is empty');
    const urls = points.flatMap((p) => p.distributionPoint?.fullName?.map((n) => n.uniformResourceIdentifier) ?? []);
    // http, not https: fetching a CRL must not depend on validating a TLS chain that itself needs the CRL.
    return expect(urls.length > 0 && urls.every(isHttpUrl), `CRL distribution point URLs must be http: ${urls.join(', ') || '(none)'}`);
  },
};

export const authorityInfoAccessCaIssuers: Lint = {
  name: 'e_aia_ca_issuers',
  description: 'When the profile requires it: non-critical authorityInfoAccess with an http caIssuers URL (absent otherwise)',
  source: 'RFC 5280 §4.2.2.1; profile',
  check: (cert, { profile }) => {
    const ext = extensionOf(cert, OID.authorityInfoAccess);
    if (!profile.authorityInfoAccess) return expect(!ext, 'authorityInfoAccess present but the profile has none');
    if (!ext) return fail('authorityInfoAccess is missing');
    if (ext.critical) return fail('authorityInfoAccess is critical (RFC 5280 requires non-critical)');
    const access = decode(ext, AuthorityInfoAccessSyntax);
    if (!access) return fail('authorityInfoAccess does not decode');
    const urls = (method: string) => [...access].filter((a) => a.accessMethod === method).map((a) => a.accessLocation.uniformResourceIdentifier);
    const caIssuers = urls(OID.adCaIssuers);
    if (!(caIssuers.length > 0 && caIssuers.every(isHttpUrl))) return fail(`caIssuers URLs must be http: ${caIssuers.join(', ') || '(none)'}`);
    // An OCSP responder is fetched over http for the same reason as the CRL (RFC 6960 Appendix A).
    const ocsp = urls(OID.adOcsp);
    return expect(ocsp.every(isHttpUrl), `OCSP URLs must be http: ${ocsp.join(', ')}`);
  },
};

export const certificatePoliciesMatchProfile: Lint = {
  name: 'e_certificate_policies_match_profile',
  description: "certificatePolicies is absent when the profile has none, else non-critical with exactly the profile's policy OIDs",
  source: 'RFC 5280 §4.2.1.4; profile',
  check: (cert, { profile }): LintResult => {
    const ext = extensionOf(cert, OID.certificatePolicies);
    const expected = profile.certificatePolicies.map((p) => p.oid);
    if (expected.length === 0) return expect(!ext, 'certificatePolicies present but the profile has none');
    if (!ext) return fail('certificatePolicies missing');
    if (ext.critical) return fail('certificatePolicies is critical');
    const policies = decode(ext, CertificatePolicies);
    if (!policies) return fail('certificatePolicies does not decode');
    const got = [...policies].map((p) => p.policyIdentifier);
    const same = got.length === expected.length && expected.every((oid) => got.includes(oid));
    return same ? PASS : fail(`policies {${got.join(', ')}}, profile wants {${expected.join(', ')}}`);
  },
};

export const ocspNoCheckMatchesProfile: Lint = {
  name: 'e_ocsp_nocheck_matches_profile',
  description: 'id-pkix-ocsp-nocheck only on OCSP responder profiles, non-critical with a NULL value, and only with the OCSPSigning EKU',
  source: 'RFC 6960 §4.2.2.2.1; profile',
  check: (cert, { profile }) => {
    const ext = extensionOf(cert, OID.ocspNoCheck);
    if (!profile.ocspNoCheck) return expect(!ext, 'id-pkix-ocsp-nocheck present but the profile has none');
    if (!ext) return fail('id-pkix-ocsp-nocheck is missing');
    if (ext.critical) return fail('id-pkix-ocsp-nocheck is critical');
    if (!Buffer.from(ext.value).equals(Buffer.from([0x05, 0x00]))) return fail('id-pkix-ocsp-nocheck value is not NULL');
    return expect(profile.extendedKeyUsage.includes('OCSPSigning'), 'id-pkix-ocsp-nocheck on a profile without the OCSPSigning EKU');
  },
};

export const subjectAltNameMatchesProfile: Lint = {
  name: 'e_subject_alt_name_matches_profile',
  description: 'subjectAltName only on TLS server profiles: non-critical (the subject is not empty), dNSName and iPAddress entries only',
  source: 'RFC 5280 §4.2.1.6; CA/B Baseline Requirements §7.1.2.7.12; profile',
  check: (cert, { profile }) => {
    const ext = extensionOf(cert, OID.subjectAltName);
    if (!profile.serverNames) return expect(!ext, 'subjectAltName present but the profile issues none');
    if (!ext) return fail('subjectAltName is missing (the profile names TLS servers)');
    if (ext.critical) return fail('subjectAltName is critical although the subject is not empty');
    const names = decode(ext, SubjectAlternativeName);
    if (!names || names.length === 0) return fail('subjectAltName does not decode or is empty');
    const other = [...names].find((n) => n.dNSName === undefined && n.iPAddress === undefined);
    if (other) return fail('subjectAltName holds a name that is neither a dNSName nor an iPAddress');
    const badHost = [...names].find(
      (n) => n.dNSName !== undefined && !/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(n.dNSName),
    );
    return expect(!badHost, `dNSName ${badHost?.dNSName} is not a lower-case host name`);
  },
};

export const EXTENSION_LINTS: readonly Lint[] = [
  keyUsagePresentCritical,
  keyUsageMatchesProfile,
  keyUsageFitsKeyAlgorithm,
  extendedKeyUsageMatchesProfile,
  basicConstraintsCa,
  basicConstraintsLeaf,
  subjectKeyIdentifier,
  authorityKeyIdentifier,
  authorityKeyIdentifierNotCritical,
  crlDistributionPoint,
  authorityInfoAccessCaIssuers,
  certificatePoliciesMatchProfile,
  ocspNoCheckMatchesProfile,
  subjectAltNameMatchesProfile,
];
