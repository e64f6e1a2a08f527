import { createHash, randomBytes } from 'node:crypto';
import { seal, SealedMessageError, unseal, type SealRecipient } from '../../ca/etee/sealed-message.js';
import { parseEtk } from '../../ca/etk/index.js';
import type { CaMaterial } from '../../ca/hierarchy/index.js';
import type { Clock } from '../../domain/clock.js';
import { mayRead, type ReaderAttribute, type ReaderCredential } from '../../domain/kgss.js';
import { parseEhealthDn } from '../../identifiers/index.js';
import type { Database } from '../../storage/database.js';
import { auditLog } from '../../storage/certificate-registry.js';
import { kgssKeys } from '../../storage/kgss-keys.js';
import type { RevocationChecker, TrustStore } from '../../trust/index.js';
import { BoundedCache } from '../../trust/trust-store.js';
import { parseCertificate, type ParsedCertificate } from '../../x509/certificate.js';
import type { KgssIdentity } from './kgss-identity.js';
import { KgssKeyVault } from './kgss-key-vault.js';

/**
 * KGSS v1 (issue #14, ../shared/docs/etee-facts.md): keys for recipients not known in advance. A creator seals a
 * GetNewKey request to the KGSS's ETK; the KGSS keeps a fresh AES key (wrapped: kgss-key-vault.ts) with the access
 * list, and seals the key back to the creator's ETK. A reader authenticated at the edge (WS-Security X.509, or a SAML
 * holder-of-key assertion from a trusted STS) asks for it by identifier; an unknown key and a refused reader get the
 * same answer. The front end reads and writes the XML of the sealed contents; this service opens and seals them.
 */

/** AES-128: what the eHealth library's KGSS keys are (its KEK recipients use id-aes128-wrap). */
const KEY_LENGTH = 16;
const KEY_IDENTIFIER_LENGTH = 32;
const MAX_SEALED_BYTES = 256 * 1024;
const MAX_READERS = 64;
const ETK_VERIFICATION_TTL_MS = 5 * 60 * 1000;

export type KgssErrorCode = 'NO_KEY_FOUND' | 'INVALID_SEALED_CONTENT' | 'SENDER_NOT_TRUSTED' | 'INVALID_ETK' | 'INVALID_REQUEST';

export class KgssError extends Error {
  constructor(
    readonly code: KgssErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'KgssError';
  }
}

/** Who sealed a request: the validated signer of both signatures. */
export interface KgssSender {
  readonly certificate: ParsedCertificate;
  readonly subjectDn: string;
}

/** Who asks for a key: attributes from the SAML assertion, or from our registries for an X.509 signer. */
export interface KgssReader {
  readonly certificate: ParsedCertificate;
  readonly attributes: readonly ReaderAttribute[];
  /** How the reader was authenticated, for the audit log. */
  readonly authentication: 'x509' | 'saml-hok';
}

export interface KgssServiceDependencies {
  readonly db: Database;
  readonly clock: Clock;
  readonly ca: CaMaterial;
  readonly identity: KgssIdentity;
  /** Our hierarchy: senders must hold an eHealth certificate we issued. */
  readonly trust: TrustStore;
  readonly revocation: RevocationChecker;
}

/** Where a sealed answer goes: an ETK (its holder must be the authenticated party), or a one-off symmetric key. */
export type KgssResponseRecipient = { readonly etk: Buffer } | { readonly kek: Buffer; readonly kekIdentifier: Buffer };

export const IDENTIFICATION_NAMESPACE = 'urn:be:fgov:identification-namespace';

export class KgssService {
  private readonly verifiedEtks = new BoundedCache<{ encryptionCertificate: Buffer; holderDn: string; until: number }>(1024);

  private readonly vault: KgssKeyVault;

  constructor(private readonly deps: KgssServiceDependencies) {
    this.vault = new KgssKeyVault(deps.db, deps.clock, deps.identity.keyEncryption);
  }

  /** The KGSS's own ETK, as ETKDepot publishes it. */
  get etk(): Buffer {
    return this.deps.identity.etk;
  }

  /** Its keys, for /health. */
  get keys(): KgssIdentity['keys'] {
    return this.deps.identity.keys;
  }

  /** Lets go of its keys (sessions on a token). */
  close(): Promise<void> {
    return this.deps.identity.close();
  }

  /**
   * Opens a request sealed to the KGSS and authenticates its sender: both signatures by one certificate that chains
   * to our issuing CA, valid now, not revoked, with digitalSignature.
   */
  async openRequest(sealed: Buffer): Promise<{ content: Buffer; sender: KgssSender }> {
    let opened: ReturnType<typeof unseal>;
    try {
      opened = unseal(sealed, { decryptionKeys: [this.deps.identity.decryption] }, { maxBytes: MAX_SEALED_BYTES });
    } catch (error) {
      if (error instanceof SealedMessageError) throw new KgssError('INVALID_SEALED_CONTENT', `the sealed content cannot be opened: ${error.message}`);
      throw error;
    }
    const validation = await this.deps.trust.validate(opened.signer.der, {
      chain: opened.certificates,
      at: this.deps.clock.now(),
      revocation: this.deps.revocation,
      requiredKeyUsage: ['digitalSignature'],
    });
    if (!validation.ok) throw new KgssError('SENDER_NOT_TRUSTED', `the sender's certificate is not accepted: ${validation.reason} (${validation.detail})`);
    return { content: opened.content, sender: { certificate: opened.signer, subjectDn: opened.signer.subjectDn } };
  }

  /**
   * GetNewKey: a fresh AES key and identifier, stored under the key-encryption key with the access list and the
   * creator (audited in the same statement). The creator's ETK must be theirs: checked before anything is stored.
   */
  async createKey(
    sender: KgssSender,
    request: { readonly allowedReaders: readonly ReaderCredential[]; readonly excludedReaders: readonly ReaderCredential[]; readonly etk: Buffer },
  ): Promise<{ keyIdentifier: Buffer; key: Buffer }> {
    if (request.allowedReaders.length === 0) throw new KgssError('INVALID_REQUEST', 'a key needs at least one AllowedReader');
    if (request.allowedReaders.length + request.excludedReaders.length > MAX_READERS) throw new KgssError('INVALID_REQUEST', `at most ${MAX_READERS} readers`);
    for (const credential of [...request.allowedReaders, ...request.excludedReaders]) {
      if (credential.namespace.trim() === '' || credential.name.trim() === '')
        throw new KgssError('INVALID_REQUEST', 'a reader credential needs a Namespace and a Name');
    }
    this.checkEtkOf(request.etk, sender.certificate);
    const key = randomBytes(KEY_LENGTH);
    const keyIdentifier = randomBytes(KEY_IDENTIFIER_LENGTH);
    const now = this.deps.clock.now();
    const wrapped = await this.vault.wrap(key);
    await kgssKeys.insertAudited(
      this.deps.db,
      {
        keyIdentifier,
        ...wrapped,
        allowedReaders: request.allowedReaders,
        excludedReaders: request.excludedReaders,
        creator: { subject: sender.subjectDn, serialHex: sender.certificate.serialNumberHex, issuer: sender.certificate.issuerDn },
        createdAt: now,
      },
      {
        actor: { subject: sender.subjectDn, certificateSerial: sender.certificate.serialNumberHex },
        action: 'kgss.key.created',
        subject: keyIdentifier.toString('base64'),
        details: { allowedReaders: request.allowedReaders, excludedReaders: request.excludedReaders },
      },
    );
    return { keyIdentifier, key };
  }

  /**
   * GetKey: the key when the reader is on its access list. An unknown identifier and a refused reader give the same
   * NO_KEY_FOUND, so that asking reveals nothing; both are audited.
   */
  async releaseKey(keyIdentifier: Buffer, reader: KgssReader): Promise<Buffer> {
    const stored = keyIdentifier.length > 0 && keyIdentifier.length <= 64 ? await kgssKeys.findByIdentifier(this.deps.db, keyIdentifier) : undefined;
    const granted = stored !== undefined && mayRead(reader.attributes, stored.allowedReaders, stored.excludedReaders);
    await auditLog.record(this.deps.db, {
      actor: { subject: reader.certificate.subjectDn, certificateSerial: reader.certificate.serialNumberHex },
      action: granted ? 'kgss.key.released' : 'kgss.key.refused',
      subject: keyIdentifier.toString('base64'),
      details: { authentication: reader.authentication, known: stored !== undefined },
    });
    if (!granted) throw new KgssError('NO_KEY_FOUND', 'no key with this identifier for this reader');
    return this.vault.unwrap(stored.dataKeyId, stored.wrappedKey);
  }

  /** Seals an answer (the XML of a …ResponseContent) from the KGSS to its recipient. */
  async sealResponse(content: Buffer, recipient: KgssResponseRecipient, authenticated: ParsedCertificate): Promise<Buffer> {
    const to: SealRecipient =
      'etk' in recipient ? { certificate: this.checkEtkOf(recipient.etk, authenticated) } : { kek: recipient.kek, kekIdentifier: recipient.kekIdentifier };
    return seal(content, this.deps.identity.sender, [to], this.deps.clock.now());
  }

  /**
   * The attributes of an X.509-authenticated reader, from what our registries know of its certificate's holder:
   * its identification (SSIN, or the organisation's identifier) as the eHealth STS names it.
   */
  readerAttributesOf(certificate: ParsedCertificate): ReaderAttribute[] {
    const holder = parseEhealthDn(certificate.subjectDn);
    if (!holder) return [];
    if (holder.type === 'SSIN') {
      return [
        { namespace: IDENTIFICATION_NAMESPACE, name: 'urn:be:fgov:person:ssin', values: [holder.id] },
        { namespace: IDENTIFICATION_NAMESPACE, name: 'urn:be:fgov:ehealth:1.0:certificateholder:person:ssin', values: [holder.id] },
      ];
    }
    if (holder.type === 'CBE') return [{ namespace: IDENTIFICATION_NAMESPACE, name: 'urn:be:fgov:kbo-bce:organization:cbe-number', values: [holder.id] }];
    if (holder.type === 'NIHII-HOSPITAL') {
      return [{ namespace: IDENTIFICATION_NAMESPACE, name: 'urn:be:fgov:ehealth:1.0:certificateholder:hospital:nihii-number', values: [holder.id] }];
    }
    return [];
  }

  /** An ETK we issued (ETK-RA signature, chains to our root, valid), held by the authenticated party; its encryption certificate. */
  private checkEtkOf(etkDer: Buffer, holder: ParsedCertificate): Buffer {
    // Parties send their own ETK with every request: a verification holds for a few minutes (it checks signatures and
    // validity, which a few minutes cannot change; revocation is the sender's certificate's, checked every time).
    const now = this.deps.clock.now().getTime();
    const cacheKey = createHash('sha256').update(etkDer).digest('base64');
    const known = this.verifiedEtks.get(cacheKey);
    if (known && known.until > now) {
      if (known.holderDn !== holder.subjectDn) throw new KgssError('INVALID_ETK', "the ETK is not the authenticated party's own");
      return known.encryptionCertificate;
    }
    const encryptionCertificate = this.verifyEtk(etkDer);
    const holderDn = parseCertificate(parseEtk(etkDer).authenticationCertificate).subjectDn;
    this.verifiedEtks.set(cacheKey, { encryptionCertificate, holderDn, until: now + ETK_VERIFICATION_TTL_MS });
    if (holderDn !== holder.subjectDn) throw new KgssError('INVALID_ETK', "the ETK is not the authenticated party's own");
    return encryptionCertificate;
  }

  private verifyEtk(etkDer: Buffer): Buffer {
    let etk: ReturnType<typeof parseEtk>;
    try {
      etk = parseEtk(etkDer);
    } catch (error) {
      throw new KgssError('INVALID_ETK', `the ETK is not an ETK (${(error as Error).message})`);
    }
    const verification = etk.verify([this.deps.ca.root.cert], { now: this.deps.clock.now() });
    if (!verification.valid) throw new KgssError('INVALID_ETK', `the ETK does not verify: ${verification.problems.join('; ')}`);
    return etk.encryptionCertificate;
  }
}
