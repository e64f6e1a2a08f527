import type { Element } from '../xml/parse.js';
import { ServiceError } from '../domain/errors.js';
import type { Clock } from '../domain/clock.js';
import { SignatureError } from '../xml/dsig/errors.js';
import { verifyEnvelopedSignature } from '../xml/dsig/enveloped.js';
import type { VerifiedSigner } from '../xml/dsig/signer.js';
import type { RevocationChecker, TrustStore } from '../trust/index.js';
import type { KeyUsageName } from '../x509/certificate.js';

export interface AuthenticatedRequest {
  readonly signer: VerifiedSigner;
  /** The element the signature covers: read every request field from here, never from the raw document. */
  readonly request: Element;
  readonly issueInstant: Date;
}

export interface RequestAuthenticationOptions {
  readonly trust: TrustStore;
  readonly clock: Clock;
  /** Accepted distance between IssueInstant and our clock. */
  readonly clockSkewSeconds: number;
  readonly revocation?: RevocationChecker;
  readonly requiredKeyUsage?: readonly KeyUsageName[];
}

/**
 * Authenticates an RA v2 request (CertRA, EtkRA): the enveloped XML-DSig inside the request element must verify and
 * chain to the anchors bound to the role, and its IssueInstant must be fresh. Failures are business refusals with
 * the public codes INVALID_SIGNATURE, UNTRUSTED_SIGNER or REQUEST_EXPIRED.
 */
export async function authenticateSignedRequest(requestElement: Element, options: RequestAuthenticationOptions): Promise<AuthenticatedRequest> {
  const now = options.clock.now();
  let verification;
  try {
    verification = await verifyEnvelopedSignature(requestElement, {
      trust: options.trust,
      at: now,
      ...(options.revocation ? { revocation: options.revocation } : {}),
      ...(options.requiredKeyUsage ? { requiredKeyUsage: options.requiredKeyUsage } : {}),
    });
  } catch (error) {
    if (error instanceof SignatureError) {
      const untrusted = error.reason === 'UNTRUSTED' || error.reason === 'EXPIRED' || error.reason === 'REVOKED';
      throw new ServiceError(untrusted ? 'UNTRUSTED_SIGNER' : 'INVALID_SIGNATURE', `${error.reason}: ${error.detail}`, { cause: error });
    }
    throw error;
  }
  const request = verification.signedElement;
  const issueInstantText = request.getAttribute('IssueInstant');
  const issueInstant = issueInstantText ? new Date(issueInstantText) : undefined;
  if (!issueInstant || Number.isNaN(issueInstant.getTime())) throw new ServiceError('REQUEST_EXPIRED', 'IssueInstant is missing or not a dateTime');
  const skewMs = options.clockSkewSeconds * 1000;
  if (Math.abs(issueInstant.getTime() - now.getTime()) > skewMs) {
    throw new ServiceError('REQUEST_EXPIRED', `IssueInstant ${issueInstantText} is more than ${options.clockSkewSeconds}s from the server time`);
  }
  return { signer: verification.signer, request, issueInstant };
}
