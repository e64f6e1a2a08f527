import { ServiceError } from '../../domain/errors.js';
import type { Identifier } from '../../domain/identifier.js';
import { validateIdentifier } from '../../identifiers/index.js';
import { certificateRegistry, type IssuedCertificateRow } from '../../storage/certificate-registry.js';
import { certRaRequests, type CertRaRequestRow } from '../../storage/certra-requests.js';
import type { Queryable } from '../../storage/database.js';
import { parseCertificate } from '../../x509/certificate.js';
import type { AuthenticatedSigner } from '../../domain/authenticated-signer.js';
import { hasLiveReplacement } from './certificate-requests.js';
import type { CertRaDependencies } from './dependencies.js';
import { signerIdentity } from './identities.js';
import { certificateStatus, lifecycleState } from './lifecycle.js';
import { authorisationFor, organisationsManagedBy } from './mandates.js';
import type { CertificateInfo } from './types.js';

/**
 * getCertificateInfoForCitizen: every request of the signer's own SSIN and of the organisations they hold a mandate
 * for, whatever its state, oldest first.
 */
export async function certificateInfoForCitizen(deps: CertRaDependencies, signerCertificate: AuthenticatedSigner): Promise<CertificateInfo[]> {
  const now = deps.clock.now();
  const signer = signerIdentity(signerCertificate, now);
  return deps.db.transaction(async (tx) => {
    const identifiers: Identifier[] = [{ type: 'SSIN', value: signer.ssin }, ...(await organisationsManagedBy(tx, signer.ssin)).map((o) => o.identifier)];
    const infos: CertificateInfo[] = [];
    for (const request of await certRaRequests.listByIdentifiers(tx, identifiers)) infos.push(await describe(deps, tx, request, now));
    return infos;
  });
}

/**
 * getCertificateInfoForAuthenticationCertificate: the certificate that signed the request, which must be one we issued
 * for a CertRA request and is not revoked (the front end already validated it against our hierarchy).
 */
export async function certificateInfoForAuthenticationCertificate(deps: CertRaDependencies, signerCertificate: AuthenticatedSigner): Promise<CertificateInfo> {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const issued = await certificateRegistry.findBySerial(tx, deps.issuer.issuerKeyId, signerCertificate.serialNumberHex);
    if (!issued?.certificateDer?.equals(signerCertificate.certificate)) {
      throw new ServiceError('CERTIFICATE_NOT_FOUND', 'the signing certificate is not an eHealth certificate issued by this service');
    }
    if (issued.revokedAt) throw new ServiceError('UNTRUSTED_SIGNER', 'the signing certificate is revoked');
    const request = await certRaRequests.findByIssuedCertificateId(tx, issued.id);
    if (!request) throw new ServiceError('CERTIFICATE_NOT_FOUND', 'the signing certificate was not issued through CertRA');
    return describe(deps, tx, request, now);
  });
}

/**
 * getExistingApplicationIds: the application ids of the organisation's certificates that are active or waiting for
 * validation (null = a certificate without one), so a client can pick a new, unique one. Public: an identifier that
 * is malformed or unknown simply has none (the response type has no status to refuse with).
 */
export async function existingApplicationIds(deps: CertRaDependencies, organisation: Identifier): Promise<Array<string | null>> {
  const now = deps.clock.now();
  if (organisation.type === 'SSIN' || !validateIdentifier(organisation.type, organisation.value, { now }).ok) return [];
  return deps.db.transaction(async (tx) => {
    const ids = new Set<string | null>();
    for (const request of await certRaRequests.listByIdentifiers(tx, [{ type: organisation.type, value: organisation.value.trim() }])) {
      const status = certificateStatus(request, await certificateOf(tx, request), now);
      if (status === 'IN_PROGRESS' || status === 'VALID_ACTIVE') ids.add(request.applicationId);
    }
    return [...ids].sort((a, b) => (a === null ? -1 : b === null ? 1 : a.localeCompare(b)));
  });
}

/** getActorQualities: the signer may only ask about themself; organisations are those of their active mandates. */
export async function actorQualities(
  deps: CertRaDependencies,
  signerCertificate: AuthenticatedSigner,
  requestedSsin: Identifier,
): Promise<{ naturalPerson: boolean; organisations: Array<{ identifier: Identifier; name: string }> }> {
  const now = deps.clock.now();
  const signer = signerIdentity(signerCertificate, now);
  return deps.db.transaction(async (tx) => {
    if (requestedSsin.type !== 'SSIN') throw new ServiceError('INVALID_REQUEST', 'the SSIN element must have Type SSIN');
    await authorisationFor(tx, signer.ssin, { type: 'SSIN', value: requestedSsin.value.trim() });
    // Without access to the professions cadastre (CoBRHA) every eID holder may hold a personal certificate.
    return { naturalPerson: true, organisations: await organisationsManagedBy(tx, signer.ssin) };
  });
}

async function certificateOf(q: Queryable, request: CertRaRequestRow): Promise<IssuedCertificateRow | undefined> {
  return request.issuedCertificateId === null ? undefined : certificateRegistry.findById(q, request.issuedCertificateId);
}

async function describe(deps: CertRaDependencies, q: Queryable, request: CertRaRequestRow, now: Date): Promise<CertificateInfo> {
  const certificate = await certificateOf(q, request);
  const issued = request.status === 'ISSUED' && certificate?.certificateDer ? certificate : undefined;
  const state = lifecycleState(deps.policy, request, issued, issued ? await hasLiveReplacement(q, request, now) : false, now);
  const parsed = issued ? parseCertificate(issued.certificateDer!) : undefined;
  return {
    requestedAt: request.requestedAt,
    publicKeyIdentifier: request.publicKeyIdentifier,
    entityType: request.entityType,
    actor: { ids: [{ type: request.identifierType, value: request.identifierValue }], firstNames: request.actorFirstNames, name: request.actorName },
    applicationId: request.applicationId ?? undefined,
    status: state.status,
    etkStatus: issued ? await deps.etk.statusForCertificate(q, issued.id, now) : 'NOT_REQUESTED',
    automaticallyValidated: request.automaticallyValidated,
    details:
      issued && parsed
        ? {
            serialNumber: BigInt(`0x${parsed.serialNumberHex}`).toString(10),
            dn: parsed.subjectDn,
            issuerDn: parsed.issuerDn,
            notBefore: issued.notBefore,
            notAfter: issued.notAfter,
          }
        : undefined,
    revocable: state.revocable,
    replaceable: state.replaceable,
    replacementPeriodStart: state.replacementPeriodStart,
    contactData: request.contactData,
    baseServiceUsage: request.baseServiceUsage,
  };
}
