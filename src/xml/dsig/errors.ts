import type { TrustFailureReason } from '../../trust/index.js';

export type SignatureFailureReason =
  | 'MISSING'
  | 'MALFORMED'
  | 'BAD_ALGORITHM'
  | 'BAD_REFERENCE'
  | 'DIGEST_MISMATCH'
  | 'BAD_SIGNATURE_VALUE'
  | 'UNTRUSTED'
  | 'EXPIRED'
  | 'REVOKED';

/** Why an enveloped XML signature was refused. `detail` is safe to log; `trustReason` refines UNTRUSTED/EXPIRED/REVOKED. */
export class SignatureError extends Error {
  constructor(
    readonly reason: SignatureFailureReason,
    readonly detail: string,
    readonly trustReason?: TrustFailureReason,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'SignatureError';
  }
}

export type WsSecurityFailureReason = SignatureFailureReason | 'BAD_KEY_INFO' | 'TIMESTAMP_EXPIRED' | 'TIMESTAMP_IN_FUTURE';

/** Why a WS-Security header was refused. */
export class WsSecurityError extends Error {
  constructor(
    readonly reason: WsSecurityFailureReason,
    readonly detail: string,
    readonly trustReason?: TrustFailureReason,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'WsSecurityError';
  }
}

/** An attacker-supplied value as it may appear in a detail: quoted, control characters escaped, at most 80 characters. */
export function shown(value: string | null | undefined): string {
  if (value === undefined || value === null) return '(none)';
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

/** Collapses the detailed path-validation outcome into the coarse reasons callers map to statuses. */
export function signatureReasonForTrust(reason: TrustFailureReason): SignatureFailureReason {
  switch (reason) {
    case 'EXPIRED':
    case 'NOT_YET_VALID':
      return 'EXPIRED';
    case 'REVOKED':
      return 'REVOKED';
    case 'MALFORMED':
      return 'MALFORMED';
    default:
      return 'UNTRUSTED';
  }
}
