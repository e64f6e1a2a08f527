import type { AuthenticatedSigner, SignatureRole } from '../../domain/authenticated-signer.js';
import type { Clock } from '../../domain/clock.js';
import { ServiceError } from '../../domain/errors.js';
import type { RevocationChecker, TrustStore } from '../../trust/index.js';
import type { KeyUsageName } from '../../x509/certificate.js';
import { verifyEnvelopedSignature } from '../../xml/dsig/enveloped.js';
import { SignatureError } from '../../xml/dsig/errors.js';
import type { Element } from '../../xml/parse.js';
import { authenticatedSigner } from './authenticated-signer.js';

/** The roles an RA v2 request (CertRA, EtkRA) can be signed in; WS-Security signers are ETKDepot's own gate. */
export type RequestSignatureRole = Exclude<SignatureRole, 'ws-security'>;

export interface AuthenticatedRequest {
  readonly signer: AuthenticatedSigner;
  /** The element the signature covers: read every request field from here, never from the raw document. */
  readonly request: Element;
  readonly issueInstant: Date;
}

/** Anchors, key usage and revocation source of each role. */
export interface RoleTrust {
  readonly trust: TrustStore;
  readonly requiredKeyUsage: readonly KeyUsageName[];
  /** Absent for eID roles: the eID CAs' revocation is not checked here. */
  readonly revocation?: RevocationChecker;
}

export interface SignedRequestAuthenticatorOptions {
  readonly roles: Readonly<Record<RequestSignatureRole, RoleTrust>>;
  readonly clock: Clock;
  /** Accepted distance between IssueInstant and our clock. */
  readonly clockSkewSeconds: number;
}

/** What front ends consume of the authenticator. */
export interface RequestAuthenticator {
  authenticate(requestElement: Element, role: RequestSignatureRole): Promise<AuthenticatedRequest>;
}

/**
 * The one authentication path of CertRA and EtkRA (docs/wire-facts.md §4.1): the enveloped XML-DSig inside the request
 * element must verify and chain to the anchors bound to the role, and its IssueInstant must be fresh. Failures are
 * business refusals with the public codes INVALID_SIGNATURE, UNTRUSTED_SIGNER or REQUEST_EXPIRED.
 */
export class SignedRequestAuthenticator implements RequestAuthenticator {
  constructor(private readonly options: SignedRequestAuthenticatorOptions) {}

  async authenticate(requestElement: Element, role: RequestSignatureRole): Promise<AuthenticatedRequest> {
    const { trust, requiredKeyUsage, revocation } = this.options.roles[role];
    const now = this.options.clock.now();
    let verification;
    try {
      verification = await verifyEnvelopedSignature(requestElement, { trust, at: now, requiredKeyUsage, ...(revocation ? { revocation } : {}) });
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
    const skewMs = this.options.clockSkewSeconds * 1000;
    if (Math.abs(issueInstant.getTime() - now.getTime()) > skewMs) {
      throw new ServiceError('REQUEST_EXPIRED', `IssueInstant ${issueInstantText} is more than ${this.options.clockSkewSeconds}s from the server time`);
    }
    return { signer: authenticatedSigner(verification.signer, role), request, issueInstant };
  }
}
