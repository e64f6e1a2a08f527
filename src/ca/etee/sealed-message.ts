import {
  createCipheriv,
  createDecipheriv,
  createHash,
  constants,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  timingSafeEqual,
  verify,
  type KeyObject,
} from 'node:crypto';
import { id_data, id_envelopedData, id_signedData } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import { BerError, berChildren, berRaw, berValue, readBerElement, TAG_CLASS, type BerElement } from '../../asn1/ber.js';
import { DerError, decodeOid, decodeTime } from '../../asn1/der.js';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';
import type { KeySigner } from '../keys/key-signer.js';
import { derSequence, derTree, DerTree, type DerPart, encodeOid, encodeSequence, encodeTime, encodeTlv, TAG } from '../x509/der.js';
import { BoundedCache } from '../../trust/trust-store.js';
import { parseCertificate as parseCertificateUncached, type ParsedCertificate } from '../../x509/certificate.js';

/**
 * eHealth sealed messages ("triple wrap"), as the ETEE crypto library (etee-crypto-lib 2.2, in the connector) makes
 * and reads them: an inner CMS SignedData (the content, signed by the sender's authentication key), put in a CMS
 * EnvelopedData for its recipients, put in an outer CMS SignedData signed by the same key. Both SignedData carry the
 * content as id-data with signed attributes; their SignerInfos name the signer by issuer and serial number.
 *
 * Algorithms, from the library's EncryptionPolicy and SigningPolicy: content AES-128-CBC; a known recipient (an ETK's
 * encryption certificate) by KeyTransRecipientInfo with rsaEncryption (PKCS#1 v1.5); an unknown recipient (a KGSS
 * key) by KEKRecipientInfo with AES key wrap (RFC 3394), its identifier the raw bytes of the KGSS key id. Signatures:
 * the library signs with RSASSA-PSS (eHealth certificates) or SHA256withRSA (eID); both are read. We sign with
 * SHA256withRSA (PKCS#1 v1.5), which every version of the library verifies, and which our key custody (files, PKCS#11
 * CKM_SHA256_RSA_PKCS) provides. BER input (indefinite lengths, chunked octet strings, as Bouncy Castle writes it)
 * is read. @peculiar/asn1-cms gives the OIDs; the structures are written and read here (see below for why).
 */

const OID = {
  aes128cbc: '2.16.840.1.101.3.4.1.2',
  aes192cbc: '2.16.840.1.101.3.4.1.22',
  aes256cbc: '2.16.840.1.101.3.4.1.42',
  aes128wrap: '2.16.840.1.101.3.4.1.5',
  aes192wrap: '2.16.840.1.101.3.4.1.25',
  aes256wrap: '2.16.840.1.101.3.4.1.45',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  sha384WithRsa: '1.2.840.113549.1.1.12',
  sha512WithRsa: '1.2.840.113549.1.1.13',
  rsassaPss: '1.2.840.113549.1.1.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
} as const;

const CONTENT_CIPHERS: Record<string, { name: string; keyLength: number }> = {
  [OID.aes128cbc]: { name: 'aes-128-cbc', keyLength: 16 },
  [OID.aes192cbc]: { name: 'aes-192-cbc', keyLength: 24 },
  [OID.aes256cbc]: { name: 'aes-256-cbc', keyLength: 32 },
};
const KEY_WRAPS: Record<string, { name: string; keyLength: number }> = {
  [OID.aes128wrap]: { name: 'id-aes128-wrap', keyLength: 16 },
  [OID.aes192wrap]: { name: 'id-aes192-wrap', keyLength: 24 },
  [OID.aes256wrap]: { name: 'id-aes256-wrap', keyLength: 32 },
};
const DIGESTS: Record<string, string> = { [OID.sha256]: 'sha256', [OID.sha384]: 'sha384', [OID.sha512]: 'sha512' };
const RFC3394_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');

/** The same few certificates (ours, our correspondents') come back in every message: parsing one costs a key import. */
const parsedCertificates = new BoundedCache<ParsedCertificate>(512);
function parseCertificate(der: Buffer): ParsedCertificate {
  const key = der.toString('base64');
  const cached = parsedCertificates.get(key);
  if (cached) return cached;
  const parsed = parseCertificateUncached(der);
  parsedCertificates.set(key, parsed);
  return parsed;
}

/** Why a sealed message was refused; the text says more, for the log (never key material). */
export type SealedMessageFault = 'malformed' | 'unsupported' | 'bad-signature' | 'not-for-us' | 'undecryptable' | 'signers-differ' | 'too-large';

export class SealedMessageError extends Error {
  constructor(
    readonly fault: SealedMessageFault,
    message: string,
  ) {
    super(message);
    this.name = 'SealedMessageError';
  }
}

export interface SealingSender {
  /** DER of the sender's authentication certificate. */
  readonly certificate: Buffer;
  /** DER of its CA chain (carried in both SignedData so a reader can build the path). */
  readonly chain: readonly Buffer[];
  /** The certificate's key; RSA. */
  readonly signer: KeySigner;
}

export type SealRecipient =
  /** A known recipient: the encryption certificate of its ETK. */
  | { readonly certificate: Buffer }
  /** An unknown recipient: a symmetric key (a KGSS key) and its identifier. */
  | { readonly kek: Buffer; readonly kekIdentifier: Buffer };

/**
 * One of our encryption certificates with its private key: in memory, or as the raw RSA operation of a key kept
 * elsewhere (a PKCS#11 token: c^d mod n at the modulus length; the PKCS#1 v1.5 padding is removed here). `rawDecrypt`
 * answers undefined for input that is no ciphertext of this key, and throws when the key cannot be used (a server
 * fault, not the sender's).
 */
export type DecryptionKey =
  | { readonly certificate: Buffer; readonly privateKey: KeyObject }
  | { readonly certificate: Buffer; readonly rawDecrypt: (block: Buffer) => Buffer | undefined };

export interface UnsealingKeys {
  /** Our encryption certificates with their private keys (an ETK's encryption key pair). */
  readonly decryptionKeys?: readonly DecryptionKey[];
  /**
   * Symmetric keys by identifier (KEKRecipientInfo). Without an identifier the key is tried on the KEK recipient
   * whatever its identifier, as the eHealth library does with the one-off key of a KGSS GetKey.
   */
  readonly keks?: ReadonlyArray<{ readonly identifier?: Buffer; readonly key: Buffer }>;
}

export interface UnsealedMessage {
  readonly content: Buffer;
  /** The signer of both SignedData (the sender), as it was carried; its trust is the caller's to establish. */
  readonly signer: ParsedCertificate;
  /** Every certificate the outer SignedData carried (the signer's chain, to build the path from). */
  readonly certificates: readonly Buffer[];
  readonly signingTime: Date | undefined;
}

export interface UnsealLimits {
  /** Largest sealed message read (bytes). */
  readonly maxBytes: number;
}

// ---------------------------------------------------------------------------------------------------------------------
// Sealing

export async function seal(content: Buffer, sender: SealingSender, recipients: readonly SealRecipient[], now: Date): Promise<Buffer> {
  if (recipients.length === 0) throw new SealedMessageError('unsupported', 'a sealed message needs at least one recipient');
  if (sender.signer.keyAlgorithm !== 'RSA') throw new SealedMessageError('unsupported', 'the sender key must be RSA');
  const inner = (await signedData(content, sender, now)).toBuffer();
  const enveloped = envelope(inner, recipients);
  return (await signedData(enveloped, sender, now)).toBuffer();
}

/*
 * The messages are encoded here with the DER primitives the CA already uses for CSRs and TBSCertificates: certificates
 * go in byte for byte, and the encoding costs microseconds (the @peculiar/asn1-schema classes took milliseconds per
 * attribute and certificate, most of a KGSS call). The nesting around the content is a DerTree, written once at the
 * end (encodeTlv at each level copied the content at each level: ~55 KB of buffers per sealed answer). Reading
 * (below) walks BER elements read lazily.
 */

const NO_PARAMETERS = encodeTlv(TAG.NULL);
const algorithm = (oid: string, parameters?: Buffer) => encodeSequence(encodeOid(oid), ...(parameters ? [parameters] : []));
const explicit = (tagNumber: number, content: DerPart) => derTree(0xa0 | tagNumber, content);
const issuerAndSerial = (certificate: ParsedCertificate) => encodeSequence(certificate.issuerDer, encodeTlv(TAG.INTEGER, certificate.serialNumber));

async function signedData(content: Buffer | DerTree, sender: SealingSender, now: Date): Promise<DerTree> {
  const certificate = parseCertificate(sender.certificate);
  if (!certificate.spkiDer.equals(sender.signer.publicKeySpki)) throw new SealedMessageError('unsupported', "the sender's key is not its certificate's");
  const attribute = (type: string, value: Buffer) => encodeSequence(encodeOid(type), encodeTlv(TAG.SET, value));
  const contentDigest = createHash('sha256');
  if (content instanceof DerTree) content.feed((bytes) => contentDigest.update(bytes));
  else contentDigest.update(content);
  // DER SET OF: members in ascending order of their encodings (X.690 §11.6).
  const attributes = [
    attribute(OID.contentType, encodeOid(id_data)),
    attribute(OID.signingTime, encodeTime(now)),
    attribute(OID.messageDigest, encodeTlv(TAG.OCTET_STRING, contentDigest.digest())),
  ].sort(Buffer.compare);
  // The signature covers the attributes as a SET; they are carried as [0] IMPLICIT.
  const signature = await sender.signer.sign(encodeTlv(TAG.SET, ...attributes), 'SHA-256');
  const signerInfo = encodeSequence(
    encodeTlv(TAG.INTEGER, Buffer.from([1])),
    issuerAndSerial(certificate),
    algorithm(OID.sha256),
    encodeTlv(0xa0, ...attributes),
    algorithm(OID.sha256WithRsa, NO_PARAMETERS),
    encodeTlv(TAG.OCTET_STRING, signature),
  );
  const certificates = [sender.certificate, ...sender.chain.filter((c) => !c.equals(sender.certificate))];
  const signed = derSequence(
    encodeTlv(TAG.INTEGER, Buffer.from([1])),
    encodeTlv(TAG.SET, algorithm(OID.sha256)),
    derSequence(encodeOid(id_data), explicit(0, derTree(TAG.OCTET_STRING, content))),
    derTree(0xa0, ...certificates),
    encodeTlv(TAG.SET, signerInfo),
  );
  return derSequence(encodeOid(id_signedData), explicit(0, signed));
}

function envelope(content: Buffer, recipients: readonly SealRecipient[]): DerTree {
  const contentKey = randomBytes(16);
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-128-cbc', contentKey, iv);
  const encrypted = [cipher.update(content), cipher.final()];
  const infos = recipients.map((recipient) => {
    if ('certificate' in recipient) {
      const certificate = parseCertificate(recipient.certificate);
      if (certificate.publicKeyType !== 'rsa') throw new SealedMessageError('unsupported', 'a known recipient needs an RSA encryption certificate');
      const encryptedKey = publicEncrypt({ key: certificate.publicKey, padding: constants.RSA_PKCS1_PADDING }, contentKey);
      return encodeSequence(
        encodeTlv(TAG.INTEGER, Buffer.from([0])),
        issuerAndSerial(certificate),
        algorithm(OID.rsaEncryption, NO_PARAMETERS),
        encodeTlv(TAG.OCTET_STRING, encryptedKey),
      );
    }
    const wrap = Object.entries(KEY_WRAPS).find(([, w]) => w.keyLength === recipient.kek.length);
    if (!wrap) throw new SealedMessageError('unsupported', 'a key-encryption key must be 16, 24 or 32 bytes (AES)');
    const wrapper = createCipheriv(wrap[1].name, recipient.kek, RFC3394_IV);
    const wrapped = Buffer.concat([wrapper.update(contentKey), wrapper.final()]);
    // kekri [2] IMPLICIT KEKRecipientInfo
    return encodeTlv(
      0xa2,
      encodeTlv(TAG.INTEGER, Buffer.from([4])),
      encodeSequence(encodeTlv(TAG.OCTET_STRING, recipient.kekIdentifier)),
      algorithm(wrap[0]),
      encodeTlv(TAG.OCTET_STRING, wrapped),
    );
  });
  const version = recipients.some((recipient) => 'kek' in recipient) ? 2 : 0;
  const enveloped = derSequence(
    encodeTlv(TAG.INTEGER, Buffer.from([version])),
    encodeTlv(TAG.SET, ...infos),
    // encryptedContent [0] IMPLICIT OCTET STRING
    derSequence(encodeOid(id_data), algorithm(OID.aes128cbc, encodeTlv(TAG.OCTET_STRING, iv)), derTree(0x80, ...encrypted)),
  );
  return derSequence(encodeOid(id_envelopedData), explicit(0, enveloped));
}

// ---------------------------------------------------------------------------------------------------------------------
// Unsealing

/**
 * Opens a sealed message: the outer signature, the envelope (with one of our keys), the inner signature, and that
 * the same certificate signed both. The signer is returned as carried: the caller checks it chains to a trust anchor,
 * is valid and is not revoked before believing it.
 */
export function unseal(sealed: Buffer, keys: UnsealingKeys, limits: UnsealLimits): UnsealedMessage {
  if (sealed.length > limits.maxBytes) throw new SealedMessageError('too-large', `a sealed message of ${sealed.length} bytes exceeds ${limits.maxBytes}`);
  try {
    const outer = readSignedData(sealed, 'outer');
    const inner = readSignedData(openEnvelope(outer.content, keys), 'inner');
    if (!outer.signer.der.equals(inner.signer.der))
      throw new SealedMessageError('signers-differ', 'the inner and outer signatures are not by the same certificate');
    return { content: inner.content, signer: outer.signer, certificates: outer.certificates, signingTime: inner.signingTime ?? outer.signingTime };
  } catch (error) {
    // Whatever else fails on hostile bytes (a carried certificate that does not parse, a key that does not fit) is
    // a malformed message too: the caller gets one kind of error.
    if (error instanceof SealedMessageError) throw error;
    throw new SealedMessageError('malformed', `the sealed message is malformed (${(error as Error).message.slice(0, 160)})`);
  }
}

interface VerifiedSignedData {
  readonly content: Buffer;
  readonly signer: ParsedCertificate;
  readonly certificates: Buffer[];
  readonly signingTime: Date | undefined;
}

/*
 * Reading walks the BER elements (Bouncy Castle writes indefinite lengths and chunked octet strings) by position and
 * tag, read lazily by src/asn1/ber.ts, instead of matching @peculiar/asn1-cms schemas (about ten milliseconds per
 * sealed message) or building asn1js's whole tree (certificates included: most of what remained). Every access checks
 * the tag it expects; anything else is `malformed`.
 */

type Block = BerElement;
const UNIVERSAL = TAG_CLASS.universal;
const CONTEXT = TAG_CLASS.context;

function malformed(what: string): never {
  throw new SealedMessageError('malformed', `${what} is not what CMS puts there`);
}

/** BER reading errors are the sender's: a malformed message. */
function reading<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof BerError || error instanceof DerError) throw new SealedMessageError('malformed', `${what}: ${error.message}`);
    throw error;
  }
}

function readBer(bytes: Buffer, what: string): Block {
  return reading(what, () => readBerElement(bytes));
}

function isTag(block: Block | undefined, tagClass: number, tagNumber: number): boolean {
  return block !== undefined && block.tagClass === tagClass && block.tagNumber === tagNumber;
}

function expectBlock(block: Block | undefined, tagClass: number, tagNumber: number, what: string): Block {
  if (!isTag(block, tagClass, tagNumber)) malformed(what);
  return block!;
}

/** The elements inside a constructed block (a SEQUENCE, SET or constructed context tag). */
function childrenOf(block: Block, what: string): Block[] {
  if (!block.constructed) malformed(what);
  return reading(what, () => berChildren(block));
}

/** The bytes of an element as it was read. */
function rawOf(block: Block): Buffer {
  return Buffer.from(berRaw(block));
}

/** The octets of an OCTET STRING (or of an implicitly tagged one), primitive or constructed of chunks. */
function octetsOf(block: Block, what: string): Buffer {
  // A view, not a copy: the message's buffer outlives the reading, and nothing writes to either.
  if (!block.constructed) return berValue(block);
  return Buffer.concat(childrenOf(block, what).map((chunk) => octetsOf(expectBlock(chunk, UNIVERSAL, 4, what), what)));
}

function oidOf(block: Block | undefined, what: string): string {
  if (!isTag(block, UNIVERSAL, 6) || block!.constructed) malformed(what);
  return reading(what, () => decodeOid(berValue(block!)));
}

function integerOctets(block: Block | undefined, what: string): Buffer {
  const integer = expectBlock(block, UNIVERSAL, 2, what);
  if (integer.constructed) malformed(what);
  return Buffer.from(berValue(integer));
}

/** A UTCTime or GeneralizedTime (the signingTime attribute), undefined for anything else. */
function timeOf(block: Block | undefined): Date | undefined {
  if (block === undefined || block.constructed || !(isTag(block, UNIVERSAL, 23) || isTag(block, UNIVERSAL, 24))) return undefined;
  try {
    return decodeTime(block.buffer, { tag: block.tagNumber, start: block.start, valueStart: block.valueStart, end: block.valueEnd });
  } catch {
    return undefined;
  }
}

/** ContentInfo { contentType, [0] EXPLICIT content } of the expected type: its content element. */
function contentOf(bytes: Buffer, expectedType: string, what: string): Block {
  const [type, explicit] = childrenOf(expectBlock(readBer(bytes, what), UNIVERSAL, 16, what), what);
  const contentType = oidOf(type, `${what} contentType`);
  if (contentType !== expectedType) throw new SealedMessageError('malformed', `${what} is a ${contentType}, not a ${expectedType}`);
  const [content] = childrenOf(expectBlock(explicit, CONTEXT, 0, what), what);
  return content ?? malformed(what);
}

interface AlgorithmIdentifierRead {
  readonly oid: string;
  readonly parameters: Block | undefined;
}

function algorithmOf(block: Block | undefined, what: string): AlgorithmIdentifierRead {
  const [oid, parameters] = childrenOf(expectBlock(block, UNIVERSAL, 16, what), what);
  return { oid: oidOf(oid, what), parameters };
}

function readSignedData(bytes: Buffer, which: 'outer' | 'inner'): VerifiedSignedData {
  const what = `the ${which} SignedData`;
  const fields = childrenOf(expectBlock(contentOf(bytes, id_signedData, what), UNIVERSAL, 16, what), what);
  // version, digestAlgorithms, encapContentInfo, [0] certificates?, [1] crls?, signerInfos
  const encapsulated = childrenOf(expectBlock(fields[2], UNIVERSAL, 16, `${what} encapContentInfo`), what);
  const eContentType = oidOf(encapsulated[0], `${what} eContentType`);
  if (!isTag(encapsulated[1], CONTEXT, 0))
    throw new SealedMessageError('malformed', `${what} carries no content (detached signatures are not sealed messages)`);
  const [eContent] = childrenOf(encapsulated[1]!, what);
  const content = octetsOf(expectBlock(eContent, UNIVERSAL, 4, `${what} content`), `${what} content`);
  const rest = fields.slice(3);
  const certificates = isTag(rest[0], CONTEXT, 0)
    ? childrenOf(rest.shift()!, `${what} certificates`)
        .filter((choice) => isTag(choice, UNIVERSAL, 16))
        .map(rawOf)
    : [];
  if (isTag(rest[0], CONTEXT, 1)) rest.shift();
  if (certificates.length > 16) throw new SealedMessageError('too-large', `${what} carries ${certificates.length} certificates`);
  const signerInfos = childrenOf(expectBlock(rest[0], UNIVERSAL, 17, `${what} signerInfos`), what);
  if (signerInfos.length !== 1) throw new SealedMessageError('unsupported', `${what} has ${signerInfos.length} signers; one is expected`);
  // SignerInfo: version, sid, digestAlgorithm, [0] signedAttrs?, signatureAlgorithm, signature, [1] unsignedAttrs?
  const info = childrenOf(expectBlock(signerInfos[0], UNIVERSAL, 16, `${what} SignerInfo`), what);
  const signer = findSigner(info[1], certificates, what);
  const digestName = DIGESTS[algorithmOf(info[2], `${what} digestAlgorithm`).oid];
  if (!digestName) throw new SealedMessageError('unsupported', `${what}: its digest algorithm is not accepted`);
  if (!isTag(info[3], CONTEXT, 0)) throw new SealedMessageError('unsupported', `${what} has no signed attributes`);
  const attributes = childrenOf(info[3]!, `${what} signedAttrs`);
  const signatureAlgorithm = algorithmOf(info[4], `${what} signatureAlgorithm`);
  const signature = octetsOf(expectBlock(info[5], UNIVERSAL, 4, `${what} signature`), what);
  const attributeValue = (type: string): Block | undefined => {
    const attribute = attributes.find((a) => oidOf(childrenOf(a, what)[0], `${what} attribute`) === type);
    return attribute ? childrenOf(expectBlock(childrenOf(attribute, what)[1], UNIVERSAL, 17, `${what} attribute values`), what)[0] : undefined;
  };
  const messageDigest = attributeValue(OID.messageDigest);
  const carried = messageDigest ? octetsOf(expectBlock(messageDigest, UNIVERSAL, 4, `${what} messageDigest`), what) : undefined;
  const digest = createHash(digestName).update(content).digest();
  if (!carried || carried.length !== digest.length || !timingSafeEqual(carried, digest)) {
    throw new SealedMessageError('bad-signature', `${what}: the content does not match its messageDigest`);
  }
  const contentType = attributeValue(OID.contentType);
  if (!contentType || oidOf(contentType, `${what} contentType attribute`) !== eContentType) {
    throw new SealedMessageError('bad-signature', `${what}: the contentType attribute does not match the content`);
  }
  // The signature covers the DER of the attributes as a SET OF (tag 31, members in DER order), not the [0] they are
  // carried in; members are taken as carried, only the SET around them is encoded again.
  const members = attributes.map(rawOf);
  const candidates = [encodeTlv(TAG.SET, ...[...members].sort(Buffer.compare)), encodeTlv(TAG.SET, ...members)];
  if (!candidates.some((signed) => verifySignerInfo(signatureAlgorithm, signature, digestName, signed, signer))) {
    throw new SealedMessageError('bad-signature', `${what}: the signature does not verify`);
  }
  const signingTime = attributeValue(OID.signingTime);
  return {
    content,
    signer,
    certificates,
    signingTime: timeOf(signingTime),
  };
}

/** The carried certificate a SignerIdentifier (issuerAndSerialNumber, or [0] subjectKeyIdentifier) designates. */
function findSigner(sid: Block | undefined, certificates: readonly Buffer[], what: string): ParsedCertificate {
  if (isTag(sid, UNIVERSAL, 16)) {
    const [issuer, serial] = childrenOf(sid!, what);
    const issuerDer = rawOf(issuer ?? malformed(what));
    const serialNumber = integerOctets(serial, what);
    for (const der of certificates) {
      const certificate = parseCertificate(der);
      if (issuerDer.equals(certificate.issuerDer) && serialNumber.equals(certificate.serialNumber)) return certificate;
    }
  } else if (isTag(sid, CONTEXT, 0)) {
    const keyIdentifier = octetsOf(sid!, what);
    for (const der of certificates) {
      const certificate = parseCertificate(der);
      if (certificate.subjectKeyIdentifier?.equals(keyIdentifier)) return certificate;
    }
  } else {
    malformed(`${what} signer identifier`);
  }
  throw new SealedMessageError('unsupported', `${what}: the signer's certificate is not carried in the message`);
}

function verifySignerInfo(algorithm: AlgorithmIdentifierRead, signature: Buffer, digestName: string, data: Buffer, signer: ParsedCertificate): boolean {
  const oid = algorithm.oid;
  if (oid === OID.rsaEncryption || oid === OID.sha256WithRsa || oid === OID.sha384WithRsa || oid === OID.sha512WithRsa) {
    return verify(digestName, data, { key: signer.publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
  }
  if (oid === OID.rsassaPss) {
    if (!algorithm.parameters) throw new SealedMessageError('unsupported', 'RSASSA-PSS without parameters');
    const pss = AsnConvert.parse(rawOf(algorithm.parameters), RsaSaPssParams);
    const hash = DIGESTS[pss.hashAlgorithm.algorithm];
    if (!hash) throw new SealedMessageError('unsupported', `RSASSA-PSS with hash ${pss.hashAlgorithm.algorithm}`);
    return verify(hash, data, { key: signer.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pss.saltLength }, signature);
  }
  if (oid === OID.ecdsaWithSha256 || oid === OID.ecdsaWithSha384) {
    return verify(digestName, data, { key: signer.publicKey, dsaEncoding: 'der' }, signature);
  }
  throw new SealedMessageError('unsupported', `signature algorithm ${oid} is not accepted`);
}

function openEnvelope(bytes: Buffer, keys: UnsealingKeys): Buffer {
  const what = 'the EnvelopedData';
  const fields = childrenOf(expectBlock(contentOf(bytes, id_envelopedData, what), UNIVERSAL, 16, what), what);
  // version, [0] originatorInfo?, recipientInfos, encryptedContentInfo, [1] unprotectedAttrs?
  const rest = fields.slice(1);
  if (isTag(rest[0], CONTEXT, 0)) rest.shift();
  const recipients = childrenOf(expectBlock(rest[0], UNIVERSAL, 17, `${what} recipientInfos`), what);
  if (recipients.length > 256) throw new SealedMessageError('too-large', 'more than 256 recipients');
  const [contentType, encryptionAlgorithm, encryptedContent] = childrenOf(expectBlock(rest[1], UNIVERSAL, 16, `${what} encryptedContentInfo`), what);
  oidOf(contentType, `${what} content type`);
  const algorithm = algorithmOf(encryptionAlgorithm, `${what} content encryption`);
  const cipher = CONTENT_CIPHERS[algorithm.oid];
  if (!cipher) throw new SealedMessageError('unsupported', `content encryption ${algorithm.oid} is not accepted`);
  const iv = algorithm.parameters && isTag(algorithm.parameters, UNIVERSAL, 4) ? octetsOf(algorithm.parameters, 'the IV') : undefined;
  if (iv?.length !== 16) throw new SealedMessageError('malformed', 'the content encryption IV is not 16 bytes');
  if (!isTag(encryptedContent, CONTEXT, 0)) throw new SealedMessageError('malformed', `${what} carries no encrypted content`);
  const encrypted = octetsOf(encryptedContent!, 'the encrypted content');
  const contentKey = recoverContentKey(recipients, keys, cipher.keyLength);
  try {
    const decipher = createDecipheriv(cipher.name, contentKey, iv);
    return Buffer.concat([decipher.update(encrypted), decipher.final()]);
  } catch {
    // The same answer whether the key was wrong or the padding: no oracle.
    throw new SealedMessageError('undecryptable', 'the message could not be decrypted');
  }
}

function recoverContentKey(recipients: readonly Block[], keys: UnsealingKeys, keyLength: number): Buffer {
  for (const recipient of recipients) {
    if (isTag(recipient, UNIVERSAL, 16)) {
      // KeyTransRecipientInfo: version, rid (issuerAndSerialNumber | [0] subjectKeyIdentifier), algorithm, encryptedKey
      const [, rid, keyEncryption, encryptedKey] = childrenOf(recipient, 'a KeyTransRecipientInfo');
      const ours = (keys.decryptionKeys ?? []).find(({ certificate }) => {
        const parsed = parseCertificate(certificate);
        if (isTag(rid, UNIVERSAL, 16)) {
          const [issuer, serial] = childrenOf(rid!, 'a recipient identifier');
          return issuer !== undefined && rawOf(issuer).equals(parsed.issuerDer) && integerOctets(serial, 'a recipient serial').equals(parsed.serialNumber);
        }
        return isTag(rid, CONTEXT, 0) && parsed.subjectKeyIdentifier?.equals(octetsOf(rid!, 'a recipient key identifier')) === true;
      });
      if (!ours) continue;
      if (algorithmOf(keyEncryption, 'the key transport').oid !== OID.rsaEncryption)
        throw new SealedMessageError('unsupported', 'only rsaEncryption key transport is accepted');
      const rawDecrypt = 'rawDecrypt' in ours ? ours.rawDecrypt : rawDecryptWith(ours.privateKey);
      return rsaPkcs1v15KeyUnwrap(rawDecrypt, octetsOf(expectBlock(encryptedKey, UNIVERSAL, 4, 'the encrypted key'), 'the encrypted key'), keyLength);
    }
    if (isTag(recipient, CONTEXT, 2)) {
      // KEKRecipientInfo: version, kekid { keyIdentifier, … }, keyEncryptionAlgorithm, encryptedKey
      const [, kekid, keyEncryption, encryptedKey] = childrenOf(recipient, 'a KEKRecipientInfo');
      const identifier = octetsOf(
        expectBlock(childrenOf(expectBlock(kekid, UNIVERSAL, 16, 'a KEK identifier'), 'a KEK identifier')[0], UNIVERSAL, 4, 'a KEK identifier'),
        'a KEK identifier',
      );
      const kek = (keys.keks ?? []).find((candidate) => candidate.identifier === undefined || candidate.identifier.equals(identifier));
      if (!kek) continue;
      const wrap = KEY_WRAPS[algorithmOf(keyEncryption, 'the key wrap').oid];
      if (!wrap || wrap.keyLength !== kek.key.length) throw new SealedMessageError('unsupported', 'the key wrap does not fit the key-encryption key');
      try {
        const unwrapper = createDecipheriv(wrap.name, kek.key, RFC3394_IV);
        const key = Buffer.concat([
          unwrapper.update(octetsOf(expectBlock(encryptedKey, UNIVERSAL, 4, 'the wrapped key'), 'the wrapped key')),
          unwrapper.final(),
        ]);
        if (key.length === keyLength) return key;
      } catch {
        // an integrity failure of the wrap: the same answer as any other
      }
      throw new SealedMessageError('undecryptable', 'the message could not be decrypted');
    }
  }
  throw new SealedMessageError('not-for-us', 'the message is not addressed to any of our keys');
}

/** c^d mod n with a key in memory; undefined for input that is no ciphertext of it (too long, not below the modulus). */
function rawDecryptWith(privateKey: KeyObject): (block: Buffer) => Buffer | undefined {
  return (block) => {
    try {
      return privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, block);
    } catch {
      return undefined;
    }
  };
}

/**
 * RSAES-PKCS1-v1_5 decryption of a content-encryption key. Node 20 refuses PKCS#1 v1.5 private decryption outright
 * (CVE-2023-46809, the Marvin timing attack); CMS senders (the eHealth library, OpenSSL) still use it. So the RSA
 * operation runs without padding and the padding is checked here without branching on secret data; a bad padding
 * yields a random key (RFC 3218 §2.3.2), which then fails the content decryption like any wrong key would.
 */
function rsaPkcs1v15KeyUnwrap(rawDecrypt: (block: Buffer) => Buffer | undefined, encryptedKey: Buffer, keyLength: number): Buffer {
  const fallback = randomBytes(keyLength);
  const block = rawDecrypt(encryptedKey);
  if (block === undefined) return fallback;
  const n = block.length;
  // EM = 0x00 || 0x02 || PS (>= 8 non-zero bytes) || 0x00 || key, with the key of the expected length.
  const separator = n - keyLength - 1;
  let bad = block[0]! | (block[1]! ^ 0x02) | block[separator]!;
  for (let index = 2; index < separator; index += 1) bad |= block[index]! === 0 ? 1 : 0;
  if (separator < 10) bad |= 1;
  const mask = bad === 0 ? 0xff : 0x00;
  const key = Buffer.alloc(keyLength);
  for (let index = 0; index < keyLength; index += 1) key[index] = (block[separator + 1 + index]! & mask) | (fallback[index]! & ~mask & 0xff);
  return key;
}
