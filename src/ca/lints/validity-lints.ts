import { TAG } from '../../asn1/der.js';
import { addMonths } from '../../domain/clock.js';
import { PASS, expect, fail, type Lint } from './types.js';
import type { EncodedTime } from '../../x509/certificate.js';

const iso = (d: Date): string => d.toISOString().replace('.000', '');

export const validityTimeEncoding: Lint = {
  name: 'e_validity_time_encoding',
  description: 'UTCTime (YYMMDDHHMMSSZ) through 2049, GeneralizedTime (YYYYMMDDHHMMSSZ) from 2050',
  source: 'RFC 5280 §4.1.2.5, §4.1.2.5.1, §4.1.2.5.2',
  check: (cert) => {
    for (const [label, time] of [
      ['notBefore', cert.validity.notBefore],
      ['notAfter', cert.validity.notAfter],
    ] as [string, EncodedTime][]) {
      if (!time.date) return fail(`${label} "${time.text}" is not in the strict RFC 5280 form`);
      const wanted = time.date.getUTCFullYear() < 2050 ? TAG.UTC_TIME : TAG.GENERALIZED_TIME;
      if (time.tag !== wanted) return fail(`${label} ${iso(time.date)} must be ${wanted === TAG.UTC_TIME ? 'UTCTime' : 'GeneralizedTime'}`);
    }
    return PASS;
  },
};

export const validityOrder: Lint = {
  name: 'e_validity_not_before_before_not_after',
  description: 'notBefore is earlier than notAfter',
  source: 'RFC 5280 §4.1.2.5',
  check: (cert) => {
    const { date: nb } = cert.validity.notBefore;
    const { date: na } = cert.validity.notAfter;
    if (!nb || !na) return fail('validity times cannot be read');
    return expect(nb < na, () => `notBefore ${iso(nb)} is not before notAfter ${iso(na)}`);
  },
};

export const validityWithinIssuer: Lint = {
  name: 'e_validity_within_issuer',
  description: "The validity period lies within the issuer certificate's",
  source: 'RFC 5280 §6.1.3 (a)(2) consequence; profile (clamping)',
  check: (cert, { issuer }) => {
    const { date: nb } = cert.validity.notBefore;
    const { date: na } = cert.validity.notAfter;
    if (!nb || !na) return fail('validity times cannot be read');
    if (nb < issuer.notBefore) return fail(`notBefore ${iso(nb)} precedes the issuer's ${iso(issuer.notBefore)}`);
    return expect(na <= issuer.notAfter, () => `notAfter ${iso(na)} exceeds the issuer's ${iso(issuer.notAfter)}`);
  },
};

export const validityMatchesProfile: Lint = {
  name: 'e_validity_matches_profile_months',
  description: 'notAfter = start + the profile months (start within the backdate window), unless clamped to the issuer notAfter',
  source: 'profile validity rule (eHealth: 12 months acceptance, 36 production)',
  check: (cert, context) => {
    const { date: nb } = cert.validity.notBefore;
    const { date: na } = cert.validity.notAfter;
    if (!nb || !na) return fail('validity times cannot be read');
    const days = context.validityDays;
    const lifetime = days === undefined ? `${context.validityMonths} months` : `${days} days`;
    const end = (start: Date) => (days === undefined ? addMonths(start, context.validityMonths) : new Date(start.getTime() + days * 86_400_000));
    const earliest = end(nb);
    const latest = end(new Date(nb.getTime() + context.backdateSeconds * 1000));
    if (na > latest) return fail(`notAfter ${iso(na)} is beyond ${lifetime} after notBefore`);
    const clamped = !context.selfSigned && na.getTime() === context.issuer.notAfter.getTime();
    return expect(clamped || na >= earliest, () => `notAfter ${iso(na)} is shorter than ${lifetime} and not clamped to the issuer`);
  },
};

export const VALIDITY_LINTS: readonly Lint[] = [validityTimeEncoding, validityOrder, validityWithinIssuer, validityMatchesProfile];
