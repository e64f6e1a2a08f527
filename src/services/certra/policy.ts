import { addMonths } from '../../domain/clock.js';
import type { Environment } from '../../domain/environment.js';

/**
 * How requests are validated:
 * - 'on-file' (default): automatically when the request rests on a registration on file. In acceptance that is a
 *   test case registered for the certificate identifier and the signer (eHealth's acceptance practice: project
 *   manager registers the test case, then the request is validated at once). In production it is the authorisation
 *   itself: the signer's own SSIN, proven by the eID, or a mandate registered for the organisation.
 * - 'manual': every request waits for an officer (CLI certra:requests:approve / refuse).
 * Requests of foreigners (submitCSRForForeigner) always wait for an officer: their identity is checked out of band.
 */
export type AutomaticValidationRule = 'on-file' | 'manual';

export interface CertRaPolicy {
  readonly environment: Environment;
  readonly automaticValidation: AutomaticValidationRule;
  /** How long a contract from generateContract / generateRevocationContract may be signed and sent back. */
  readonly contractValidityMs: number;
  /** A certificate may be replaced during its last months (docs/wire-facts.md §8: three months, 90 days). */
  readonly replacementPeriodMonths: number;
  /** How long a foreigner's request waits for the identity check before it lapses (the activation link's 14 days). */
  readonly foreignerValidationDays: number;
}

export function defaultCertRaPolicy(environment: Environment, automaticValidation: AutomaticValidationRule = 'on-file'): CertRaPolicy {
  return {
    environment,
    automaticValidation,
    contractValidityMs: 24 * 60 * 60 * 1000,
    replacementPeriodMonths: 3,
    foreignerValidationDays: 14,
  };
}

/** What the policy looks at to decide whether a request needs an officer. */
export interface ValidationFacts {
  readonly channel: 'eid' | 'foreigner';
  /** A test case is registered for (certificate identifier, signer SSIN). */
  readonly hasTestCase: boolean;
}

export function isAutomaticallyValidated(policy: CertRaPolicy, facts: ValidationFacts): boolean {
  if (facts.channel === 'foreigner' || policy.automaticValidation === 'manual') return false;
  // Reaching this point means the authorisation (own SSIN or mandate) was verified: in production that suffices.
  return policy.environment === 'production' ? true : facts.hasTestCase;
}

/** The first instant at which a certificate valid until notAfter may be replaced. */
export function replacementPeriodStart(policy: CertRaPolicy, notAfter: Date): Date {
  return addMonths(notAfter, -policy.replacementPeriodMonths);
}

/** Base services a certificate may be announced to (EHealthCertificateSigningRequestType/BaseServiceUsage, connector UsageType). */
export const BASE_SERVICES = ['tsa', 'consultrn', 'codage', 'other'] as const;
