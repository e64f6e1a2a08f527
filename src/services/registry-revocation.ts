import type { CaMaterial } from '../ca/hierarchy/index.js';
import { formatKeyId } from '../domain/key-id.js';
import type { Queryable } from '../storage/database.js';
import { certificateRegistry } from '../storage/certificate-registry.js';
import type { RevocationChecker } from '../trust/index.js';

/**
 * Revocation status of certificates in our own hierarchy, straight from the registry (no CRL lag): a leaf issued
 * by our issuing CA must be recorded and not revoked; CA certificates of the hierarchy are good (the root's CRL is
 * offline by design).
 *
 * With `lookups` (a hot standby through the ReadRouter) statuses are read there, and a certificate the standby does not
 * know is looked up on `db`, the primary: it may have been issued a moment ago (issuance notifies no cache).
 */
export function registryRevocationChecker(db: Queryable, ca: CaMaterial, lookups: Queryable = db): RevocationChecker {
  const issuingKeyId = formatKeyId(ca.issuing.fields.subjectKeyIdentifier);
  const statusIn = async (q: Queryable, certificate: Parameters<RevocationChecker>[0]) => {
    const row = await certificateRegistry.findBySerial(q, issuingKeyId, certificate.serialNumberHex);
    if (!row?.certificateDer?.equals(certificate.der)) return 'unknown';
    return row.revokedAt ? 'revoked' : 'good';
  };
  return async (certificate) => {
    if (ca.roleOf(certificate.der) !== undefined) return 'good';
    const status = await statusIn(lookups, certificate);
    return status === 'unknown' && lookups !== db ? statusIn(db, certificate) : status;
  };
}
