import { operatorName, type Operator } from '../../domain/operator.js';
import type { MandateRole } from '../../domain/certra.js';
import type { Clock } from '../../domain/clock.js';
import { ServiceError } from '../../domain/errors.js';
import type { Identifier } from '../../domain/identifier.js';
import { checkSsin, normaliseDnName } from '../../identifiers/index.js';
import { auditLog } from '../../storage/certificate-registry.js';
import { mandates, testCases, type MandateRow, type TestCaseRow } from '../../storage/certra-registrations.js';
import type { Database, Queryable } from '../../storage/database.js';
import { normaliseEmail } from './contact-data.js';
import { requireValidIdentifier } from './identities.js';
import { isCertifiableOrganisationType } from './profiles.js';

/**
 * Who may act for an organisation, after the eHealth UMan roles and the IGC-Santé habilitation forms: the legal
 * representative (proven by the statutes or a board decision) and the certificate managers a legal representative
 * designates with a procuration form. An administrator registers both with the CLI; each registration and withdrawal
 * is audited with the operator. Withdrawing a legal representative does not withdraw the managers they designated:
 * a designation is made on behalf of the organisation (as in UMan, where the local managers stay when the RAE changes).
 */

export interface RegistrationDeps {
  readonly db: Database;
  readonly clock: Clock;
}

export interface LegalRepresentativeInput {
  readonly organisation: Identifier;
  readonly organisationName: string;
  readonly holderSsin: string;
  /** Reference of the statutes / board decision that proves the power of representation. */
  readonly evidence: string;
}

export interface CertificateManagerInput {
  readonly organisation: Identifier;
  readonly holderSsin: string;
  /** SSIN of the legal representative who signed the procuration form. */
  readonly designatedBySsin: string;
  /** Reference of the procuration form. */
  readonly evidence: string;
  /** Where they are reminded of the organisation's expiring certificates (else the address of their latest request). */
  readonly contactEmail?: string | undefined;
}

function requireOrganisation(organisation: Identifier, now: Date): Identifier {
  if (!isCertifiableOrganisationType(organisation.type)) {
    throw new ServiceError('UNKNOWN_IDENTIFIER_TYPE', `${organisation.type} is not an organisation type CertRA issues certificates for`);
  }
  return { type: organisation.type, value: requireValidIdentifier(organisation, now).value };
}

function requireSsin(ssin: string, now: Date, role: string): string {
  if (!checkSsin(ssin, now).ok) throw new ServiceError('INVALID_IDENTIFIER', `${role} ${JSON.stringify(ssin)} is not a valid SSIN`);
  return ssin;
}

function requireEvidence(evidence: string): string {
  const trimmed = evidence.trim();
  if (trimmed === '') throw new ServiceError('INVALID_REQUEST', 'a mandate needs evidence (statutes, decision or procuration form reference)');
  return trimmed;
}

export async function registerLegalRepresentative(deps: RegistrationDeps, input: LegalRepresentativeInput, operator: Operator): Promise<MandateRow> {
  const now = deps.clock.now();
  const organisation = requireOrganisation(input.organisation, now);
  const name = normaliseDnName(input.organisationName);
  if (name === '') throw new ServiceError('INVALID_REQUEST', 'the organisation name is empty');
  const holderSsin = requireSsin(input.holderSsin, now, 'holder');
  const evidence = requireEvidence(input.evidence);
  return deps.db.transaction(async (tx) => {
    const mandate = await mandates.insert(tx, {
      organisationType: organisation.type,
      organisationId: organisation.value,
      organisationName: name,
      holderSsin,
      role: 'LEGAL_REPRESENTATIVE',
      designatedByMandateId: null,
      evidence,
      registeredBy: operatorName(operator),
      registeredAt: now,
    });
    await auditMandate(tx, operator, 'certra.mandate.registered', mandate);
    return mandate;
  });
}

export async function registerCertificateManager(deps: RegistrationDeps, input: CertificateManagerInput, operator: Operator): Promise<MandateRow> {
  const now = deps.clock.now();
  const organisation = requireOrganisation(input.organisation, now);
  const holderSsin = requireSsin(input.holderSsin, now, 'holder');
  const designatedBySsin = requireSsin(input.designatedBySsin, now, 'designating legal representative');
  const evidence = requireEvidence(input.evidence);
  const contactEmail = input.contactEmail === undefined ? null : normaliseEmail(input.contactEmail, "the certificate manager's e-mail");
  return deps.db.transaction(async (tx) => {
    const designator = (await mandates.findActive(tx, organisation.type, organisation.value, designatedBySsin)).find((m) => m.role === 'LEGAL_REPRESENTATIVE');
    if (!designator) {
      throw new ServiceError('NOT_AUTHORIZED', `${designatedBySsin} is not a registered legal representative of ${organisation.type} ${organisation.value}`);
    }
    const mandate = await mandates.insert(tx, {
      organisationType: organisation.type,
      organisationId: organisation.value,
      organisationName: designator.organisationName,
      holderSsin,
      role: 'CERTIFICATE_MANAGER',
      designatedByMandateId: designator.id,
      evidence,
      contactEmail,
      registeredBy: operatorName(operator),
      registeredAt: now,
    });
    await auditMandate(tx, operator, 'certra.mandate.registered', mandate);
    return mandate;
  });
}

export async function withdrawMandate(deps: RegistrationDeps, mandateId: bigint, reason: string, operator: Operator): Promise<MandateRow> {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const mandate = await mandates.findById(tx, mandateId);
    if (!mandate) throw new ServiceError('DATA_NOT_FOUND', `no mandate ${mandateId}`);
    if (!(await mandates.withdraw(tx, mandateId, { at: now, by: operatorName(operator), reason: reason.trim() || 'withdrawn' }))) {
      throw new ServiceError('INVALID_REQUEST', `mandate ${mandateId} is already withdrawn`);
    }
    await auditMandate(tx, operator, 'certra.mandate.withdrawn', mandate, { reason });
    return (await mandates.findById(tx, mandateId))!;
  });
}

/**
 * Sets the address a certificate manager is reminded at (null: back to the address of their latest request). Audited
 * with the operator, the address before and after.
 */
export async function setMandateContactEmail(deps: RegistrationDeps, mandateId: bigint, contactEmail: string | null, operator: Operator): Promise<MandateRow> {
  const email = contactEmail === null ? null : normaliseEmail(contactEmail, 'the e-mail');
  return deps.db.transaction(async (tx) => {
    const mandate = await mandates.findById(tx, mandateId);
    if (!mandate) throw new ServiceError('DATA_NOT_FOUND', `no mandate ${mandateId}`);
    if (!(await mandates.setContactEmail(tx, mandateId, email))) throw new ServiceError('INVALID_REQUEST', `mandate ${mandateId} is withdrawn`);
    const after = (await mandates.findById(tx, mandateId))!;
    await auditLog.record(tx, {
      actor: operator,
      action: 'certra.mandate.contact-changed',
      subject: `${mandate.organisationType}=${mandate.organisationId}`,
      details: { mandateId: String(mandate.id), holderSsin: mandate.holderSsin },
      before: { contactEmail: mandate.contactEmail },
      after: { contactEmail: after.contactEmail },
    });
    return after;
  });
}

export async function listMandates(
  deps: RegistrationDeps,
  filter: { organisation?: Identifier; holderSsin?: string; includeWithdrawn?: boolean },
): Promise<MandateRow[]> {
  return mandates.list(deps.db, {
    ...(filter.organisation ? { organisationType: filter.organisation.type, organisationId: filter.organisation.value } : {}),
    ...(filter.holderSsin ? { holderSsin: filter.holderSsin } : {}),
    includeWithdrawn: filter.includeWithdrawn ?? false,
  });
}

async function auditMandate(q: Queryable, operator: Operator, action: string, mandate: MandateRow, extra: Record<string, unknown> = {}): Promise<void> {
  await auditLog.record(q, {
    actor: operator,
    action,
    subject: `${mandate.organisationType}=${mandate.organisationId}`,
    details: {
      mandateId: String(mandate.id),
      holderSsin: mandate.holderSsin,
      role: mandate.role,
      evidence: mandate.evidence,
      ...(mandate.contactEmail !== null ? { contactEmail: mandate.contactEmail } : {}),
      ...extra,
    },
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Acceptance test cases

export interface TestCaseInput {
  /** The certificate identifier: a person's SSIN or an organisation identifier. */
  readonly identifier: Identifier;
  readonly responsibleSsin: string;
  readonly description: string;
}

export async function registerTestCase(deps: RegistrationDeps, input: TestCaseInput, operator: Operator): Promise<TestCaseRow> {
  const now = deps.clock.now();
  const identifier =
    input.identifier.type === 'SSIN'
      ? { type: 'SSIN', value: requireSsin(input.identifier.value, now, 'identifier') }
      : requireOrganisation(input.identifier, now);
  const responsibleSsin = requireSsin(input.responsibleSsin, now, 'responsible');
  if (identifier.type === 'SSIN' && identifier.value !== responsibleSsin) {
    throw new ServiceError('INVALID_REQUEST', 'a natural person is responsible for their own certificate: the SSINs must be equal');
  }
  return deps.db.transaction(async (tx) => {
    const testCase = await testCases.insert(tx, {
      identifierType: identifier.type,
      identifierValue: identifier.value,
      responsibleSsin,
      description: input.description.trim() || 'test case',
      registeredBy: operatorName(operator),
      registeredAt: now,
    });
    await auditLog.record(tx, {
      actor: operator,
      action: 'certra.test-case.registered',
      subject: `${identifier.type}=${identifier.value}`,
      details: { testCaseId: String(testCase.id), responsibleSsin, description: testCase.description },
    });
    return testCase;
  });
}

export async function removeTestCase(deps: RegistrationDeps, testCaseId: bigint, operator: Operator): Promise<void> {
  await deps.db.transaction(async (tx) => {
    if (!(await testCases.remove(tx, testCaseId, { at: deps.clock.now(), by: operatorName(operator) }))) {
      throw new ServiceError('DATA_NOT_FOUND', `no active test case ${testCaseId}`);
    }
    await auditLog.record(tx, { actor: operator, action: 'certra.test-case.removed', subject: String(testCaseId) });
  });
}

export async function listTestCases(deps: RegistrationDeps, includeRemoved = false): Promise<TestCaseRow[]> {
  return testCases.list(deps.db, { includeRemoved });
}

// ---------------------------------------------------------------------------------------------------------------
// Authorisation

/** How the signer is entitled to act for a certificate identifier. */
export type Authorisation = { readonly kind: 'own-ssin' } | { readonly kind: 'mandate'; readonly role: MandateRole; readonly organisationName: string };

/**
 * A person acts only for their own SSIN; for an organisation the signer needs an active mandate. Anything else is
 * NOT_AUTHORIZED (a status, never a fault).
 */
export async function authorisationFor(q: Queryable, signerSsin: string, identifier: Identifier): Promise<Authorisation> {
  if (identifier.type === 'SSIN') {
    if (identifier.value !== signerSsin) throw new ServiceError('NOT_AUTHORIZED', 'a person may act only for their own SSIN');
    return { kind: 'own-ssin' };
  }
  const [mandate] = await mandates.findActive(q, identifier.type, identifier.value, signerSsin);
  if (!mandate) throw new ServiceError('NOT_AUTHORIZED', `the signer holds no mandate for ${identifier.type} ${identifier.value}`);
  return { kind: 'mandate', role: mandate.role, organisationName: mandate.organisationName };
}

/** Whether an acceptance test case links the certificate identifier and the signer. */
export async function hasTestCase(q: Queryable, identifier: Identifier, signerSsin: string): Promise<boolean> {
  return (await testCases.findActive(q, identifier.type, identifier.value, signerSsin)) !== undefined;
}

/** The organisations a person may manage certificates for (distinct, in registration order). */
export async function organisationsManagedBy(q: Queryable, ssin: string): Promise<Array<{ identifier: Identifier; name: string }>> {
  const seen = new Map<string, { identifier: Identifier; name: string }>();
  for (const mandate of await mandates.listActiveForHolder(q, ssin)) {
    const key = `${mandate.organisationType}\u0000${mandate.organisationId}`;
    if (!seen.has(key)) seen.set(key, { identifier: { type: mandate.organisationType, value: mandate.organisationId }, name: mandate.organisationName });
  }
  return [...seen.values()];
}
