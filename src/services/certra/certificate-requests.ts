import { operatorName, type Operator } from '../../domain/operator.js';
import { randomBytes } from 'node:crypto';
import type { Actor, ContactData } from '../../domain/certra.js';
import { ServiceError } from '../../domain/errors.js';
import { normaliseKeyId } from '../../domain/key-id.js';
import { buildEhealthDn, dnCanonicalKey, EhealthDnError, isBisNumber } from '../../identifiers/index.js';
import { auditLog, certificateRegistry, type IssuedCertificateRow } from '../../storage/certificate-registry.js';
import {
  certRaRequests,
  PendingRequestExistsError,
  PublicKeyAlreadyRequestedError,
  type CertRaRequestRow,
  type NewCertRaRequest,
} from '../../storage/certra-requests.js';
import type { Queryable } from '../../storage/database.js';
import type { AuthenticatedSigner } from '../../domain/authenticated-signer.js';
import { normaliseContactData } from './contact-data.js';
import { verifyCertificateContract } from './contracts.js';
import { checkCsr } from './csr-check.js';
import type { CertRaDependencies } from './dependencies.js';
import { assertSignerIs, requireValidIdentifier, signerIdentity, ssinOf } from './identities.js';
import { hasLapsed, isLiveReplacement } from './lifecycle.js';
import { authorisationFor, hasTestCase } from './mandates.js';
import { BASE_SERVICES, isAutomaticallyValidated, replacementPeriodStart } from './policy.js';
import { profileFor } from './profiles.js';
import type { CertificateContract } from './types.js';

export interface CertificateRequestInput {
  readonly signer: AuthenticatedSigner;
  readonly contactData: ContactData;
  readonly csrDer: Buffer;
  readonly contract: CertificateContract;
  readonly baseServiceUsage: readonly string[];
  /** The signed request element (exclusive canonical form), kept with the request as evidence of the accepted contract. */
  readonly signedRequest: string;
}

export interface CertificateRequestOutcome {
  readonly publicKeyIdentifier: string;
  readonly automaticallyValidated: boolean;
  /** The certificate this request replaces, when it was made during that certificate's replacement period. */
  readonly replacesPublicKeyIdentifier: string | undefined;
}

/**
 * generateCertificate, in one transaction: sealed contract → signer is the contract's Signer → authorisation (own
 * SSIN or mandate) → CSR against the contract DN → the DN's state (one pending request, one active certificate except
 * during its replacement period) → the request row → issuance at once when the policy validates it automatically.
 * Any refusal rolls the whole transaction back: a refused request leaves no row.
 */
export async function submitCertificateRequest(deps: CertRaDependencies, input: CertificateRequestInput): Promise<CertificateRequestOutcome> {
  const now = deps.clock.now();
  const signer = signerIdentity(input.signer, now);
  const contactData = normaliseContactData(input.contactData);
  const baseServiceUsage = checkBaseServices(input.baseServiceUsage);
  return deps.db.transaction(async (tx) => {
    const subject = await verifyCertificateContract(deps, tx, input.contract, now);
    assertSignerIs(signer, input.contract.signer, now);
    const identifier = { type: subject.type, value: requireValidIdentifier({ type: subject.type, value: subject.id }, now).value };
    const authorisation = await authorisationFor(tx, signer.ssin, identifier);
    // The name in an organisation's certificate is the registered one, never whatever the requester typed.
    if (authorisation.kind === 'mandate' && subject.name !== authorisation.organisationName) {
      throw new ServiceError('NOT_AUTHORIZED', `the organisation is registered as ${authorisation.organisationName}, not ${subject.name}`);
    }
    const entityType = identifier.type === 'SSIN' ? 'NaturalPerson' : 'Organization';
    const dn = canonicalDn(subject.type, subject.id, subject.name, subject.applicationId);
    const { publicKeyIdentifier } = checkCsr(input.csrDer, dn, profileFor(entityType));
    const automaticallyValidated = isAutomaticallyValidated(deps.policy, { channel: 'eid', hasTestCase: await hasTestCase(tx, identifier, signer.ssin) });
    const placed = await placeRequest(
      deps,
      tx,
      {
        publicKeyIdentifier,
        channel: 'eid',
        dn,
        dnKey: dnCanonicalKey(dn),
        entityType,
        identifierType: identifier.type,
        identifierValue: identifier.value,
        applicationId: subject.applicationId ?? null,
        actorFirstNames: entityType === 'NaturalPerson' ? input.contract.signer.firstNames : [],
        actorName: entityType === 'NaturalPerson' ? input.contract.signer.name : subject.name,
        requesterSsin: signer.ssin,
        contactData,
        baseServiceUsage,
        csrDer: input.csrDer,
        signedRequest: input.signedRequest,
        automaticallyValidated,
        replacesRequestId: null,
        requestedAt: now,
        validationReference: null,
        validationExpiresAt: null,
      },
      `ssin:${signer.ssin}`,
    );
    return {
      publicKeyIdentifier: placed.request.publicKeyIdentifier,
      automaticallyValidated: placed.request.automaticallyValidated,
      replacesPublicKeyIdentifier: placed.replaces?.publicKeyIdentifier,
    };
  });
}

export interface ForeignerRequestInput {
  readonly person: Actor;
  readonly contactData: ContactData;
  readonly csrDer: Buffer;
}

export interface ForeignerRequestOutcome {
  readonly publicKeyIdentifier: string;
  /** Random, unguessable: the last segment of the validation URL. */
  readonly validationReference: string;
  readonly expiresAt: Date;
}

/**
 * submitCSRForForeigner: a non-resident without a Belgian eID, identified by an SSIN BIS number. Nothing proves the
 * identity here, so the request always waits for an officer, who checks it out of band (identity document at a
 * registration office) and approves it before the expiry date, or it lapses.
 */
export async function submitForeignerRequest(deps: CertRaDependencies, input: ForeignerRequestInput): Promise<ForeignerRequestOutcome> {
  const now = deps.clock.now();
  const contactData = normaliseContactData(input.contactData);
  const ssin = ssinOf(input.person, now, 'ForeignPerson');
  if (!isBisNumber(ssin, now))
    throw new ServiceError('INVALID_IDENTIFIER', 'only SSIN BIS numbers are accepted: this service is for non-residents without an eID');
  if (input.person.firstNames.length === 0) throw new ServiceError('INVALID_REQUEST', 'ForeignPerson must carry the first name');
  const dn = canonicalDn('SSIN', ssin, foreignerDnName(input.person), undefined);
  const { publicKeyIdentifier } = checkCsr(input.csrDer, dn, profileFor('NaturalPerson'), 'the DN of this foreign person');
  const expiresAt = new Date(now.getTime() + deps.policy.foreignerValidationDays * 24 * 60 * 60 * 1000);
  return deps.db.transaction(async (tx) => {
    const placed = await placeRequest(
      deps,
      tx,
      {
        publicKeyIdentifier,
        channel: 'foreigner',
        dn,
        dnKey: dnCanonicalKey(dn),
        entityType: 'NaturalPerson',
        identifierType: 'SSIN',
        identifierValue: ssin,
        applicationId: null,
        actorFirstNames: input.person.firstNames,
        actorName: input.person.name,
        requesterSsin: ssin,
        contactData,
        baseServiceUsage: [],
        csrDer: input.csrDer,
        signedRequest: null,
        automaticallyValidated: false,
        replacesRequestId: null,
        requestedAt: now,
        validationReference: randomBytes(24).toString('base64url'),
        validationExpiresAt: expiresAt,
      },
      `foreigner:${ssin}`,
    );
    return {
      publicKeyIdentifier: placed.request.publicKeyIdentifier,
      validationReference: placed.request.validationReference!,
      expiresAt: placed.request.validationExpiresAt!,
    };
  });
}

/**
 * The name OU of a foreigner's DN: the **surname, then the first name**, separated by one space (upper-cased and
 * diacritics stripped by `buildEhealthDn`). This is the reverse of the eID path (first names, then surname), and it is
 * what the eHealth connector puts in the CSR it sends: `ForeignRequestBuilder.build()` calls
 * `new DistinguishedName(ssinBis, name, firstName, IdentifierType.SSIN)`, whose constructor passes `name + " " + firstName`
 * on as the DN's name (taktik/freehealth-connector,
 * src/main/java/be/fgov/ehealth/technicalconnector/ra/builders/ForeignRequestBuilder.java and
 * src/main/java/be/fgov/ehealth/technicalconnector/ra/domain/DistinguishedName.java; docs/wire-facts.md "Foreigner DN").
 * The connector sends one FirstName; should a client send several, they follow the surname in their order.
 */
function foreignerDnName(person: Actor): string {
  return [person.name, ...person.firstNames].join(' ');
}

/** The DN as we write it (Java RFC 2253 form), whatever escaping the client echoed. */
function canonicalDn(type: string, id: string, name: string, applicationId: string | undefined): string {
  try {
    return buildEhealthDn({ type, id, name, applicationId: applicationId ?? null });
  } catch (error) {
    if (error instanceof EhealthDnError) throw new ServiceError('INVALID_REQUEST', error.message, { cause: error });
    throw error;
  }
}

function checkBaseServices(services: readonly string[]): string[] {
  const accepted = new Set<string>(BASE_SERVICES);
  const result: string[] = [];
  for (const service of services.map((s) => s.trim())) {
    if (!accepted.has(service))
      throw new ServiceError('INVALID_REQUEST', `BaseServiceUsage ${JSON.stringify(service.slice(0, 40))} is not one of ${BASE_SERVICES.join(', ')}`);
    if (!result.includes(service)) result.push(service);
  }
  return result;
}

/**
 * Applies the per-DN rules under the DN lock and records the request: a new public key, no other request waiting
 * for this DN, and either no active certificate or one inside its replacement period that nothing replaces yet
 * (which the new request then replaces). A retry of an accepted request (same key, DN and requester) gets the same
 * answer instead of an error.
 */
async function placeRequest(
  deps: CertRaDependencies,
  tx: Queryable,
  draft: NewCertRaRequest,
  actor: string,
): Promise<{ request: CertRaRequestRow; replaces: CertRaRequestRow | undefined }> {
  const now = draft.requestedAt;
  await certRaRequests.lockDn(tx, draft.dnKey);
  const known = await certRaRequests.findByPublicKeyIdentifier(tx, draft.publicKeyIdentifier);
  if (known) {
    const retry = known.dnKey === draft.dnKey && known.requesterSsin === draft.requesterSsin && known.channel === draft.channel && known.status !== 'REFUSED';
    if (!retry) throw new ServiceError('PUBLIC_KEY_IN_USE');
    return { request: known, replaces: known.replacesRequestId === null ? undefined : await certRaRequests.findById(tx, known.replacesRequestId) };
  }
  if ((await certificateRegistry.findBySubjectKeyId(tx, draft.publicKeyIdentifier)).length > 0) throw new ServiceError('PUBLIC_KEY_IN_USE');

  const active: Array<{ request: CertRaRequestRow; certificate: IssuedCertificateRow }> = [];
  for (const existing of await certRaRequests.listByDnKey(tx, draft.dnKey)) {
    if (existing.status === 'PENDING') {
      if (!hasLapsed(existing, now)) throw new ServiceError('REQUEST_PENDING');
      await certRaRequests.markRefused(tx, existing.id, { at: now, by: 'system', note: 'identity validation period lapsed' });
      continue;
    }
    const certificate = existing.issuedCertificateId === null ? undefined : await certificateRegistry.findById(tx, existing.issuedCertificateId);
    if (certificate && !certificate.revokedAt && now.getTime() < certificate.notAfter.getTime()) active.push({ request: existing, certificate });
  }
  let replaces: CertRaRequestRow | undefined;
  if (active.length > 0) {
    const current = active.reduce((a, b) => (b.certificate.notAfter.getTime() > a.certificate.notAfter.getTime() ? b : a));
    const start = replacementPeriodStart(deps.policy, current.certificate.notAfter);
    if (now.getTime() < start.getTime()) {
      throw new ServiceError('NOT_REPLACEABLE', `certificate ${current.request.publicKeyIdentifier} can be replaced from ${start.toISOString()}`, {
        parameters: [{ name: 'ReplacementPeriodStartDate', value: start.toISOString() }],
      });
    }
    if (await hasLiveReplacement(tx, current.request, now))
      throw new ServiceError('NOT_REPLACEABLE', `certificate ${current.request.publicKeyIdentifier} is already replaced`);
    replaces = current.request;
  }

  let request: CertRaRequestRow;
  try {
    request = await certRaRequests.insert(
      tx,
      { ...draft, replacesRequestId: replaces?.id ?? null },
      {
        actor,
        action: 'certra.request.submitted',
        subject: normaliseKeyId(draft.publicKeyIdentifier),
        details: {
          dn: draft.dn,
          channel: draft.channel,
          automaticallyValidated: draft.automaticallyValidated,
          replaces: replaces?.publicKeyIdentifier ?? null,
        },
      },
    );
  } catch (error) {
    if (error instanceof PendingRequestExistsError) throw new ServiceError('REQUEST_PENDING', undefined, { cause: error });
    if (error instanceof PublicKeyAlreadyRequestedError) throw new ServiceError('PUBLIC_KEY_IN_USE', undefined, { cause: error });
    throw error;
  }
  if (request.automaticallyValidated) request = await issueFor(deps, tx, request, 'automatic', null, actor);
  return { request, replaces };
}

/** Whether a pending request, or an issued and unrevoked certificate, replaces this request's certificate. */
export async function hasLiveReplacement(q: Queryable, request: CertRaRequestRow, now: Date): Promise<boolean> {
  for (const replacement of await certRaRequests.listReplacementsOf(q, request.id)) {
    const certificate = replacement.issuedCertificateId === null ? undefined : await certificateRegistry.findById(q, replacement.issuedCertificateId);
    if (isLiveReplacement(replacement, certificate, now)) return true;
  }
  return false;
}

/** Issues the certificate of a validated request through the CA (profile by entity, validity by environment). */
async function issueFor(
  deps: CertRaDependencies,
  tx: Queryable,
  request: CertRaRequestRow,
  decidedBy: string,
  note: string | null,
  actor: string,
): Promise<CertRaRequestRow> {
  const now = deps.clock.now();
  const issued = await deps.issuer.issueFromCsr(
    tx,
    { csrDer: request.csrDer, expectedSubjectDn: request.dn, profile: profileFor(request.entityType), environment: deps.policy.environment, now },
    actor,
  );
  if (issued.subjectKeyIdentifierHex !== request.publicKeyIdentifier) {
    throw new Error(`issued SKI ${issued.subjectKeyIdentifierHex} differs from the request's public key identifier ${request.publicKeyIdentifier}`);
  }
  const updated = await certRaRequests.markIssued(
    tx,
    request.id,
    { issuedCertificateId: issued.id, at: now, by: decidedBy, note },
    { actor, action: 'certra.request.issued', subject: request.publicKeyIdentifier, details: { serial: issued.serialHex, decidedBy } },
  );
  if (!updated) throw new ServiceError('INVALID_REQUEST', `request ${request.id} is no longer pending`);
  return updated;
}

/** getCertificate: the chain (leaf first, intermediates, no root) once issued; a status before or after refusal. */
export async function certificateChain(deps: CertRaDependencies, publicKeyIdentifier: string): Promise<Buffer[]> {
  const now = deps.clock.now();
  const found = await certRaRequests.findWithCertificateDer(deps.db, publicKeyIdentifier);
  if (!found) throw new ServiceError('CERTIFICATE_NOT_FOUND');
  const { request, certificateDer } = found;
  if (request.status === 'REFUSED' || hasLapsed(request, now))
    throw new ServiceError('REQUEST_REFUSED', request.decisionNote ? `the request was refused: ${request.decisionNote}` : undefined);
  if (request.status === 'PENDING') throw new ServiceError('CERT_NOT_YET_DELIVERED');
  if (!certificateDer) throw new Error(`request ${request.id} is ISSUED but its certificate is missing`);
  return [certificateDer, ...deps.issuer.chainWithoutRoot()];
}

// ---------------------------------------------------------------------------------------------------------------
// Manual validation (CLI)

export interface ApprovalInput {
  readonly publicKeyIdentifier: string;
  readonly officer: Operator;
  readonly note?: string;
  /** Required for foreigners: how the identity was checked (document type and number, office, date). */
  readonly identityEvidence?: string;
}

/** An officer approves a waiting request: the certificate is issued now, the officer recorded with the decision. */
export async function approveRequest(deps: CertRaDependencies, input: ApprovalInput): Promise<CertRaRequestRow> {
  return deps.db.transaction((tx) => approveRequestIn(deps, tx, input));
}

/** approveRequest in the caller's transaction (a four-eyes confirmation records its own decision with it). */
export async function approveRequestIn(
  deps: CertRaDependencies,
  tx: Queryable,
  input: ApprovalInput & { readonly confirmedBy?: Operator },
): Promise<CertRaRequestRow> {
  const now = deps.clock.now();
  const request = await pendingRequest(tx, input.publicKeyIdentifier, now);
  const evidence = input.identityEvidence?.trim();
  if (request.channel === 'foreigner' && !evidence) {
    throw new ServiceError('INVALID_REQUEST', 'a foreigner request is approved only with the identity evidence (--identity-evidence)');
  }
  await certRaRequests.lockDn(tx, request.dnKey);
  const note = [evidence ? `identity: ${evidence}` : undefined, input.note?.trim() || undefined].filter(Boolean).join('; ') || null;
  const decidedBy = input.confirmedBy ? `${operatorName(input.officer)}, confirmed by ${operatorName(input.confirmedBy)}` : operatorName(input.officer);
  const issued = await issueFor(deps, tx, request, decidedBy, note, operatorName(input.officer));
  await auditLog.record(tx, {
    actor: input.confirmedBy ?? input.officer,
    action: 'certra.request.approved',
    subject: request.publicKeyIdentifier,
    details: { note, ...(input.confirmedBy ? { requestedBy: input.officer } : {}) },
    before: { status: request.status },
    after: { status: issued.status },
    ...(evidence ? { evidence } : {}),
  });
  return issued;
}

export async function refuseRequest(
  deps: CertRaDependencies,
  input: { publicKeyIdentifier: string; officer: Operator; reason: string },
): Promise<CertRaRequestRow> {
  const now = deps.clock.now();
  const reason = input.reason.trim();
  if (reason === '') throw new ServiceError('INVALID_REQUEST', 'a refusal needs a reason');
  return deps.db.transaction(async (tx) => {
    const request = await pendingRequest(tx, input.publicKeyIdentifier, now);
    await certRaRequests.markRefused(tx, request.id, { at: now, by: operatorName(input.officer), note: reason });
    await auditLog.record(tx, {
      actor: input.officer,
      action: 'certra.request.refused',
      subject: request.publicKeyIdentifier,
      details: { reason },
      before: { status: request.status },
      after: { status: 'REFUSED' },
    });
    return (await certRaRequests.findById(tx, request.id))!;
  });
}

async function pendingRequest(tx: Queryable, publicKeyIdentifier: string, now: Date): Promise<CertRaRequestRow> {
  const request = await certRaRequests.findByPublicKeyIdentifier(tx, publicKeyIdentifier, { forUpdate: true });
  if (!request) throw new ServiceError('CERTIFICATE_NOT_FOUND');
  if (request.status !== 'PENDING') throw new ServiceError('INVALID_REQUEST', `the request is already ${request.status}`);
  if (hasLapsed(request, now))
    throw new ServiceError('INVALID_REQUEST', `the identity validation period ended at ${request.validationExpiresAt!.toISOString()}`);
  return request;
}

export async function pendingRequests(deps: CertRaDependencies): Promise<CertRaRequestRow[]> {
  const now = deps.clock.now();
  return (await certRaRequests.listPending(deps.db)).filter((request) => !hasLapsed(request, now));
}

export async function recentRequests(deps: CertRaDependencies, limit: number): Promise<CertRaRequestRow[]> {
  return certRaRequests.listRecent(deps.db, limit);
}

/** What the foreigner validation page shows for a reference. */
export async function foreignerRequestByReference(deps: CertRaDependencies, reference: string): Promise<CertRaRequestRow | undefined> {
  if (!/^[A-Za-z0-9_-]{32}$/u.test(reference)) return undefined;
  return certRaRequests.findByValidationReference(deps.db, reference);
}
