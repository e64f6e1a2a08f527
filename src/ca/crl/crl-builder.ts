import type { KeySigner } from '../keys/key-signer.js';
import { parseCertificate, type ParsedCertificate } from '../../x509/certificate.js';
import {
  TAG,
  authorityKeyIdentifierExtension,
  encodeBitString,
  encodeGeneralizedTime,
  encodeLength,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  encodeTime,
  encodeTlv,
  encodeUnsignedInteger,
  keyIdentifierOf,
  signatureAlgorithmFor,
  signerHashOf,
  toPem,
} from '../x509/index.js';
import { AsnConvert } from '@peculiar/asn1-schema';

/**
 * X.509 v2 CRLs (RFC 5280 §5). The TBSCertList is written as DER directly: asn1js needs ~7 s to serialise 100,000
 * entries, this takes a fraction of a second. The issuer Name is copied byte for byte from the issuer certificate,
 * so relying parties match it exactly.
 */

/** RFC 5280 §5.3.1 CRLReason values (removeFromCRL is for delta CRLs, which we do not issue). */
export const CRL_REASON_CODES = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;

export type CrlReason = keyof typeof CRL_REASON_CODES;

export function crlReasonFromCode(code: number): CrlReason | undefined {
  return (Object.keys(CRL_REASON_CODES) as CrlReason[]).find((name) => CRL_REASON_CODES[name] === code);
}

export interface RevokedCertificateEntry {
  /** Hex string (as stored), bigint, or the unsigned big-endian magnitude. */
  readonly serialNumber: string | bigint | Uint8Array;
  readonly revocationDate: Date;
  /** Omitted or 'unspecified': no reasonCode entry extension (RFC 5280 §5.3.1 says not to emit unspecified). */
  readonly reason?: CrlReason;
  /** When the key is known or suspected to have been compromised (keyCompromise). */
  readonly invalidityDate?: Date;
}

export interface CrlContent {
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  /** Monotonically increasing per issuer (RFC 5280 §5.2.3), at most 20 octets. */
  readonly crlNumber: bigint | number;
  readonly entries: Iterable<RevokedCertificateEntry>;
}

export interface CrlIssuer {
  /** DER of the issuing CA certificate: its subject becomes the CRL issuer, its key identifier the AKI. */
  readonly certificate: Buffer;
  readonly signer: KeySigner;
}

export class CrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CrlError';
  }
}

const OID_CRL_NUMBER = '2.5.29.20';
const OID_REASON_CODE = '2.5.29.21';
const OID_INVALIDITY_DATE = '2.5.29.24';
const VERSION_V2 = encodeTlv(TAG.INTEGER, Buffer.from([1]));

function encodeExtension(oid: string, valueDer: Buffer, critical = false): Buffer {
  return encodeSequence(encodeOid(oid), ...(critical ? [Buffer.from([TAG.BOOLEAN, 1, 0xff])] : []), encodeOctetString(valueDer));
}

// The reasonCode extension is one of nine constant byte strings: encode each once.
const REASON_EXTENSIONS = new Map<CrlReason, Buffer>(
  (Object.entries(CRL_REASON_CODES) as [CrlReason, number][]).map(([name, code]) => [
    name,
    encodeExtension(OID_REASON_CODE, encodeTlv(0x0a, Buffer.from([code]))),
  ]),
);

function serialMagnitude(serial: string | bigint | Uint8Array): Uint8Array {
  if (typeof serial === 'bigint') {
    if (serial <= 0n) throw new CrlError('serial numbers are positive');
    const hex = serial.toString(16);
    return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  }
  if (typeof serial === 'string') {
    if (!/^([0-9a-fA-F]{2})+$/.test(serial)) throw new CrlError(`serial number must be hex, got "${serial.slice(0, 50)}"`);
    return Buffer.from(serial, 'hex');
  }
  return serial;
}

function encodeEntry(entry: RevokedCertificateEntry): Buffer {
  const serial = encodeUnsignedInteger(serialMagnitude(entry.serialNumber));
  if (serial.length > 2 + 21) throw new CrlError('serial number longer than 20 octets');
  const extensions: Buffer[] = [];
  if (entry.reason !== undefined && entry.reason !== 'unspecified') {
    const reason = REASON_EXTENSIONS.get(entry.reason);
    if (reason === undefined) throw new CrlError(`unknown revocation reason ${String(entry.reason)}`);
    extensions.push(reason);
  }
  if (entry.invalidityDate !== undefined) extensions.push(encodeExtension(OID_INVALIDITY_DATE, encodeGeneralizedTime(entry.invalidityDate)));
  const revocationDate = encodeTime(entry.revocationDate);
  return extensions.length === 0 ? encodeSequence(serial, revocationDate) : encodeSequence(serial, revocationDate, encodeSequence(...extensions));
}

/** SEQUENCE around many parts without spreading them as arguments (100,000 entries overflow the call stack). */
function sequenceOfParts(parts: readonly Buffer[]): Buffer {
  let length = 0;
  for (const part of parts) length += part.length;
  const header = Buffer.concat([Buffer.from([TAG.SEQUENCE]), encodeLength(length)]);
  return Buffer.concat([header, ...parts], header.length + length); // array spread, not argument spread: no stack limit
}

function crlNumberBytes(crlNumber: bigint | number): Buffer {
  const value = BigInt(crlNumber);
  if (value < 0n) throw new CrlError('CRL number must not be negative');
  const hex = value.toString(16);
  const encoded = encodeUnsignedInteger(Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex'));
  if (encoded.length > 2 + 20) throw new CrlError('CRL number longer than 20 octets');
  return encoded;
}

export function encodeTbsCertList(issuer: ParsedCertificate, signatureAlgorithmDer: Buffer, content: CrlContent): Buffer {
  if (!(content.nextUpdate.getTime() > content.thisUpdate.getTime())) throw new CrlError('nextUpdate must be after thisUpdate');
  const entries: Buffer[] = [];
  for (const entry of content.entries) entries.push(encodeEntry(entry));
  const crlExtensions = encodeTlv(
    0xa0,
    encodeSequence(
      Buffer.from(AsnConvert.serialize(authorityKeyIdentifierExtension(keyIdentifierOf(issuer)))),
      encodeExtension(OID_CRL_NUMBER, crlNumberBytes(content.crlNumber)),
    ),
  );
  return encodeSequence(
    VERSION_V2,
    signatureAlgorithmDer,
    issuer.subjectDer,
    encodeTime(content.thisUpdate),
    encodeTime(content.nextUpdate),
    // RFC 5280 §5.1.2.6: with no revoked certificates the list is absent, not empty.
    ...(entries.length > 0 ? [sequenceOfParts(entries)] : []),
    crlExtensions,
  );
}

/** Builds and signs a CRL; returns DER. */
export async function buildCrl(issuer: CrlIssuer, content: CrlContent): Promise<Buffer> {
  const fields = parseCertificate(issuer.certificate);
  if (!fields.spkiDer.equals(issuer.signer.publicKeySpki)) {
    throw new CrlError(`the CRL signer ${issuer.signer.description} does not hold the key of the issuer certificate`);
  }
  if (fields.keyUsage !== undefined && !fields.keyUsage.has('cRLSign')) throw new CrlError('the issuer certificate lacks keyUsage cRLSign');
  const algorithm = signatureAlgorithmFor(issuer.signer.keyAlgorithm);
  const tbs = encodeTbsCertList(fields, algorithm.der, content);
  const signature = await issuer.signer.sign(tbs, signerHashOf(algorithm));
  return encodeSequence(tbs, algorithm.der, encodeBitString(signature));
}

/** PEM with the label OpenSSL expects (`X509 CRL`; it refuses the `CRL` that @peculiar/x509 writes). */
export function crlToPem(der: Uint8Array): string {
  return toPem(der, 'X509 CRL');
}
