import { buildCrl, type CrlReason, CRL_REASON_CODES } from '../ca/crl/index.js';
import type { CaEntryForCrl } from './crl-types.js';
import type { Clock } from '../domain/clock.js';
import type { Database } from '../storage/database.js';
import { auditLog, certificateRegistry } from '../storage/certificate-registry.js';
import { createHash } from 'node:crypto';

/** A CRL's nextUpdate - thisUpdate; OCSP answers span the same period, so both sources agree on freshness. */
export const CRL_VALIDITY_MS = 24 * 60 * 60 * 1000;
/** A CRL is rebuilt at the latest this long before its nextUpdate, or at once after a revocation. */
const REFRESH_MARGIN_MS = 12 * 60 * 60 * 1000;

/**
 * Builds and caches the CRL of each CA that signs certificates, from the revoked rows of issued_certificates.
 * Revocations call invalidate(); other processes rebuild on their next request after the refresh margin, and
 * listen for the 'certificate_revoked' notification to drop their copy at once.
 */
export class CrlPublisher {
  private readonly cache = new Map<string, { der: Buffer; nextUpdate: Date }>();
  private readonly building = new Map<string, Promise<Buffer>>();

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  invalidate(issuerKeyId?: string): void {
    if (issuerKeyId) this.cache.delete(issuerKeyId);
    else this.cache.clear();
  }

  async crlFor(ca: CaEntryForCrl): Promise<Buffer> {
    const now = this.clock.now();
    const cached = this.cache.get(ca.keyId);
    if (cached && cached.nextUpdate.getTime() - now.getTime() > REFRESH_MARGIN_MS) return cached.der;
    let pending = this.building.get(ca.keyId);
    if (!pending) {
      pending = this.build(ca, now).finally(() => this.building.delete(ca.keyId));
      this.building.set(ca.keyId, pending);
    }
    return pending;
  }

  private async build(ca: CaEntryForCrl, now: Date): Promise<Buffer> {
    const nextUpdate = new Date(now.getTime() + CRL_VALIDITY_MS);
    const der = await this.db.transaction(async (tx) => {
      const revoked = await certificateRegistry.listRevoked(tx, ca.keyId);
      const crlNumber = await certificateRegistry.nextCrlNumber(tx, ca.keyId, now);
      const crl = await buildCrl(
        { certificate: ca.certificate, signer: ca.signer },
        {
          thisUpdate: now,
          nextUpdate,
          crlNumber,
          entries: revoked.map((entry) => ({
            // The registry stores serials without leading zeros (possibly an odd number of hex digits): pass the number.
            serialNumber: BigInt(`0x${entry.serialHex}`),
            revocationDate: entry.revokedAt,
            reason: entry.reason && entry.reason in CRL_REASON_CODES ? (entry.reason as CrlReason) : undefined,
          })),
        },
      );
      // Every signature by a CA key is audited (issue #15): which CA, which CRL, over which bytes.
      await auditLog.record(tx, {
        actor: 'service:crl-publisher',
        action: 'crl.signed',
        subject: ca.keyId,
        details: {
          crlNumber: crlNumber.toString(),
          thisUpdate: now.toISOString(),
          nextUpdate: nextUpdate.toISOString(),
          revokedEntries: revoked.length,
          sha256: createHash('sha256').update(crl).digest('hex'),
        },
      });
      return crl;
    });
    this.cache.set(ca.keyId, { der, nextUpdate });
    return der;
  }
}
