import type { KeyAlgorithm } from '../keys/key-signer.js';
import type { CertificateProfile } from '../profiles/types.js';
import type { LintCertificate } from './lint-certificate.js';

/** What the lints know about the issuer. For a self-signed certificate it describes the certificate itself. */
export interface LintIssuer {
  readonly subjectDer: Buffer;
  readonly subjectKeyIdentifier: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly keyAlgorithm: KeyAlgorithm;
}

export interface LintContext {
  readonly profile: CertificateProfile;
  readonly issuer: LintIssuer;
  readonly selfSigned: boolean;
  /** Effective lifetime in months (profile per environment, or the caller's override). */
  readonly validityMonths: number;
  /** A lifetime in days instead of months (short-lived service certificates such as OCSP responders). */
  readonly validityDays?: number;
  readonly backdateSeconds: number;
}

export type LintResult = { readonly status: 'pass' } | { readonly status: 'fail'; readonly detail: string } | { readonly status: 'not-applicable' };

/** One check, named like zlint (`e_` = error). `source` cites the RFC section or profile rule it enforces. */
export interface Lint {
  readonly name: string;
  readonly description: string;
  readonly source: string;
  check(cert: LintCertificate, context: LintContext): LintResult;
}

export const PASS: LintResult = Object.freeze({ status: 'pass' });
export const NOT_APPLICABLE: LintResult = Object.freeze({ status: 'not-applicable' });
export const fail = (detail: string): LintResult => ({ status: 'fail', detail });
/** Pass when `ok`, otherwise fail with the detail (a function when building it costs something). */
export const expect = (ok: boolean, detail: string | (() => string)): LintResult => (ok ? PASS : fail(typeof detail === 'function' ? detail() : detail));
