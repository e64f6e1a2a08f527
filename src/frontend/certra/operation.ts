import type { Clock } from '../../domain/clock.js';
import type { ServiceError } from '../../domain/errors.js';
import type { CertRaDependencies } from '../../services/certra/index.js';
import type { PlatformContext } from '../../services/platform-context.js';
import { registryRevocationChecker } from '../../services/registry-revocation.js';
import { authenticateSignedRequest, type AuthenticatedRequest } from '../../services/request-authentication.js';
import { NS } from '../../soap/namespaces.js';
import type { SoapCall, SoapOperation } from '../../soap/service.js';
import type { Child } from '../../xml/builder.js';
import { canonicalizeExclusive } from '../../xml/dsig/index.js';
import type { Element } from '../../xml/parse.js';
import { errorStatus, responseElement, successStatus } from './response-writing.js';

/** What every CertRA handler is given. */
export interface CertRaHandlerContext {
  readonly deps: CertRaDependencies;
  readonly clock: Clock;
  /** Verifies the request's enveloped signature against the anchors of the role (docs/wire-facts.md §4.1). */
  authenticate(call: SoapCall, role: SignatureRole): Promise<AuthenticatedRequest>;
}

/**
 * eid-signature: the eID "Signature" key (generateCertificate, revoke); eid-authentication: the eID "Authentication"
 * key (getActorQualities, getCertificateInfoForCitizen); ehealth: an eHealth certificate we issued, valid and not revoked
 * (getCertificateInfoForAuthenticationCertificate).
 */
export type SignatureRole = 'eid-signature' | 'eid-authentication' | 'ehealth';

export function createHandlerContext(context: PlatformContext, deps: CertRaDependencies): CertRaHandlerContext {
  const revocation = registryRevocationChecker(context.db, context.ca);
  return {
    deps,
    clock: context.clock,
    authenticate(call, role) {
      return authenticateSignedRequest(call.envelope.payload, {
        trust: role === 'eid-signature' ? context.trust.eidSignature : role === 'eid-authentication' ? context.trust.eidAuthentication : context.trust.ehealth,
        clock: context.clock,
        clockSkewSeconds: context.config.clockSkewSeconds,
        // The key usage tells the two eID keys apart: Signature = nonRepudiation only, Authentication = digitalSignature.
        requiredKeyUsage: role === 'eid-signature' ? ['nonRepudiation'] : ['digitalSignature'],
        ...(role === 'ehealth' ? { revocation } : {}),
      });
    },
  };
}

export interface CertRaOperationSpec {
  /** Operation name as in the WSDL. */
  readonly name: string;
  /** Local names of the request and response elements (certra protocol v2 namespace). */
  readonly request: string;
  readonly response: string;
  /** GetExistingApplicationIdsResponse extends ResponseType: no Status, so refusals cannot be answered in it. */
  readonly withStatus?: boolean;
  /** The response children after the Status. */
  run(call: SoapCall): Promise<Child[]>;
}

/** A CertRA operation: Success responses from `run`, and business refusals as the same response with an error status. */
export function certRaOperation(spec: CertRaOperationSpec, clock: Clock): SoapOperation {
  const withStatus = spec.withStatus ?? true;
  return {
    name: spec.name,
    requestElement: { namespace: NS.certraProtocolV2, localName: spec.request },
    async handle(call) {
      const children = await spec.run(call);
      return responseElement(spec.response, call, clock, withStatus ? successStatus() : undefined, children);
    },
    ...(withStatus ? { businessError: (error: ServiceError, call: SoapCall) => responseElement(spec.response, call, clock, errorStatus(error)) } : {}),
  };
}

/** The signed request element as evidence: its exclusive canonical form, signature included (verifiable offline). */
export function evidenceOf(signedRequest: Element): string {
  return canonicalizeExclusive(signedRequest);
}
