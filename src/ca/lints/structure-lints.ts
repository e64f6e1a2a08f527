import { signatureAlgorithmFor } from '../x509/algorithms.js';
import { KNOWN_EXTENSION_OIDS } from '../../x509/oids.js';
import { NOT_APPLICABLE, PASS, expect, fail, type Lint } from './types.js';

export const versionV3: Lint = {
  name: 'e_version_v3',
  description: 'The certificate is version 3 (it carries extensions)',
  source: 'RFC 5280 §4.1.2.1',
  check: (cert) => expect(cert.version === 2, `version field is ${cert.version === undefined ? 'absent (v1)' : cert.version}`),
};

export const serialPositive: Lint = {
  name: 'e_serial_number_positive',
  description: 'The serial number is a positive integer',
  source: 'RFC 5280 §4.1.2.2',
  check: (cert) => {
    if ((cert.serialNumber[0]! & 0x80) !== 0) return fail('serial number is negative');
    return expect(
      cert.serialNumber.some((b) => b !== 0),
      'serial number is zero',
    );
  },
};

export const serialMinimalEncoding: Lint = {
  name: 'e_serial_number_minimal_encoding',
  description: 'The serial INTEGER uses the minimal number of octets',
  source: 'X.690 §8.3.2 (DER)',
  check: (cert) => {
    const s = cert.serialNumber;
    const redundant = s.length > 1 && ((s[0] === 0x00 && (s[1]! & 0x80) === 0) || (s[0] === 0xff && (s[1]! & 0x80) !== 0));
    return expect(!redundant, 'serial number has a redundant leading octet');
  },
};

export const serialMinimumSize: Lint = {
  name: 'e_serial_number_min_64_bits',
  description: 'The serial number has at least 64 bits (8 octets) of magnitude, room for the CSPRNG output',
  source: 'CA/B BR §7.1 practice; profile: 16 random octets',
  check: (cert) => {
    let i = 0;
    while (i < cert.serialNumber.length && cert.serialNumber[i] === 0) i++;
    return expect(cert.serialNumber.length - i >= 8, `serial number magnitude is ${cert.serialNumber.length - i} octets`);
  },
};

export const serialMaximumSize: Lint = {
  name: 'e_serial_number_max_20_octets',
  description: 'The serial number is at most 20 octets long',
  source: 'RFC 5280 §4.1.2.2',
  check: (cert) => expect(cert.serialNumber.length <= 20, `serial number is ${cert.serialNumber.length} octets`),
};

export const signatureAlgorithmsMatch: Lint = {
  name: 'e_signature_algorithm_inner_outer_match',
  description: 'tbsCertificate.signature equals Certificate.signatureAlgorithm, byte for byte',
  source: 'RFC 5280 §4.1.1.2, §4.1.2.3',
  check: (cert) => expect(cert.tbsSignatureAlgorithmDer.equals(cert.signatureAlgorithmDer), 'inner and outer signature algorithms differ'),
};

export const signatureAlgorithmMatchesIssuerKey: Lint = {
  name: 'e_signature_algorithm_matches_issuer_key',
  description: 'sha256WithRSAEncryption (NULL parameters) for RSA issuers, ecdsa-with-SHA256/384 (no parameters) for P-256/P-384',
  source: 'RFC 4055 §5, RFC 5758 §3.2; profile',
  check: (cert, context) => {
    const expected = signatureAlgorithmFor(context.issuer.keyAlgorithm);
    return expect(
      cert.tbsSignatureAlgorithmDer.equals(expected.der),
      `signature algorithm is not ${expected.name} as required for a ${context.issuer.keyAlgorithm} issuer`,
    );
  },
};

export const uniqueIdentifiersAbsent: Lint = {
  name: 'e_unique_identifiers_absent',
  description: 'issuerUniqueID and subjectUniqueID are not generated',
  source: 'RFC 5280 §4.1.2.8',
  check: (cert) => expect(!cert.hasIssuerUniqueId && !cert.hasSubjectUniqueId, 'a unique identifier field is present'),
};

export const extensionsPresent: Lint = {
  name: 'e_extensions_present',
  description: 'The extensions field is present and not empty',
  source: 'RFC 5280 §4.1.2.9',
  check: (cert) => expect(cert.extensions !== undefined && cert.extensions.length > 0, 'no extensions'),
};

export const noDuplicateExtensions: Lint = {
  name: 'e_extensions_unique',
  description: 'No extension appears more than once',
  source: 'RFC 5280 §4.2',
  check: (cert) => {
    if (!cert.extensions) return NOT_APPLICABLE;
    const seen = new Set<string>();
    for (const e of cert.extensions) {
      if (seen.has(e.oid)) return fail(`extension ${e.oid} appears twice`);
      seen.add(e.oid);
    }
    return PASS;
  },
};

export const noUnknownCriticalExtensions: Lint = {
  name: 'e_critical_extensions_known',
  description: 'Every critical extension is one this CA (and relying parties) understands',
  source: 'RFC 5280 §4.2',
  check: (cert) => {
    const unknown = (cert.extensions ?? []).filter((e) => e.critical && !KNOWN_EXTENSION_OIDS.has(e.oid));
    return expect(unknown.length === 0, `unknown critical extension ${unknown.map((e) => e.oid).join(', ')}`);
  },
};

export const criticalDefaultOmitted: Lint = {
  name: 'e_extension_critical_false_omitted',
  description: 'A non-critical extension omits the critical field (DEFAULT FALSE is not encoded in DER)',
  source: 'X.690 §11.5; RFC 5280 §4.1',
  check: (cert) => {
    const bad = (cert.extensions ?? []).filter((e) => e.criticalEncoding === 'FALSE' || e.criticalEncoding === 'invalid');
    return expect(bad.length === 0, `extension ${bad.map((e) => e.oid).join(', ')} encodes critical FALSE`);
  },
};

export const STRUCTURE_LINTS: readonly Lint[] = [
  versionV3,
  serialPositive,
  serialMinimalEncoding,
  serialMinimumSize,
  serialMaximumSize,
  signatureAlgorithmsMatch,
  signatureAlgorithmMatchesIssuerKey,
  uniqueIdentifiersAbsent,
  extensionsPresent,
  noDuplicateExtensions,
  noUnknownCriticalExtensions,
  criticalDefaultOmitted,
];
