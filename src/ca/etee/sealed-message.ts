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
import {
  Attribute,
  CertificateChoices,
  CertificateSet,
  CMSVersion,
  ContentInfo,
  DigestAlgorithmIdentifier,
  DigestAlgorithmIdentifiers,
  EncapsulatedContent,
  EncapsulatedContentInfo,
  EncryptedContent,
  EncryptedContentInfo,
  EnvelopedData,
  IssuerAndSerialNumber,
  KEKIdentifier,
  KEKRecipientInfo,
  KeyTransRecipientInfo,
  RecipientIdentifier,
  RecipientInfo,
  RecipientInfos,
  SignatureAlgorithmIdentifier,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
  id_data,
  id_envelopedData,
  id_signedData,
} from '@peculiar/asn1-cms';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn1js from 'asn1js';
import { AlgorithmIdentifier, Certificate, Name } from '@peculiar/asn1-x509';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';
import type { KeySigner } from '../keys/key-signer.js';
import { encodeOid, encodeTime, encodeTlv, TAG } from '../x509/der.js';
import { parseCertificate, type ParsedCertificate } from '../../x509/certificate.js';

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
 * CKM_SHA256_RSA_PKCS) provides. BER input (indefinite lengths, chunked octet strings, as Bouncy Castle's stream
 * generators write) is read.
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

export interface UnsealingKeys {
  /** Our encryption certificates with their private keys (an ETK's encryption key pair). */
  readonly decryptionKeys?: ReadonlyArray<{ readonly certificate: Buffer; readonly privateKey: KeyObject }>;
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

const toArrayBuffer = (bytes: Uint8Array): ArrayBuffer => {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy.buffer;
};

// ---------------------------------------------------------------------------------------------------------------------
// Sealing

export async function seal(content: Buffer, sender: SealingSender, recipients: readonly SealRecipient[], now: Date): Promise<Buffer> {
  if (recipients.length === 0) throw new SealedMessageError('unsupported', 'a sealed message needs at least one recipient');
  if (sender.signer.keyAlgorithm !== 'RSA') throw new SealedMessageError('unsupported', 'the sender key must be RSA');
  const inner = await signedData(content, sender, now);
  const enveloped = envelope(inner, recipients);
  return signedData(enveloped, sender, now);
}

async function signedData(content: Buffer, sender: SealingSender, now: Date): Promise<Buffer> {
  const certificate = parseCertificate(sender.certificate);
  if (!certificate.spkiDer.equals(sender.signer.publicKeySpki)) throw new SealedMessageError('unsupported', "the sender's key is not its certificate's");
  const attributes = [
    attribute(OID.contentType, encodeOid(id_data)),
    attribute(OID.signingTime, encodeTime(now)),
    attribute(OID.messageDigest, encodeTlv(TAG.OCTET_STRING, createHash('sha256').update(content).digest())),
  ];
  // DER SET OF: members in ascending order of their encodings (X.690 §11.6).
  const encoded = attributes.map((a) => Buffer.from(AsnConvert.serialize(a))).sort(Buffer.compare);
  const signature = await sender.signer.sign(encodeTlv(0x31, ...encoded), 'SHA-256');
  const certificates = [sender.certificate, ...sender.chain.filter((c) => !c.equals(sender.certificate))];
  const signed = new SignedData({
    version: CMSVersion.v1,
    digestAlgorithms: new DigestAlgorithmIdentifiers([new DigestAlgorithmIdentifier({ algorithm: OID.sha256 })]),
    encapContentInfo: new EncapsulatedContentInfo({
      eContentType: id_data,
      eContent: new EncapsulatedContent({ single: new OctetString(toArrayBuffer(content)) }),
    }),
    certificates: new CertificateSet(certificates.map((der) => new CertificateChoices({ certificate: AsnConvert.parse(der, Certificate) }))),
    signerInfos: new SignerInfos([
      new SignerInfo({
        version: CMSVersion.v1,
        sid: new SignerIdentifier({
          issuerAndSerialNumber: new IssuerAndSerialNumber({
            issuer: AsnConvert.parse(certificate.issuerDer, Name),
            serialNumber: toArrayBuffer(certificate.serialNumber),
          }),
        }),
        digestAlgorithm: new DigestAlgorithmIdentifier({ algorithm: OID.sha256 }),
        signedAttrs: encoded.map((der) => AsnConvert.parse(der, Attribute)),
        signatureAlgorithm: new SignatureAlgorithmIdentifier({ algorithm: OID.sha256WithRsa, parameters: null }),
        signature: new OctetString(toArrayBuffer(signature)),
      }),
    ]),
  });
  return Buffer.from(AsnConvert.serialize(new ContentInfo({ contentType: id_signedData, content: AsnConvert.serialize(signed) })));
}

function attribute(type: string, valueDer: Buffer): Attribute {
  return new Attribute({ attrType: type, attrValues: [toArrayBuffer(valueDer)] });
}

function envelope(content: Buffer, recipients: readonly SealRecipient[]): Buffer {
  const contentKey = randomBytes(16);
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-128-cbc', contentKey, iv);
  const encrypted = Buffer.concat([cipher.update(content), cipher.final()]);
  const infos = recipients.map((recipient) => {
    if ('certificate' in recipient) {
      const certificate = parseCertificate(recipient.certificate);
      if (certificate.publicKeyType !== 'rsa') throw new SealedMessageError('unsupported', 'a known recipient needs an RSA encryption certificate');
      const encryptedKey = publicEncrypt({ key: certificate.publicKey, padding: constants.RSA_PKCS1_PADDING }, contentKey);
      return new RecipientInfo({
        ktri: new KeyTransRecipientInfo({
          version: CMSVersion.v0,
          rid: new RecipientIdentifier({
            issuerAndSerialNumber: new IssuerAndSerialNumber({
              issuer: AsnConvert.parse(certificate.issuerDer, Name),
              serialNumber: toArrayBuffer(certificate.serialNumber),
            }),
          }),
          keyEncryptionAlgorithm: new AlgorithmIdentifier({ algorithm: OID.rsaEncryption, parameters: null }),
          encryptedKey: new OctetString(toArrayBuffer(encryptedKey)),
        }),
      });
    }
    const wrap = Object.entries(KEY_WRAPS).find(([, w]) => w.keyLength === recipient.kek.length);
    if (!wrap) throw new SealedMessageError('unsupported', 'a key-encryption key must be 16, 24 or 32 bytes (AES)');
    const wrapper = createCipheriv(wrap[1].name, recipient.kek, RFC3394_IV);
    const wrapped = Buffer.concat([wrapper.update(contentKey), wrapper.final()]);
    return new RecipientInfo({
      kekri: new KEKRecipientInfo({
        version: CMSVersion.v4,
        kekid: new KEKIdentifier({ keyIdentifier: new OctetString(toArrayBuffer(recipient.kekIdentifier)) }),
        keyEncryptionAlgorithm: new AlgorithmIdentifier({ algorithm: wrap[0] }),
        encryptedKey: new OctetString(toArrayBuffer(wrapped)),
      }),
    });
  });
  const version = infos.some((info) => info.kekri) ? CMSVersion.v2 : CMSVersion.v0;
  const enveloped = new EnvelopedData({
    version,
    recipientInfos: new RecipientInfos(infos),
    encryptedContentInfo: new EncryptedContentInfo({
      contentType: id_data,
      contentEncryptionAlgorithm: new AlgorithmIdentifier({ algorithm: OID.aes128cbc, parameters: toArrayBuffer(encodeTlv(TAG.OCTET_STRING, iv)) }),
      encryptedContent: new EncryptedContent({ value: new OctetString(toArrayBuffer(encrypted)) }),
    }),
  });
  return Buffer.from(AsnConvert.serialize(new ContentInfo({ contentType: id_envelopedData, content: AsnConvert.serialize(enveloped) })));
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

function parse<T>(der: Buffer, type: new () => T, what: string): T {
  try {
    return AsnConvert.parse(der, type);
  } catch (error) {
    throw new SealedMessageError('malformed', `${what} is not valid ASN.1 (${(error as Error).message.slice(0, 120)})`);
  }
}

function contentOf(der: Buffer, expectedType: string, what: string): Buffer {
  const info = parse(der, ContentInfo, what);
  if (info.contentType !== expectedType) throw new SealedMessageError('malformed', `${what} is a ${info.contentType}, not a ${expectedType}`);
  return Buffer.from(info.content);
}

/** An OCTET STRING's octets, whether primitive or constructed (BER chunks). */
function octets(value: OctetString | ArrayBuffer | undefined, what: string): Buffer {
  if (value === undefined) throw new SealedMessageError('malformed', `${what} is absent`);
  return Buffer.from(value instanceof OctetString ? value.buffer : value);
}

function readSignedData(der: Buffer, which: 'outer' | 'inner'): VerifiedSignedData {
  const what = `the ${which} SignedData`;
  const signed = parse(contentOf(der, id_signedData, what), SignedData, what);
  const eContent = signed.encapContentInfo.eContent;
  if (!eContent) throw new SealedMessageError('malformed', `${what} carries no content (detached signatures are not sealed messages)`);
  const content = eContent.single ? octets(eContent.single, `${what} content`) : constructedOctets(eContent.any, what);
  if (signed.signerInfos.length !== 1) throw new SealedMessageError('unsupported', `${what} has ${signed.signerInfos.length} signers; one is expected`);
  const certificates = (signed.certificates ?? [])
    .filter((choice) => choice.certificate)
    .map((choice) => Buffer.from(AsnConvert.serialize(choice.certificate!)));
  if (certificates.length > 16) throw new SealedMessageError('too-large', `${what} carries ${certificates.length} certificates`);
  const signerInfo = signed.signerInfos[0]!;
  const signer = findSigner(signerInfo.sid, certificates, what);
  const digestName = DIGESTS[signerInfo.digestAlgorithm.algorithm];
  if (!digestName) throw new SealedMessageError('unsupported', `${what}: digest ${signerInfo.digestAlgorithm.algorithm} is not accepted`);
  if (!signerInfo.signedAttrs || signerInfo.signedAttrs.length === 0) throw new SealedMessageError('unsupported', `${what} has no signed attributes`);
  const attributes = new Map(signerInfo.signedAttrs.map((a) => [a.attrType, a.attrValues]));
  const messageDigest = attributes.get(OID.messageDigest)?.[0];
  const digest = createHash(digestName).update(content).digest();
  const carried = messageDigest ? octets(AsnConvert.parse(messageDigest, OctetString), `${what} messageDigest`) : undefined;
  if (!carried || carried.length !== digest.length || !timingSafeEqual(carried, digest)) {
    throw new SealedMessageError('bad-signature', `${what}: the content does not match its messageDigest`);
  }
  const contentType = attributes.get(OID.contentType)?.[0];
  if (!contentType || !Buffer.from(contentType).equals(encodeOid(signed.encapContentInfo.eContentType))) {
    throw new SealedMessageError('bad-signature', `${what}: the contentType attribute does not match the content`);
  }
  // The signature covers the DER of the attributes as a SET OF (tag 31, members in DER order), not the [0] they are
  // carried in. Each attribute's value bytes are kept as carried; only the outer SET is encoded again.
  const members = signerInfo.signedAttrs.map((a) => Buffer.from(AsnConvert.serialize(a)));
  const candidates = [encodeTlv(0x31, ...[...members].sort(Buffer.compare)), encodeTlv(0x31, ...members)];
  if (!candidates.some((signedBytes) => verifySignerInfo(signerInfo, digestName, signedBytes, signer))) {
    throw new SealedMessageError('bad-signature', `${what}: the signature does not verify`);
  }
  const signingTimeValue = attributes.get(OID.signingTime)?.[0];
  return { content, signer, certificates, signingTime: signingTimeValue ? readTime(signingTimeValue) : undefined };
}

function constructedOctets(any: ArrayBuffer | undefined, what: string): Buffer {
  if (!any) throw new SealedMessageError('malformed', `${what} carries no content`);
  // A constructed OCTET STRING (BER, as stream generators write it): asn1js joins its chunks.
  const parsed = asn1js.fromBER(any);
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.OctetString))
    throw new SealedMessageError('malformed', `${what} content is not an OCTET STRING`);
  return Buffer.from(parsed.result.getValue());
}

function findSigner(sid: SignerIdentifier, certificates: readonly Buffer[], what: string): ParsedCertificate {
  for (const der of certificates) {
    const certificate = parseCertificate(der);
    if (sid.issuerAndSerialNumber) {
      const issuer = Buffer.from(AsnConvert.serialize(sid.issuerAndSerialNumber.issuer));
      const serial = Buffer.from(sid.issuerAndSerialNumber.serialNumber);
      if (issuer.equals(certificate.issuerDer) && serial.equals(certificate.serialNumber)) return certificate;
    } else if (sid.subjectKeyIdentifier && certificate.subjectKeyIdentifier?.equals(Buffer.from(sid.subjectKeyIdentifier.buffer))) {
      return certificate;
    }
  }
  throw new SealedMessageError('unsupported', `${what}: the signer's certificate is not carried in the message`);
}

function verifySignerInfo(signerInfo: SignerInfo, digestName: string, data: Buffer, signer: ParsedCertificate): boolean {
  const algorithm = signerInfo.signatureAlgorithm.algorithm;
  const signature = octets(signerInfo.signature, 'signature');
  if (algorithm === OID.rsaEncryption || algorithm === OID.sha256WithRsa || algorithm === OID.sha384WithRsa || algorithm === OID.sha512WithRsa) {
    return verify(digestName, data, { key: signer.publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
  }
  if (algorithm === OID.rsassaPss) {
    const parameters = signerInfo.signatureAlgorithm.parameters;
    if (!parameters) throw new SealedMessageError('unsupported', 'RSASSA-PSS without parameters');
    const pss = AsnConvert.parse(parameters, RsaSaPssParams);
    const hash = DIGESTS[pss.hashAlgorithm.algorithm];
    if (!hash) throw new SealedMessageError('unsupported', `RSASSA-PSS with hash ${pss.hashAlgorithm.algorithm}`);
    return verify(hash, data, { key: signer.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pss.saltLength }, signature);
  }
  if (algorithm === OID.ecdsaWithSha256 || algorithm === OID.ecdsaWithSha384) {
    return verify(digestName, data, { key: signer.publicKey, dsaEncoding: 'der' }, signature);
  }
  throw new SealedMessageError('unsupported', `signature algorithm ${algorithm} is not accepted`);
}

function readTime(value: ArrayBuffer): Date | undefined {
  try {
    const text = Buffer.from(value).subarray(2).toString('latin1');
    const match = /^(\d{2,4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    if (!match) return undefined;
    const year = match[1]!.length === 2 ? (Number(match[1]) < 50 ? 2000 : 1900) + Number(match[1]) : Number(match[1]);
    return new Date(Date.UTC(year, Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6])));
  } catch {
    return undefined;
  }
}

function openEnvelope(der: Buffer, keys: UnsealingKeys): Buffer {
  const enveloped = parse(contentOf(der, id_envelopedData, 'the EnvelopedData'), EnvelopedData, 'the EnvelopedData');
  if (enveloped.recipientInfos.length > 256) throw new SealedMessageError('too-large', 'more than 256 recipients');
  const encryption = enveloped.encryptedContentInfo;
  const cipher = CONTENT_CIPHERS[encryption.contentEncryptionAlgorithm.algorithm];
  if (!cipher) throw new SealedMessageError('unsupported', `content encryption ${encryption.contentEncryptionAlgorithm.algorithm} is not accepted`);
  const ivParameter = encryption.contentEncryptionAlgorithm.parameters;
  const iv = ivParameter ? octets(AsnConvert.parse(ivParameter, OctetString), 'the IV') : undefined;
  if (!iv || iv.length !== 16) throw new SealedMessageError('malformed', 'the content encryption IV is not 16 bytes');
  const encrypted = encryption.encryptedContent?.value
    ? octets(encryption.encryptedContent.value, 'the encrypted content')
    : Buffer.concat((encryption.encryptedContent?.constructedValue ?? []).map((chunk) => Buffer.from(chunk.buffer)));
  const contentKey = recoverContentKey(enveloped.recipientInfos, keys, cipher.keyLength);
  try {
    const decipher = createDecipheriv(cipher.name, contentKey, iv);
    return Buffer.concat([decipher.update(encrypted), decipher.final()]);
  } catch {
    // The same answer whether the key was wrong or the padding: no oracle.
    throw new SealedMessageError('undecryptable', 'the message could not be decrypted');
  }
}

function recoverContentKey(recipients: readonly RecipientInfo[], keys: UnsealingKeys, keyLength: number): Buffer {
  for (const recipient of recipients) {
    if (recipient.ktri) {
      const rid = recipient.ktri.rid;
      const ours = (keys.decryptionKeys ?? []).find(({ certificate }) => {
        const parsed = parseCertificate(certificate);
        if (rid.issuerAndSerialNumber) {
          return (
            Buffer.from(AsnConvert.serialize(rid.issuerAndSerialNumber.issuer)).equals(parsed.issuerDer) &&
            Buffer.from(rid.issuerAndSerialNumber.serialNumber).equals(parsed.serialNumber)
          );
        }
        return rid.subjectKeyIdentifier !== undefined && parsed.subjectKeyIdentifier?.equals(Buffer.from(rid.subjectKeyIdentifier.buffer)) === true;
      });
      if (!ours) continue;
      if (recipient.ktri.keyEncryptionAlgorithm.algorithm !== OID.rsaEncryption) {
        throw new SealedMessageError('unsupported', `key transport ${recipient.ktri.keyEncryptionAlgorithm.algorithm} is not accepted`);
      }
      return rsaPkcs1v15KeyUnwrap(ours.privateKey, octets(recipient.ktri.encryptedKey, 'the encrypted key'), keyLength);
    }
    if (recipient.kekri) {
      const identifier = octets(recipient.kekri.kekid.keyIdentifier, 'the KEK identifier');
      const kek = (keys.keks ?? []).find((candidate) => candidate.identifier === undefined || candidate.identifier.equals(identifier));
      if (!kek) continue;
      const wrap = KEY_WRAPS[recipient.kekri.keyEncryptionAlgorithm.algorithm];
      if (!wrap || wrap.keyLength !== kek.key.length) throw new SealedMessageError('unsupported', 'the key wrap does not fit the key-encryption key');
      try {
        const unwrapper = createDecipheriv(wrap.name, kek.key, RFC3394_IV);
        const key = Buffer.concat([unwrapper.update(octets(recipient.kekri.encryptedKey, 'the wrapped key')), unwrapper.final()]);
        if (key.length === keyLength) return key;
      } catch {
        // an integrity failure of the wrap: the same answer as any other
      }
      throw new SealedMessageError('undecryptable', 'the message could not be decrypted');
    }
  }
  throw new SealedMessageError('not-for-us', 'the message is not addressed to any of our keys');
}

/**
 * RSAES-PKCS1-v1_5 decryption of a content-encryption key. Node 20 refuses PKCS#1 v1.5 private decryption outright
 * (CVE-2023-46809, the Marvin timing attack); CMS senders (the eHealth library, OpenSSL) still use it. So the RSA
 * operation runs without padding and the padding is checked here without branching on secret data; a bad padding
 * yields a random key (RFC 3218 §2.3.2), which then fails the content decryption like any wrong key would.
 */
function rsaPkcs1v15KeyUnwrap(privateKey: KeyObject, encryptedKey: Buffer, keyLength: number): Buffer {
  const fallback = randomBytes(keyLength);
  let block: Buffer;
  try {
    block = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, encryptedKey);
  } catch {
    return fallback;
  }
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
