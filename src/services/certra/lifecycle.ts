import type { CertificateStatus } from '../../domain/certra.js';
import type { CertRaRequestRow } from '../../storage/certra-requests.js';
import type { IssuedCertificateRow } from '../../storage/certificate-registry.js';
import { replacementPeriodStart, type CertRaPolicy } from './policy.js';

/**
 * Where a request stands at a given time, derived from the request row and the registry row of its certificate:
 * nothing here is stored, so expiry needs no job and revocation has one source of truth (issued_certificates).
 */
export interface LifecycleState {
  readonly status: CertificateStatus;
  readonly revocable: boolean;
  readonly replaceable: boolean;
  readonly replacementPeriodStart: Date | undefined;
}

/** A foreigner's request lapses when nobody validated the identity in time. */
export function hasLapsed(request: CertRaRequestRow, now: Date): boolean {
  return request.status === 'PENDING' && request.validationExpiresAt !== null && request.validationExpiresAt.getTime() <= now.getTime();
}

export function certificateStatus(request: CertRaRequestRow, certificate: IssuedCertificateRow | undefined, now: Date): CertificateStatus {
  if (request.status === 'REFUSED' || hasLapsed(request, now)) return 'REFUSED';
  if (request.status === 'PENDING' || !certificate) return 'IN_PROGRESS';
  if (certificate.revokedAt) return 'REVOKED';
  return now.getTime() >= certificate.notAfter.getTime() ? 'EXPIRED' : 'VALID_ACTIVE';
}

/**
 * @param liveReplacement a request that replaces this one and is pending, or issued and not revoked
 */
export function lifecycleState(
  policy: CertRaPolicy,
  request: CertRaRequestRow,
  certificate: IssuedCertificateRow | undefined,
  liveReplacement: boolean,
  now: Date,
): LifecycleState {
  const status = certificateStatus(request, certificate, now);
  const start = certificate && request.status === 'ISSUED' ? replacementPeriodStart(policy, certificate.notAfter) : undefined;
  return {
    status,
    revocable: status === 'VALID_ACTIVE',
    replaceable: status === 'VALID_ACTIVE' && start !== undefined && now.getTime() >= start.getTime() && !liveReplacement,
    replacementPeriodStart: start,
  };
}

/** A replacement still counts while it waits for validation or while its certificate is not revoked. */
export function isLiveReplacement(replacement: CertRaRequestRow, certificate: IssuedCertificateRow | undefined, now: Date): boolean {
  if (replacement.status === 'PENDING') return !hasLapsed(replacement, now);
  return replacement.status === 'ISSUED' && certificate !== undefined && certificate.revokedAt === null;
}
