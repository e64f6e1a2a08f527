import type { Clock } from '../../domain/clock.js';
import type { ServiceError } from '../../domain/errors.js';
import type { CertRaDependencies } from '../../services/certra/index.js';
import { NS } from '../../soap/namespaces.js';
import type { SoapCall, SoapOperation } from '../../soap/service.js';
import type { Child } from '../../xml/builder.js';
import { canonicalizeExclusive } from '../../xml/dsig/index.js';
import type { Element } from '../../xml/parse.js';
import type { AuthenticatedRequest, RequestAuthenticator, RequestSignatureRole } from '../authentication/signed-request.js';
import { errorStatus, responseElement, successStatus } from './response-writing.js';

/** What the CertRA front end consumes: the CertRA services and the shared authentication of signed RA requests. */
export interface CertRaFrontEndDependencies {
  readonly certRa: CertRaDependencies;
  readonly authenticator: RequestAuthenticator;
  readonly clock: Clock;
  /** The base URL clients reach us on, for the foreigner validation URL. */
  readonly publicBaseUrl: string;
}

/** What every CertRA handler is given. */
export interface CertRaHandlerContext {
  readonly deps: CertRaDependencies;
  readonly clock: Clock;
  /** Verifies the request's enveloped signature against the anchors of the role (docs/wire-facts.md §4.1). */
  authenticate(call: SoapCall, role: RequestSignatureRole): Promise<AuthenticatedRequest>;
}

export function createHandlerContext(frontEnd: CertRaFrontEndDependencies): CertRaHandlerContext {
  return {
    deps: frontEnd.certRa,
    clock: frontEnd.clock,
    authenticate: (call, role) => frontEnd.authenticator.authenticate(call.envelope.payload, role),
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
