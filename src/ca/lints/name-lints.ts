import { TAG } from '../../asn1/der.js';
import { PRINTABLE_STRING_TYPES, isPrintableString } from '../x509/name.js';
import { isValidSsin } from '../../identifiers/ssin.js';
import { subjectDnProblems } from '../profiles/subject-rule.js';
import { NOT_APPLICABLE, PASS, expect, fail, type Lint } from './types.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export const issuerMatchesIssuerSubject: Lint = {
  name: 'e_issuer_dn_matches_issuer_subject',
  description: "The issuer field is byte-identical to the issuer certificate's subject (chain building compares them)",
  source: 'RFC 5280 §4.1.2.4, §7.1',
  check: (cert, { issuer }) => expect(cert.issuerDer.equals(issuer.subjectDer), "issuer name differs from the issuer certificate's subject"),
};

export const subjectNotEmpty: Lint = {
  name: 'e_subject_not_empty',
  description: 'The subject is a non-empty name (no subjectAltName is issued)',
  source: 'RFC 5280 §4.1.2.6',
  check: (cert) => expect(cert.subject.length > 0, 'subject is empty'),
};

export const rdnSingleValued: Lint = {
  name: 'e_subject_rdn_single_valued',
  description: 'Each subject RDN holds exactly one attribute',
  source: 'profile DN form (eHealth DNs are single-valued)',
  check: (cert) =>
    expect(
      cert.subject.every((a) => a.rdnSize === 1),
      'subject has a multi-valued RDN',
    ),
};

export const noEmptyValues: Lint = {
  name: 'e_subject_no_empty_values',
  description: 'No subject attribute value is empty or only spaces',
  source: 'RFC 5280 §4.1.2.6 / X.520 (SIZE (1..MAX))',
  check: (cert) => {
    const empty = cert.subject.find((a) => a.value.trim().length === 0);
    return expect(!empty, `subject attribute ${empty?.type ?? empty?.oid} is empty`);
  },
};

export const stringEncodings: Lint = {
  name: 'e_subject_string_encodings',
  description: 'Subject values are PrintableString (C, SERIALNUMBER) or UTF8String, with valid contents',
  source: 'RFC 5280 §4.1.2.4, Appendix A (X520countryName, X520SerialNumber)',
  check: (cert) => {
    for (const a of cert.subject) {
      const label = a.type ?? a.oid;
      if (a.type && PRINTABLE_STRING_TYPES.has(a.type) && a.tag !== TAG.PRINTABLE_STRING) return fail(`${label} must be a PrintableString`);
      if (a.tag === TAG.PRINTABLE_STRING) {
        if (!isPrintableString(a.valueBytes.toString('latin1'))) return fail(`${label} has characters outside PrintableString`);
      } else if (a.tag === TAG.UTF8_STRING) {
        try {
          utf8.decode(a.valueBytes);
        } catch {
          return fail(`${label} is not valid UTF-8`);
        }
      } else {
        return fail(`${label} uses string tag 0x${a.tag.toString(16)}; only PrintableString and UTF8String are issued`);
      }
    }
    return PASS;
  },
};

export const countryCode: Lint = {
  name: 'e_subject_country_code',
  description: 'countryName is a two-letter upper-case ISO 3166 code',
  source: 'X.520 / RFC 5280 Appendix A (X520countryName SIZE (2))',
  check: (cert) => {
    const countries = cert.subject.filter((a) => a.type === 'C');
    if (countries.length === 0) return NOT_APPLICABLE;
    const bad = countries.find((a) => !/^[A-Z]{2}$/.test(a.value));
    return expect(!bad, `countryName "${bad?.value}" is not an ISO 3166 alpha-2 code`);
  },
};

export const subjectDnForm: Lint = {
  name: 'e_subject_dn_form',
  description: 'Subject attributes fit the profile DN rule (required / allowed types, fixed values, eHealth or eID form)',
  source: 'profile DN form; eHealth DN format (wire facts §6)',
  check: (cert, { profile }) => {
    const problems = subjectDnProblems(cert.subject, profile.subject);
    return expect(problems.length === 0, problems.join('; '));
  },
};

export const subjectSerialNumberSsin: Lint = {
  name: 'e_subject_serial_number_ssin',
  description: 'On eID-like profiles, SERIALNUMBER is an 11-digit SSIN with valid check digits',
  source: 'profile (Belgian eID subject serialNumber = national number)',
  check: (cert, { profile }) => {
    if (profile.subject.form?.kind !== 'eid-citizen') return NOT_APPLICABLE;
    const serials = cert.subject.filter((a) => a.type === 'SERIALNUMBER');
    if (serials.length !== 1) return fail(`expected one SERIALNUMBER, found ${serials.length}`);
    return expect(isValidSsin(serials[0]!.value), `SERIALNUMBER ${serials[0]!.value} is not a valid SSIN`);
  },
};

export const NAME_LINTS: readonly Lint[] = [
  issuerMatchesIssuerSubject,
  subjectNotEmpty,
  rdnSingleValued,
  noEmptyValues,
  stringEncodings,
  countryCode,
  subjectDnForm,
  subjectSerialNumberSsin,
];
