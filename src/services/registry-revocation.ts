import type { CaMaterial } from '../ca/hierarchy/index.js';
import { formatKeyId } from '../domain/key-id.js';
import type { Queryable } from '../storage/database.js';
import { certificateRegistry } from '../storage/certificate-registry.js';
import type { RevocationChecker } from '../trust/index.js';

/**
 * Revocation status of certificates in our own hierarchy, straight from the registry (no CRL lag): a leaf issued
 * by our issuing CA must be recorded and not revoked; CA certificates of the hierarchy are good (the root's CRL is
 * offline by design).
 */
export function registryRevocationChecker(db: Queryable, ca: CaMaterial): RevocationChecker {
  const issuingKeyId = formatKeyId(ca.issuing.fields.subjectKeyIdentifier);
  return async (certificate) => {
    if (ca.roleOf(certificate.der) !== undefined) return 'good';
    const row = await certificateRegistry.findBySerial(db, issuingKeyId, certificate.serialNumberHex);
    if (!row?.certificateDer?.equals(certificate.der)) return 'unknown';
    return row.revokedAt ? 'revoked' : 'good';
  };
}
