import type { AuthenticatedSigner } from '../../domain/authenticated-signer.js';
import type { Clock } from '../../domain/clock.js';
import { SoapFault } from '../../soap/fault.js';
import type { RevocationChecker, TrustStore } from '../../trust/index.js';
import { DSIG_NS } from '../../xml/dsig/algorithms.js';
import { WsSecurityError } from '../../xml/dsig/errors.js';
import { signSoapPayload } from '../../xml/dsig/ws-security-sign.js';
import { verifyWsSecurity } from '../../xml/dsig/ws-security-verify.js';
import { descendantsNamed, type Document, type Element } from '../../xml/parse.js';
import type { ResponseSigningCredential } from '../../services/response-signing-credential.js';
import { authenticatedSigner } from '../authentication/authenticated-signer.js';

/** A Timestamp older than this is refused whatever its Expires says: it bounds the replay window. */
const MAX_TIMESTAMP_AGE_SECONDS = 300;
/** Expires of our response Timestamps (the connector's default TTL). */
const RESPONSE_TIMESTAMP_TTL_SECONDS = 60;

export interface VerifiedWsSecurity {
  readonly signer: AuthenticatedSigner;
  /** The soap:Body whose digest verified: the request is read from this element only. */
  readonly body: Element;
}

export interface WsSecurityGateOptions {
  readonly clock: Clock;
  /** Configured anchors plus our own hierarchy. */
  readonly trust: TrustStore;
  /** Revocation of signers' certificates (the registry for our own, cached: services/signer-revocation.ts). */
  readonly revocation: RevocationChecker;
  readonly clockSkewSeconds: number;
  /** ETKDEPOT_REQUIRE_SIGNATURE: refuse requests without a WS-Security signature. */
  readonly requireSignature: boolean;
}

/**
 * WS-Security on ETKDepot (docs/wire-facts.md §3, §4.2, §4.4). The technical connector sends no header, so unsigned
 * requests are served unless signatures are required. A Security header that carries a signature is always verified,
 * in the hardened order of verifyWsSecurity (structure, algorithms, references by wsu:Id to the real Body and
 * Timestamp, certificate from the BST only and chained to an anchor, freshness, revocation last); a failure is a
 * Client fault.
 */
export class WsSecurityGate {
  constructor(private readonly options: WsSecurityGateOptions) {}

  /** A request without any signature: accepted (undefined) unless signatures are required. */
  acceptUnsigned(): undefined {
    if (this.options.requireSignature) throw new SoapFault('WS_SECURITY_REQUIRED');
    return undefined;
  }

  /** Undefined for an accepted unsigned request. Throws the SoapFault WS_SECURITY_REQUIRED or WS_SECURITY_INVALID (Client faults). */
  async verify(document: Document): Promise<VerifiedWsSecurity | undefined> {
    // A signature anywhere means the client meant to sign: it is verified (a misplaced one is refused), never ignored.
    // A Security header without any (e.g. a lone Timestamp, as some stacks add) is tolerated as unsigned.
    if (descendantsNamed(document, DSIG_NS, 'Signature').length === 0) return this.acceptUnsigned();
    try {
      const verification = await verifyWsSecurity(document, {
        trust: this.options.trust,
        at: this.options.clock.now(),
        revocation: this.options.revocation,
        clockSkewSeconds: this.options.clockSkewSeconds,
        maxTimestampAgeSeconds: MAX_TIMESTAMP_AGE_SECONDS,
      });
      return { signer: authenticatedSigner(verification.signer, 'ws-security'), body: verification.body };
    } catch (error) {
      if (error instanceof WsSecurityError) throw new SoapFault('WS_SECURITY_INVALID', `${error.reason}: ${error.detail}`, { cause: error });
      throw error;
    }
  }
}

/** Signs ETKDepot responses: WS-Security X.509 (Timestamp, BST, Body signed), without mustUnderstand. */
export interface ResponseSigner {
  readonly certificate: Buffer;
  /** The signed response envelope around this payload element (see signSoapPayload for payloadIsCanonical). */
  signPayload(payloadXml: string, options?: { payloadIsCanonical?: boolean }): string;
}

export function responseSigner(credential: ResponseSigningCredential, clock: Clock): ResponseSigner {
  return {
    certificate: credential.certificate,
    signPayload: (payloadXml, signOptions) =>
      signSoapPayload(payloadXml, {
        payloadIsCanonical: signOptions?.payloadIsCanonical,
        key: credential.key,
        certificate: credential.certificate,
        mustUnderstand: false,
        timestampTtlSeconds: RESPONSE_TIMESTAMP_TTL_SECONDS,
        now: clock.now(),
      }),
  };
}
