import type { CaMaterial } from '../ca/hierarchy/index.js';
import { type CaIdentity, caIdentityRepository } from '../storage/ca-identity.js';
import type { Database } from '../storage/database.js';

export class CaIdentityMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaIdentityMismatchError';
  }
}

/**
 * Ties the database to one CA hierarchy. The first process records its root; a later process that brings another one
 * is refused when either side is the generated development hierarchy (typically replicas on one PostgreSQL, each
 * with its own DATA_DIR and no CA_CONFIG_FILE, which would each generate a CA with the same names and other keys).
 * Two configured hierarchies may differ: that is a deliberate change of root, recorded and logged.
 */
export async function claimCaIdentity(db: Database, ca: Pick<CaMaterial, 'root' | 'development'>, logger: { warn(message: string): void }): Promise<void> {
  const mine: CaIdentity = { rootSha256: ca.root.fields.fingerprintSha256, development: ca.development };
  const recorded = await caIdentityRepository.claim(db, mine);
  if (recorded.rootSha256 === mine.rootSha256) return;
  if (recorded.development || mine.development) {
    throw new CaIdentityMismatchError(
      `this database belongs to another CA hierarchy (root SHA-256 ${recorded.rootSha256}, ${recorded.development ? 'development' : 'configured'}) ` +
        `than the one this process loaded (${mine.rootSha256}, ${mine.development ? 'the development CA of this DATA_DIR' : 'CA_CONFIG_FILE'}). ` +
        'Replicas must share one CA: give them the same DATA_DIR volume, or configure CA_CONFIG_FILE.',
    );
  }
  logger.warn(`the configured root CA changed (was SHA-256 ${recorded.rootSha256}, now ${mine.rootSha256}): the database now belongs to the new hierarchy`);
  await caIdentityRepository.replace(db, mine);
}
