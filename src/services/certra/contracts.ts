import type { Actor, ContactData, RevocationReason } from '../../domain/certra.js';
import { ServiceError } from '../../domain/errors.js';
import { buildEhealthDn, EhealthDnError, parseEhealthDn, type EhealthDn } from '../../identifiers/index.js';
import { certificateRegistry } from '../../storage/certificate-registry.js';
import { certRaRequests } from '../../storage/certra-requests.js';
import type { Queryable } from '../../storage/database.js';
import { normaliseContactData } from './contact-data.js';
import { certificateContractTexts, revocationContractTexts } from './contract-text.js';
import type { CertRaDependencies } from './dependencies.js';
import { requireValidIdentifier, ssinOf } from './identities.js';
import { certificateStatus } from './lifecycle.js';
import { isCertifiableOrganisationType, profileFor } from './profiles.js';
import type { CertificateContract, RevocationContract } from './types.js';

export interface GenerateContractInput {
  readonly contactData: ContactData;
  /** The person who will sign generateCertificate with their eID. */
  readonly signer: Actor;
  /** The certificate holder: the signer themself (SSIN) or an organisation (ETK type), with an optional application id. */
  readonly holder: Actor;
  readonly applicationId: string | undefined;
}

/**
 * generateContract: the personalised contract for a new certificate. Public and unsigned, so it checks only what the
 * request itself can prove (identifier syntax and check digits, that a person asks for their own SSIN) and writes
 * nothing; authorisation is checked when the signed generateCertificate comes back with the sealed contract.
 */
export async function generateCertificateContract(deps: CertRaDependencies, input: GenerateContractInput): Promise<CertificateContract> {
  const now = deps.clock.now();
  normaliseContactData(input.contactData);
  const signerSsin = ssinOf(input.signer, now, 'Signer');
  if (input.holder.ids.length !== 1) throw new ServiceError('INVALID_REQUEST', 'CertificateIdentifier/Actor must carry exactly one Id');
  const identifier = input.holder.ids[0]!;
  const { value } = requireValidIdentifier(identifier, now);
  let name: string;
  if (identifier.type === 'SSIN') {
    // XSD: for a natural person the actor must be the same as the Signer.
    if (value !== signerSsin) throw new ServiceError('NOT_AUTHORIZED', 'a person may request a certificate only for their own SSIN');
    name = [...input.holder.firstNames, input.holder.name].join(' ');
  } else {
    if (!isCertifiableOrganisationType(identifier.type)) {
      throw new ServiceError('UNKNOWN_IDENTIFIER_TYPE', `no eHealth certificate is issued for identifier type ${identifier.type}`);
    }
    name = input.holder.name;
  }
  let dn: string;
  try {
    dn = buildEhealthDn({ type: identifier.type, id: value, name, applicationId: input.applicationId ?? null });
  } catch (error) {
    if (error instanceof EhealthDnError) throw new ServiceError('INVALID_REQUEST', error.message, { cause: error });
    throw error;
  }
  const subject = parseEhealthDn(dn)!;
  const entityType = identifier.type === 'SSIN' ? 'NaturalPerson' : 'Organization';
  const validUntil = new Date(now.getTime() + deps.policy.contractValidityMs);
  const texts = await deps.db.transaction((tx) =>
    deps.sealer.seal(tx, { kind: 'certificate', dn, signer: input.signer }, now, (sealMeta) =>
      certificateContractTexts(
        {
          dn,
          subject,
          signer: input.signer,
          signerSsin,
          environment: deps.policy.environment,
          validityMonths: profileFor(entityType).validity.months[deps.policy.environment],
          replacementMonths: deps.policy.replacementPeriodMonths,
          issuedAt: now,
          validUntil,
        },
        sealMeta,
      ),
    ),
  );
  return { dn, signer: input.signer, texts };
}

/** A contract sent back with generateCertificate: sealed by us, unaltered, not expired. Returns the DN it names. */
export async function verifyCertificateContract(deps: CertRaDependencies, q: Queryable, contract: CertificateContract, now: Date): Promise<EhealthDn> {
  await deps.sealer.verify(q, { kind: 'certificate', dn: contract.dn, signer: contract.signer }, contract.texts, now, deps.policy.contractValidityMs);
  const subject = parseEhealthDn(contract.dn);
  if (!subject) throw new ServiceError('CONTRACT_INVALID', 'the contract DN is not an eHealth certificate DN');
  return subject;
}

export interface GenerateRevocationContractInput {
  readonly publicKeyIdentifier: string;
  readonly signer: Actor;
  readonly reason: RevocationReason;
}

/**
 * generateRevocationContract: public and unsigned like generateContract; refuses only what is visible without
 * knowing the caller (unknown or no longer revocable certificate). Authorisation is checked at revoke.
 */
export async function generateRevocationContract(deps: CertRaDependencies, input: GenerateRevocationContractInput): Promise<RevocationContract> {
  const now = deps.clock.now();
  const signerSsin = ssinOf(input.signer, now, 'Signer');
  return deps.db.transaction(async (tx) => {
    const request = await certRaRequests.findByPublicKeyIdentifier(tx, input.publicKeyIdentifier);
    if (!request) throw new ServiceError('CERTIFICATE_NOT_FOUND');
    const certificate = request.issuedCertificateId === null ? undefined : await certificateRegistry.findById(tx, request.issuedCertificateId);
    const status = certificateStatus(request, certificate, now);
    if (status !== 'VALID_ACTIVE') throw new ServiceError('NOT_REVOCABLE', `the certificate is ${status}`);
    const validUntil = new Date(now.getTime() + deps.policy.contractValidityMs);
    const facts = {
      kind: 'revocation' as const,
      dn: request.dn,
      signer: input.signer,
      revocationReason: input.reason,
      publicKeyIdentifier: request.publicKeyIdentifier,
    };
    const texts = await deps.sealer.seal(tx, facts, now, (sealMeta) =>
      revocationContractTexts(
        { dn: request.dn, publicKeyIdentifier: request.publicKeyIdentifier, reason: input.reason, signer: input.signer, signerSsin, issuedAt: now, validUntil },
        sealMeta,
      ),
    );
    return { dn: request.dn, signer: input.signer, reason: input.reason, texts };
  });
}

/** A revocation contract sent back with revoke, for that very certificate. */
export async function verifyRevocationContract(
  deps: CertRaDependencies,
  q: Queryable,
  contract: RevocationContract,
  publicKeyIdentifier: string,
  now: Date,
): Promise<void> {
  await deps.sealer.verify(
    q,
    { kind: 'revocation', dn: contract.dn, signer: contract.signer, revocationReason: contract.reason, publicKeyIdentifier },
    contract.texts,
    now,
    deps.policy.contractValidityMs,
  );
}
