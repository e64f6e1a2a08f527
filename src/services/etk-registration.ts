import { constants, createHash, publicEncrypt, randomBytes } from 'node:crypto';
import type { CaMaterial } from '../ca/hierarchy/index.js';
import { buildEtk } from '../ca/etk/index.js';
import { ehealthNaturalPerson, ehealthOrganisation, keyPolicyViolation } from '../ca/profiles/index.js';
import { DerError, describePublicKey, keyIdentifierOf, verifyIssuedBy } from '../ca/x509/index.js';
import type { Clock } from '../domain/clock.js';
import { ServiceError } from '../domain/errors.js';
import type { EtkHolder } from '../domain/identifier.js';
import { formatKeyId } from '../domain/key-id.js';
import { findEtkIdentifierType, parseEhealthDn } from '../identifiers/index.js';
import { auditLog, certificateRegistry } from '../storage/certificate-registry.js';
import type { Database, Queryable } from '../storage/database.js';
import { etkRepository } from '../storage/etk-repository.js';
import { extensionOf, parseCertificate, type ParsedCertificate } from '../x509/certificate.js';
import { OID } from '../x509/oids.js';
import { publicKeyFromSpki } from '../x509/public-key.js';
import type { AuthenticatedSigner } from '../domain/authenticated-signer.js';

/** ra.properties of the connector: etk.key.algorithm=RSA, etk.key.size=2048; Java's default exponent. */
const ENCRYPTION_KEY_POLICY = { rsa: { minModulusBits: 2048, maxModulusBits: 2048, publicExponents: [65537] }, ecCurves: [] } as const;
const CHALLENGE_SERIAL_BYTES = 16;
/** Only certificates issued to eHealth holders (persons, organisations) may register an ETK. */
const HOLDER_PROFILES: ReadonlySet<string> = new Set([ehealthNaturalPerson.name, ehealthOrganisation.name]);
/** Expired challenges are kept this long (for support), then deleted by the next startETKRegistration. */
const CHALLENGE_RETENTION_MS = 24 * 60 * 60 * 1000;

export interface EtkRegistrationOptions {
  readonly db: Database;
  readonly clock: Clock;
  readonly ca: CaMaterial;
  readonly challengeTtlSeconds: number;
}

/** The signer of an EtkRA request: an eHealth authentication certificate of ours and its holder. */
export interface AuthenticatedHolder {
  readonly signer: AuthenticatedSigner;
  /** issued_certificates.id of the signing certificate. */
  readonly issuedCertificateId: bigint;
  /** The signing certificate (the validated signer's). */
  readonly certificate: ParsedCertificate;
  readonly holder: EtkHolder;
}

export interface CompletedRegistration {
  readonly etk: Buffer;
  /** True for a replacement: the holder still has a valid ETK, and the new one waits for activateETK. */
  readonly toBeActivated: boolean;
}

/**
 * EtkRA v2 (docs/wire-facts.md §2): proof of possession of the encryption key by a challenge, then an ETK built from the
 * holder's self-issued encryption certificate, published at once or, when it replaces a valid ETK, after activateETK.
 * Every request is authenticated by its enveloped signature with a valid, unrevoked eHealth authentication
 * certificate; request fields are read from the signed element only.
 */
export class EtkRegistration {
  private readonly issuingKeyId: string;

  constructor(private readonly options: EtkRegistrationOptions) {
    this.issuingKeyId = formatKeyId(options.ca.issuing.fields.subjectKeyIdentifier);
  }

  /**
   * The holder behind an EtkRA signer (authenticated by the front end against our hierarchy, valid, not revoked):
   * the registry row of exactly this certificate, an eHealth holder profile, and the identifier in its DN.
   */
  async holderOf(signer: AuthenticatedSigner): Promise<AuthenticatedHolder> {
    const row = await certificateRegistry.findBySerial(this.options.db, this.issuingKeyId, signer.serialNumberHex);
    if (!row?.certificateDer?.equals(signer.certificate)) {
      throw new ServiceError('UNTRUSTED_SIGNER', 'the signing certificate was not issued by this platform');
    }
    if (!HOLDER_PROFILES.has(row.profile))
      throw new ServiceError('NOT_AUTHORIZED', 'the signing certificate is not an eHealth authentication certificate of a person or an organisation');
    const dn = parseEhealthDn(row.subjectDn);
    if (!dn) throw new ServiceError('NOT_AUTHORIZED', 'the signing certificate has no eHealth holder DN');
    if (!findEtkIdentifierType(dn.type)) throw new ServiceError('UNKNOWN_IDENTIFIER_TYPE', `${dn.type} is not an ETK identifier type`);
    return {
      signer,
      issuedCertificateId: row.id,
      certificate: parseCertificate(signer.certificate),
      holder: { type: dn.type, value: dn.id, applicationId: dn.applicationId },
    };
  }

  /** startETKRegistration: stores a single-use challenge and returns it (encrypted serial || SHA-256(serial)). */
  async start(holder: AuthenticatedHolder, publicEncryptionKeySpki: Buffer): Promise<Buffer> {
    const encryptionKey = checkEncryptionKey(publicEncryptionKeySpki, holder.certificate);
    let serial = randomBytes(CHALLENGE_SERIAL_BYTES);
    // A leading zero octet would shorten the certificate's INTEGER; a full-length serial has one spelling.
    while (serial[0] === 0) serial = randomBytes(CHALLENGE_SERIAL_BYTES);
    const encrypted = publicEncrypt({ key: encryptionKey, padding: constants.RSA_PKCS1_PADDING }, serial);
    const now = this.options.clock.now();
    await this.options.db.transaction(async (tx) => {
      await etkRepository.deleteExpiredChallenges(tx, new Date(now.getTime() - CHALLENGE_RETENTION_MS));
      await etkRepository.createChallenge(tx, {
        issuedCertificateId: holder.issuedCertificateId,
        serial,
        publicKeySpki: publicEncryptionKeySpki,
        createdAt: now,
        expiresAt: new Date(now.getTime() + this.options.challengeTtlSeconds * 1000),
      });
    });
    return Buffer.concat([encrypted, createHash('sha256').update(serial).digest()]);
  }

  /** completeETKRegistration: checks ToBeRegistered strictly, consumes the challenge, builds and stores the ETK. */
  async complete(holder: AuthenticatedHolder, toBeRegistered: Buffer): Promise<CompletedRegistration> {
    const encryption = checkEncryptionCertificate(toBeRegistered, holder.certificate);
    const serial = challengeSerialOf(encryption.serialNumber);
    if (!serial) throw new ServiceError('CHALLENGE_INVALID', 'the serial number of the certificate to be registered is not a challenge serial');
    const now = this.options.clock.now();
    return this.options.db.transaction(async (tx) => {
      const challenge = await etkRepository.consumeChallenge(tx, holder.issuedCertificateId, serial, now);
      if (!challenge) throw new ServiceError('CHALLENGE_INVALID', 'no open challenge of this certificate has this serial: unknown, already used or expired');
      if (!challenge.publicKeySpki.equals(encryption.spkiDer)) throw new ServiceError('ETK_KEY_MISMATCH');
      const etk = await buildEtk(
        { encryptionCertificate: encryption.der, authenticationCertificate: holder.certificate.der, authenticationChain: this.options.ca.issuingChain },
        { certificate: this.options.ca.etkRa.cert, signer: this.options.ca.etkRa.signer },
      );
      const toBeActivated = await this.store(tx, holder, encryption, etk, now);
      await auditLog.record(tx, {
        actor: holder.signer.subjectDn,
        action: 'etk.registered',
        subject: formatKeyId(keyIdentifierOf(holder.certificate)),
        details: { holder: describeHolder(holder.holder), serial: encryption.serialNumberHex, toBeActivated },
      });
      return { etk, toBeActivated };
    });
  }

  /** activateETK: publishes the replacement ETK of the signing certificate; the holder's previous ETK stops being served. */
  async activate(holder: AuthenticatedHolder): Promise<void> {
    const now = this.options.clock.now();
    await this.options.db.transaction(async (tx) => {
      await etkRepository.lockHolder(tx, holder.holder);
      const waiting = await etkRepository.findWaitingForCertificate(tx, holder.issuedCertificateId);
      if (!waiting) throw new ServiceError('NOTHING_TO_ACTIVATE');
      if (waiting.notAfter.getTime() <= now.getTime()) throw new ServiceError('NOTHING_TO_ACTIVATE', 'the ETK waiting for activation has expired');
      const current = await etkRepository.findActiveForHolder(tx, holder.holder);
      if (current) await etkRepository.supersede(tx, current.id, now);
      await etkRepository.activate(tx, waiting.id, now);
      await etkRepository.notifyDirectoryChanged(tx, holder.holder.type, holder.holder.value);
      await auditLog.record(tx, {
        actor: holder.signer.subjectDn,
        action: 'etk.activated',
        subject: formatKeyId(keyIdentifierOf(holder.certificate)),
        details: { holder: describeHolder(holder.holder), etkId: waiting.id.toString(), replaced: current?.id.toString() ?? null },
      });
    });
  }

  /**
   * Publishes the ETK at once when the holder has no valid ETK, else keeps it waiting for activateETK (a previous
   * waiting ETK of the same certificate is discarded: the newest registration wins). Returns ToBeActivated.
   */
  private async store(tx: Queryable, holder: AuthenticatedHolder, encryption: ParsedCertificate, etkDer: Buffer, now: Date): Promise<boolean> {
    await etkRepository.lockHolder(tx, holder.holder);
    const current = await etkRepository.findActiveForHolder(tx, holder.holder);
    const replacement = current !== undefined && current.notAfter.getTime() > now.getTime();
    const previousWaiting = await etkRepository.findWaitingForCertificate(tx, holder.issuedCertificateId);
    if (previousWaiting) await etkRepository.supersede(tx, previousWaiting.id, now);
    if (current && !replacement) await etkRepository.supersede(tx, current.id, now);
    await etkRepository.insert(tx, {
      issuedCertificateId: holder.issuedCertificateId,
      holder: holder.holder,
      encryptionSerialHex: encryption.serialNumberHex,
      publicKeySpki: encryption.spkiDer,
      etkDer,
      notBefore: encryption.notBefore,
      notAfter: encryption.notAfter,
      status: replacement ? 'WAIT_FOR_ACTIVATION' : 'ACTIVE',
      registeredAt: now,
    });
    if (!replacement) await etkRepository.notifyDirectoryChanged(tx, holder.holder.type, holder.holder.value);
    return replacement;
  }
}

function describeHolder(holder: EtkHolder): string {
  return `${holder.type}=${holder.value}${holder.applicationId ? `, ${holder.applicationId}` : ''}`;
}

/** The announced encryption key: an RSA-2048 SubjectPublicKeyInfo, not the authentication key itself. */
function checkEncryptionKey(spki: Buffer, authentication: ParsedCertificate) {
  let description;
  try {
    description = describePublicKey(spki);
  } catch (error) {
    throw new ServiceError('WEAK_KEY', `PublicEncryptionKey is not a DER SubjectPublicKeyInfo: ${(error as Error).message}`, { cause: error });
  }
  const violation = keyPolicyViolation(description, ENCRYPTION_KEY_POLICY);
  if (violation) throw new ServiceError('WEAK_KEY', `PublicEncryptionKey: ${violation.reason}; an RSA-2048 key is required`);
  // Separate keys for authentication and encryption: one compromise must not give the other.
  if (spki.equals(authentication.spkiDer))
    throw new ServiceError('WEAK_KEY', 'PublicEncryptionKey is the authentication key; the encryption key must be a new key');
  try {
    return publicKeyFromSpki(spki);
  } catch (error) {
    throw new ServiceError('WEAK_KEY', 'PublicEncryptionKey is not a usable RSA key', { cause: error });
  }
}

/**
 * ToBeRegistered exactly as the connector builds it (docs/wire-facts.md §2 step 3, §5): subject = issuer = the authentication
 * certificate's subject (byte for byte: clients pair the ETK's certificates by name), validity copied, keyUsage
 * critical keyEncipherment + dataEncipherment and no other extension, signed by the authentication key.
 */
function checkEncryptionCertificate(der: Buffer, authentication: ParsedCertificate): ParsedCertificate {
  let fields: ParsedCertificate;
  try {
    fields = parseCertificate(der);
  } catch (error) {
    if (error instanceof DerError) throw new ServiceError('ETK_INVALID', `ToBeRegistered is not a DER X.509 certificate: ${error.message}`, { cause: error });
    throw error;
  }
  if (!fields.subjectDer.equals(authentication.subjectDer) || !fields.issuerDer.equals(authentication.subjectDer)) {
    throw new ServiceError('ETK_SUBJECT_MISMATCH');
  }
  const extensionOids = (fields.extensions ?? []).map((extension) => extension.oid);
  const keyUsage = extensionOf(fields, OID.keyUsage);
  if (!keyUsage?.critical) throw new ServiceError('ETK_KEY_USAGE_INVALID', 'keyUsage is missing or not critical');
  const usages = [...(fields.keyUsage ?? [])].sort();
  if (usages.length !== 2 || usages[0] !== 'dataEncipherment' || usages[1] !== 'keyEncipherment') {
    throw new ServiceError('ETK_KEY_USAGE_INVALID', `keyUsage is ${usages.join(' + ') || 'empty'}; keyEncipherment + dataEncipherment only`);
  }
  if (extensionOids.length !== 1)
    throw new ServiceError(
      'ETK_INVALID',
      `ToBeRegistered has extensions other than keyUsage: ${extensionOids.filter((oid) => oid !== OID.keyUsage).join(', ')}`,
    );
  if (fields.notBefore.getTime() !== authentication.notBefore.getTime() || fields.notAfter.getTime() !== authentication.notAfter.getTime()) {
    throw new ServiceError('ETK_VALIDITY_MISMATCH');
  }
  if (!verifyIssuedBy(fields, authentication)) throw new ServiceError('ETK_SIGNATURE_INVALID');
  return fields;
}

/** The 16 challenge bytes a certificate serial stands for (a positive INTEGER of at most 16 significant octets). */
function challengeSerialOf(serialOctets: Buffer): Buffer | undefined {
  if (serialOctets.length === 0 || (serialOctets[0]! & 0x80) !== 0) return undefined;
  let start = 0;
  while (start < serialOctets.length - 1 && serialOctets[start] === 0) start++;
  const significant = serialOctets.subarray(start);
  if (significant.length > CHALLENGE_SERIAL_BYTES) return undefined;
  return Buffer.concat([Buffer.alloc(CHALLENGE_SERIAL_BYTES - significant.length), significant]);
}
