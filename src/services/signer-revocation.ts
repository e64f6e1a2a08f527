import type { CaMaterial } from '../ca/hierarchy/index.js';
import { CERTIFICATE_REVOCATION_CHANNEL } from '../storage/certificate-registry.js';
import type { Database, Queryable } from '../storage/database.js';
import type { RevocationChecker, RevocationStatus } from '../trust/index.js';
import { NotifiedCache, type NotifiedCacheSettings } from './notified-cache.js';
import { registryRevocationChecker } from './registry-revocation.js';

/**
 * Revocation statuses of request signers (ETKDepot WS-Security, eHealth-signed EtkRA and CertRA requests, KGSS
 * senders). Our own leaves are checked against the registry (immediate revocation: a known status is cached until any
 * certificate is revoked, which every process hears at commit); certificates under a configured foreign anchor have no revocation source here and pass (their anchor is
 * trusted as configured).
 */
export class SignerRevocation {
  private readonly statuses: NotifiedCache<RevocationStatus>;
  /** The checker path validation calls. */
  readonly checker: RevocationChecker;

  /** `lookups`: where statuses are read (a hot standby through the ReadRouter), default the primary `db`. */
  constructor(db: Database, ca: CaMaterial, cache: NotifiedCacheSettings, lookups: Queryable = db) {
    this.statuses = new NotifiedCache({ db, channel: CERTIFICATE_REVOCATION_CHANNEL, ...cache });
    const registry = registryRevocationChecker(db, ca, lookups);
    this.checker = async (certificate, issuer) => {
      if (ca.roleOf(issuer.der) === undefined && ca.roleOf(certificate.der) === undefined) return 'good';
      // Keyed by the whole certificate: the registry check compares the stored DER with the presented one.
      return this.statuses.get(
        certificate.der.toString('base64'),
        () => registry(certificate, issuer),
        (status) => status !== 'unknown',
      );
    };
  }

  /** LISTEN for certificate revocations: until then, every signed request reads its signer's status. */
  start(): Promise<void> {
    return this.statuses.start();
  }

  stop(): Promise<void> {
    return this.statuses.stop();
  }

  /** Whether statuses are currently cached (LISTEN established). */
  get caching(): boolean {
    return this.statuses.caching;
  }
}
