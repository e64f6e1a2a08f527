import { createHash } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { type AlgorithmIdentifier, Certificate, CRLReason, type Extension } from '@peculiar/asn1-x509';
import {
  BasicOCSPResponse,
  type CertID,
  CertStatus,
  OCSPRequest,
  OCSPResponse,
  OCSPResponseStatus,
  ResponderID,
  ResponseBytes,
  ResponseData,
  RevokedInfo,
  SingleResponse,
} from '@peculiar/asn1-ocsp';
import { OID } from '../../x509/oids.js';
import { CRL_REASON_CODES } from '../crl/crl-builder.js';
import type { KeySigner } from '../keys/key-signer.js';
import type { RevocationStatus } from '../revocation-status.js';
import { signatureAlgorithmFor, signerHashOf, toAlgorithmIdentifier } from '../x509/algorithms.js';
import { splitSpki } from '../x509/public-key.js';

/**
 * RFC 6960 messages: reading an OCSPRequest and building signed BasicOCSPResponses, on @peculiar/asn1-ocsp. Nothing
 * here knows where statuses come from or how they travel (HTTP and storage live elsewhere).
 */

/** A request of more CertIDs than this is refused as malformed: no client asks for more than a chain's worth. */
export const MAX_CERT_IDS_PER_REQUEST = 64;
/** RFC 8954 §2.1: a nonce is 1 to 32 octets; longer ones are refused (and never echoed). */
export const MAX_NONCE_OCTETS = 32;

export type OcspCertIdHash = 'SHA-1' | 'SHA-256';
const HASH_BY_OID: Readonly<Record<string, OcspCertIdHash>> = { [OID.sha1]: 'SHA-1', [OID.sha256]: 'SHA-256' };
const NODE_DIGEST: Readonly<Record<OcspCertIdHash, string>> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256' };

export class OcspMalformedRequestError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OcspMalformedRequestError';
  }
}

/** One CertID as asked: the issuer's hashes, the serial, and the ASN.1 value to echo in the answer. */
export interface RequestedCertId {
  readonly hash: OcspCertIdHash;
  /** Hex of the issuer name hash and key hash. */
  readonly issuerNameHashHex: string;
  readonly issuerKeyHashHex: string;
  /** Lower-case hex of the serial's INTEGER content octets, without leading zeros. */
  readonly serialHex: string;
  /** Echoed as received (RFC 6960 §4.2.1: the response names the CertID of the request). */
  readonly asn1: CertID;
}

export interface ParsedOcspRequest {
  readonly certIds: readonly RequestedCertId[];
  /** The nonce extension as received, to echo; undefined when the request has none. */
  readonly nonce: Extension | undefined;
}

function hex(bytes: ArrayBuffer | Uint8Array): string {
  return Buffer.from(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes).toString('hex');
}

function serialHexOf(serial: ArrayBuffer): string {
  const trimmed = hex(serial).replace(/^0+/, '');
  return trimmed === '' ? '0' : trimmed;
}

/** Reads a DER OCSPRequest; anything that is not one (or asks for too much) is an OcspMalformedRequestError. */
export function parseOcspRequest(der: Uint8Array): ParsedOcspRequest {
  if (der.length === 0) throw new OcspMalformedRequestError('empty request');
  let request: OCSPRequest;
  let consumed: Buffer;
  try {
    request = AsnConvert.parse(der, OCSPRequest);
    // The parser stops after the outer SEQUENCE: trailing bytes mean a truncated or glued message. Re-encoding can
    // itself fail on what parsing let through (a zero-length UTCTime as hash parameters): malformed as well.
    consumed = Buffer.from(AsnConvert.serialize(request));
  } catch (cause) {
    throw new OcspMalformedRequestError('not a DER OCSPRequest', { cause });
  }
  if (consumed.length !== der.length) throw new OcspMalformedRequestError('bytes after the OCSPRequest, or not DER');
  const list = request.tbsRequest.requestList;
  if (list.length === 0) throw new OcspMalformedRequestError('the request names no certificate');
  if (list.length > MAX_CERT_IDS_PER_REQUEST) throw new OcspMalformedRequestError(`more than ${MAX_CERT_IDS_PER_REQUEST} certificates in one request`);
  const certIds = list.map(({ reqCert }) => {
    const hash = HASH_BY_OID[reqCert.hashAlgorithm.algorithm];
    if (hash === undefined) throw new OcspMalformedRequestError(`CertID hash algorithm ${reqCert.hashAlgorithm.algorithm} is not SHA-1 or SHA-256`);
    const length = hash === 'SHA-1' ? 20 : 32;
    if (reqCert.issuerNameHash.byteLength !== length || reqCert.issuerKeyHash.byteLength !== length) {
      throw new OcspMalformedRequestError(`CertID hashes are not ${hash} digests`);
    }
    if (reqCert.serialNumber.byteLength === 0 || reqCert.serialNumber.byteLength > 21) throw new OcspMalformedRequestError('CertID serial number out of range');
    return {
      hash,
      issuerNameHashHex: hex(reqCert.issuerNameHash.buffer),
      issuerKeyHashHex: hex(reqCert.issuerKeyHash.buffer),
      serialHex: serialHexOf(reqCert.serialNumber),
      asn1: reqCert,
    };
  });
  const nonce = request.tbsRequest.requestExtensions?.find((extension) => extension.extnID === OID.ocspNonce);
  if (nonce) {
    let value: OctetString;
    try {
      value = AsnConvert.parse(nonce.extnValue.buffer, OctetString);
    } catch (cause) {
      throw new OcspMalformedRequestError('the nonce extension does not hold an OCTET STRING', { cause });
    }
    if (value.byteLength < 1 || value.byteLength > MAX_NONCE_OCTETS)
      throw new OcspMalformedRequestError(`nonce of ${value.byteLength} octets (1 to 32 allowed)`);
  }
  return { certIds, nonce };
}

/** The hashes a CertID carries for an issuer: of its subject name (DER) and of its public key (BIT STRING value). */
export function certIdHashesOf(
  issuer: { readonly subjectDer: Buffer; readonly spkiDer: Buffer },
  hash: OcspCertIdHash,
): { nameHashHex: string; keyHashHex: string } {
  const digest = (data: Uint8Array) => createHash(NODE_DIGEST[hash]).update(data).digest('hex');
  return { nameHashHex: digest(issuer.subjectDer), keyHashHex: digest(splitSpki(issuer.spkiDer).subjectPublicKey) };
}

/** A status to state for one requested CertID, valid from thisUpdate to nextUpdate. */
export interface OcspAnswer {
  readonly certId: CertID;
  readonly status: RevocationStatus;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

export interface OcspResponderCredential {
  /** DER of the delegated responder certificate (sent in the response, so clients can check the delegation). */
  readonly certificate: Buffer;
  readonly signer: KeySigner;
}

const seconds = (date: Date) => new Date(Math.floor(date.getTime() / 1000) * 1000);

function certStatusOf(status: RevocationStatus): CertStatus {
  if (status.status === 'good') return new CertStatus({ good: null });
  if (status.status === 'unknown') return new CertStatus({ unknown: null });
  return new CertStatus({
    revoked: new RevokedInfo({
      revocationTime: seconds(status.revokedAt),
      ...(status.reason ? { revocationReason: new CRLReason(CRL_REASON_CODES[status.reason]) } : {}),
    }),
  });
}

/** A successful response, signed by the responder, with the request's nonce echoed when there was one. */
export async function buildOcspResponse(
  responder: OcspResponderCredential,
  content: { readonly producedAt: Date; readonly answers: readonly OcspAnswer[]; readonly nonce?: Extension | undefined },
): Promise<Buffer> {
  const responderCertificate = AsnConvert.parse(responder.certificate, Certificate);
  const keyHash = createHash('sha1').update(splitSpki(responder.signer.publicKeySpki).subjectPublicKey).digest();
  const data = new ResponseData({
    responderID: new ResponderID({ byKey: new OctetString(keyHash) }),
    producedAt: seconds(content.producedAt),
    responses: content.answers.map(
      (answer) =>
        new SingleResponse({
          certID: answer.certId,
          certStatus: certStatusOf(answer.status),
          thisUpdate: seconds(answer.thisUpdate),
          nextUpdate: seconds(answer.nextUpdate),
        }),
    ),
    ...(content.nonce ? { responseExtensions: [content.nonce] } : {}),
  });
  const algorithm = signatureAlgorithmFor(responder.signer.keyAlgorithm);
  const tbs = Buffer.from(AsnConvert.serialize(data));
  const signature = await responder.signer.sign(tbs, signerHashOf(algorithm));
  const basic = new BasicOCSPResponse({
    tbsResponseData: data,
    signatureAlgorithm: toAlgorithmIdentifier(algorithm) as AlgorithmIdentifier,
    signature: new Uint8Array(signature).buffer,
    certs: [responderCertificate],
  });
  return Buffer.from(
    AsnConvert.serialize(
      new OCSPResponse({
        responseStatus: OCSPResponseStatus.successful,
        responseBytes: new ResponseBytes({ responseType: OID.ocspBasic, response: new OctetString(AsnConvert.serialize(basic)) }),
      }),
    ),
  );
}

export type OcspErrorStatus = 'malformedRequest' | 'internalError' | 'tryLater' | 'unauthorized';

const ERROR_RESPONSES: Readonly<Record<OcspErrorStatus, Buffer>> = Object.fromEntries(
  (['malformedRequest', 'internalError', 'tryLater', 'unauthorized'] as const).map((status) => [
    status,
    Buffer.from(AsnConvert.serialize(new OCSPResponse({ responseStatus: OCSPResponseStatus[status] }))),
  ]),
) as Record<OcspErrorStatus, Buffer>;

/** An unsigned error response (RFC 6960 §2.3): just the status. */
export function ocspErrorResponse(status: OcspErrorStatus): Buffer {
  return ERROR_RESPONSES[status];
}
