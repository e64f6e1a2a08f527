import { ServiceError } from '../../domain/errors.js';
import { dnEqualsUnordered } from '../../identifiers/index.js';
import { auditLog, certificateRegistry } from '../../storage/certificate-registry.js';
import { certRaRequests } from '../../storage/certra-requests.js';
import type { AuthenticatedSigner } from '../../domain/authenticated-signer.js';
import { verifyRevocationContract } from './contracts.js';
import type { CertRaDependencies } from './dependencies.js';
import { assertSignerIs, signerIdentity } from './identities.js';
import { certificateStatus } from './lifecycle.js';
import { authorisationFor } from './mandates.js';
import type { RevocationContract } from './types.js';

export interface RevokeInput {
  readonly signer: AuthenticatedSigner;
  readonly publicKeyIdentifier: string;
  readonly contract: RevocationContract;
  /** The signed request element (exclusive canonical form), kept in the audit log as evidence. */
  readonly signedRequest: string;
}

/**
 * revoke, in one transaction: sealed revocation contract for this very certificate → signer is its Signer →
 * authorisation (own SSIN or mandate, checked before anything about the certificate is revealed) → the certificate is
 * active → registry revocation (the CRL source) and the certificate's ETKs unpublished at once. The CRL cache is
 * dropped after commit.
 */
export async function revokeCertificate(deps: CertRaDependencies, input: RevokeInput): Promise<void> {
  const now = deps.clock.now();
  const signer = signerIdentity(input.signer, now);
  await deps.db.transaction(async (tx) => {
    await verifyRevocationContract(deps, tx, input.contract, input.publicKeyIdentifier, now);
    assertSignerIs(signer, input.contract.signer, now);
    const request = await certRaRequests.findByPublicKeyIdentifier(tx, input.publicKeyIdentifier, { forUpdate: true });
    if (!request) throw new ServiceError('CERTIFICATE_NOT_FOUND');
    if (!dnEqualsUnordered(request.dn, input.contract.dn)) throw new ServiceError('CONTRACT_INVALID', 'the contract names another certificate');
    await authorisationFor(tx, signer.ssin, { type: request.identifierType, value: request.identifierValue });
    const certificate = request.issuedCertificateId === null ? undefined : await certificateRegistry.findById(tx, request.issuedCertificateId);
    const status = certificateStatus(request, certificate, now);
    if (status !== 'VALID_ACTIVE' || !certificate) throw new ServiceError('NOT_REVOCABLE', `the certificate is ${status}`);
    if (!(await certificateRegistry.revoke(tx, certificate.id, now, input.contract.reason)))
      throw new ServiceError('NOT_REVOCABLE', 'the certificate is already revoked');
    const etksRevoked = await deps.etk.revokeForCertificate(tx, certificate.id, now);
    await auditLog.record(tx, {
      actor: `ssin:${signer.ssin}`,
      action: 'certra.certificate.revoked',
      subject: request.publicKeyIdentifier,
      details: { serial: certificate.serialHex, reason: input.contract.reason, etksRevoked, signedRequest: input.signedRequest },
    });
  });
  deps.afterRevocation();
}
