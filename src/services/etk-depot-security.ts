import { readFile } from 'node:fs/promises';
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { CaMaterial } from '../ca/hierarchy/index.js';
import { generatePrivateKey, loadEncryptedKeyFile } from '../ca/keys/file-key.js';
import { EHEALTH_PLATFORM_OU, FEDERAL_GOVERNMENT_O, etkRaSigner, type CertificateProfile, type Environment } from '../ca/profiles/index.js';
import type { Clock } from '../domain/clock.js';
import { ServiceError } from '../domain/errors.js';
import type { Database } from '../storage/database.js';
import type { RevocationChecker, RevocationStatus, TrustStore } from '../trust/index.js';
import { certificatesFrom } from '../x509/certificate.js';
import { CERTIFICATE_REVOCATION_CHANNEL } from '../storage/certificate-registry.js';
import { NotifiedCache } from './notified-cache.js';
import { descendantsNamed, type Document, type Element } from '../xml/parse.js';
import { WsSecurityError } from '../xml/dsig/errors.js';
import type { VerifiedSigner } from '../xml/dsig/signer.js';
import { DSIG_NS } from '../xml/dsig/algorithms.js';
import { signSoapPayload, verifyWsSecurity } from '../xml/dsig/ws-security.js';
import type { CertificateIssuer } from './certificate-issuer.js';
import { registryRevocationChecker } from './registry-revocation.js';

/** A Timestamp older than this is refused whatever its Expires says: it bounds the replay window. */
const MAX_TIMESTAMP_AGE_SECONDS = 300;
/** Expires of our response Timestamps (the connector's default TTL). */
const RESPONSE_TIMESTAMP_TTL_SECONDS = 60;

export interface VerifiedWsSecurity {
  readonly signer: VerifiedSigner;
  /** The soap:Body whose digest verified: the request is read from this element only. */
  readonly body: Element;
}

export interface EtkDepotSecurityOptions {
  readonly db: Database;
  readonly ca: CaMaterial;
  readonly clock: Clock;
  /** Configured anchors plus our own hierarchy. */
  readonly trust: TrustStore;
  readonly clockSkewSeconds: number;
  /** ETKDEPOT_REQUIRE_SIGNATURE: refuse requests without a WS-Security signature. */
  readonly requireSignature: boolean;
  /** Revocation statuses of signers' certificates: settings of the NotifiedCache that keeps them (LISTEN/NOTIFY). */
  readonly revocationCache: { readonly enabled: boolean; readonly maxEntries: number; readonly maxAgeSeconds: number; readonly onListenError?: (error: unknown) => void };
}

/**
 * WS-Security on ETKDepot (docs/wire-facts.md §3, §4.2, §4.4). The technical connector sends no header, so unsigned requests are
 * served unless signatures are required. A Security header that carries a signature is always verified, in the
 * hardened order of verifyWsSecurity (structure, algorithms, references by wsu:Id to the real Body and Timestamp,
 * certificate from the BST only and chained to an anchor, freshness, revocation last); a failure is a Client fault.
 */
export class EtkDepotSecurity {
  private readonly revocation: RevocationChecker;
  private readonly revocationStatuses: NotifiedCache<RevocationStatus>;

  constructor(private readonly options: EtkDepotSecurityOptions) {
    this.revocationStatuses = new NotifiedCache({ db: options.db, channel: CERTIFICATE_REVOCATION_CHANNEL, ...options.revocationCache });
    this.revocation = wsSecurityRevocation(options.db, options.ca, this.revocationStatuses);
  }

  /** LISTEN for certificate revocations: until then, every signed request reads its signer's status. */
  start(): Promise<void> {
    return this.revocationStatuses.start();
  }

  stop(): Promise<void> {
    return this.revocationStatuses.stop();
  }

  /** Whether signers' revocation statuses are currently cached (LISTEN established). */
  get caching(): boolean {
    return this.revocationStatuses.caching;
  }

  /** Whether a request without any signature is served (ETKDEPOT_REQUIRE_SIGNATURE off); REST follows it too. */
  get acceptsUnsigned(): boolean {
    return !this.options.requireSignature;
  }

  /** A request without any signature: accepted (undefined) unless signatures are required. */
  acceptUnsigned(): undefined {
    if (this.options.requireSignature) throw new ServiceError('WS_SECURITY_REQUIRED');
    return undefined;
  }

  /** Undefined for an accepted unsigned request. Throws WS_SECURITY_REQUIRED / WS_SECURITY_INVALID (Client faults). */
  async verify(document: Document): Promise<VerifiedWsSecurity | undefined> {
    // A signature anywhere means the client meant to sign: it is verified (a misplaced one is refused), never ignored.
    // A Security header without any (e.g. a lone Timestamp, as some stacks add) is tolerated as unsigned.
    if (descendantsNamed(document, DSIG_NS, 'Signature').length === 0) return this.acceptUnsigned();
    try {
      const verification = await verifyWsSecurity(document, {
        trust: this.options.trust,
        at: this.options.clock.now(),
        revocation: this.revocation,
        clockSkewSeconds: this.options.clockSkewSeconds,
        maxTimestampAgeSeconds: MAX_TIMESTAMP_AGE_SECONDS,
      });
      return { signer: verification.signer, body: verification.body };
    } catch (error) {
      if (error instanceof WsSecurityError) throw new ServiceError('WS_SECURITY_INVALID', `${error.reason}: ${error.detail}`, { cause: error });
      throw error;
    }
  }
}

/**
 * Our own leaves are checked against the registry (immediate revocation: a known status is cached until any
 * certificate is revoked, which every process hears at commit); certificates under a configured foreign anchor have no
 * revocation source here and pass (their anchor is trusted as configured).
 */
function wsSecurityRevocation(db: Database, ca: CaMaterial, statuses: NotifiedCache<RevocationStatus>): RevocationChecker {
  const registry = registryRevocationChecker(db, ca);
  return async (certificate, issuer) => {
    if (ca.roleOf(issuer.der) === undefined && ca.roleOf(certificate.der) === undefined) return 'good';
    // Keyed by the whole certificate: the registry check compares the stored DER with the presented one.
    return statuses.get(certificate.der.toString('base64'), () => registry(certificate, issuer), (status) => status !== 'unknown');
  };
}

/** Signs ETKDepot responses: WS-Security X.509 (Timestamp, BST, Body signed), without mustUnderstand. */
export interface ResponseSigner {
  readonly certificate: Buffer;
  /** The signed response envelope around this payload element (see signSoapPayload for payloadIsCanonical). */
  signPayload(payloadXml: string, options?: { payloadIsCanonical?: boolean }): string;
}

export interface ResponseSignerOptions {
  readonly keyFile: string | undefined;
  readonly certificateFile: string | undefined;
  readonly environment: Environment;
  readonly db: Database;
  readonly issuer: CertificateIssuer;
  readonly clock: Clock;
  readonly env?: NodeJS.ProcessEnv;
}

/** The certificate a process issues itself for signing responses when none is configured (dev, acceptance). */
export const RESPONSE_SIGNER_PROFILE: CertificateProfile = {
  ...etkRaSigner,
  name: 'etkdepot-response-signer',
  description: 'Signer of ETKDepot WS-Security responses: CN=ETKDepot, OU=eHealth-platform Belgium, O=Federal Government, C=BE',
  validity: { months: { acceptance: 12, production: 12 }, backdateSeconds: 0 },
  subject: {
    attributes: [
      { type: 'C', min: 1, max: 1, values: ['BE'] },
      { type: 'O', min: 1, max: 1, values: [FEDERAL_GOVERNMENT_O] },
      { type: 'OU', min: 1, max: 1, values: [EHEALTH_PLATFORM_OU] },
      { type: 'CN', min: 1, max: 1, values: ['ETKDepot'] },
    ],
  },
};

/**
 * The configured credential (SERVER_SIGNING_KEY_FILE + SERVER_SIGNING_CERT_FILE), else a fresh RSA-2048 key and a
 * certificate issued for it by our issuing CA (recorded in the registry like any other issuance).
 */
export async function openResponseSigner(options: ResponseSignerOptions): Promise<ResponseSigner> {
  let key: KeyObject;
  let certificate: Buffer;
  if (options.keyFile && options.certificateFile) {
    key = await loadEncryptedKeyFile(options.keyFile, { passphraseEnv: 'SERVER_SIGNING_KEY_PASSPHRASE' }, options.env);
    certificate = certificatesFrom(await readFile(options.certificateFile, 'utf8'))[0]!;
  } else {
    key = generatePrivateKey('RSA');
    const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
    const issued = await options.db.transaction((tx) =>
      options.issuer.issueFromTemplate(
        tx,
        {
          subject: [
            { type: 'C', value: 'BE' },
            { type: 'O', value: FEDERAL_GOVERNMENT_O },
            { type: 'OU', value: EHEALTH_PLATFORM_OU },
            { type: 'CN', value: 'ETKDepot' },
          ],
          subjectPublicKeySpki: spki,
          profile: RESPONSE_SIGNER_PROFILE,
          environment: options.environment,
          now: options.clock.now(),
        },
        'etkdepot',
      ),
    );
    certificate = issued.der;
  }
  return {
    certificate,
    signPayload: (payloadXml, signOptions) =>
      signSoapPayload(payloadXml, {
        payloadIsCanonical: signOptions?.payloadIsCanonical,
        key,
        certificate,
        mustUnderstand: false,
        timestampTtlSeconds: RESPONSE_TIMESTAMP_TTL_SECONDS,
        now: options.clock.now(),
      }),
  };
}

