import type { AuditListRow } from '../../storage/audit-log.js';
import type { AuditVerification } from '../audit-chain.js';
import type { CertificateSearchRow } from '../../storage/certificate-search.js';
import type { MandateRow, TestCaseRow } from '../../storage/certra-registrations.js';
import type { CertRaRequestRow } from '../../storage/certra-requests.js';
import type { EtkRecord } from '../../storage/etk-repository.js';
import type { OfficerRow, PendingActionRow } from '../../storage/admin-officers.js';

/**
 * The JSON shapes of the admin API: what the API answers, the CLI prints with --json and the console renders. Dates
 * are ISO 8601, database ids strings (they are 64-bit), absent values null: the same keys in every object of a kind.
 */

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };
export type JsonObject = { readonly [key: string]: JsonValue };

export const jsonDate = (date: Date | null | undefined): string | null => (date ? date.toISOString() : null);
export const jsonId = (id: bigint | null | undefined): string | null => (id === null || id === undefined ? null : id.toString());

export function requestView(r: CertRaRequestRow) {
  return {
    publicKeyIdentifier: r.publicKeyIdentifier,
    status: r.status,
    channel: r.channel,
    dn: r.dn,
    entityType: r.entityType,
    identifierType: r.identifierType,
    identifierValue: r.identifierValue,
    applicationId: r.applicationId,
    actorName: r.actorName,
    actorFirstNames: [...r.actorFirstNames],
    requesterSsin: r.requesterSsin,
    contactData: {
      emailPrivate: r.contactData.emailPrivate,
      emailGeneral: r.contactData.emailGeneral ?? null,
      phonePrivate: r.contactData.phonePrivate,
      phoneGeneral: r.contactData.phoneGeneral ?? null,
    },
    baseServiceUsage: [...r.baseServiceUsage],
    automaticallyValidated: r.automaticallyValidated,
    requestedAt: jsonDate(r.requestedAt),
    validationExpiresAt: jsonDate(r.validationExpiresAt),
    decidedAt: jsonDate(r.decidedAt),
    decidedBy: r.decidedBy,
    decisionNote: r.decisionNote,
  } satisfies JsonObject;
}
export type RequestView = ReturnType<typeof requestView>;

export function mandateView(m: MandateRow) {
  return {
    id: jsonId(m.id),
    organisationType: m.organisationType,
    organisationId: m.organisationId,
    organisationName: m.organisationName,
    role: m.role,
    holderSsin: m.holderSsin,
    designatedByMandateId: jsonId(m.designatedByMandateId),
    evidence: m.evidence,
    contactEmail: m.contactEmail,
    registeredAt: jsonDate(m.registeredAt),
    registeredBy: m.registeredBy,
    withdrawnAt: jsonDate(m.withdrawnAt),
    withdrawnBy: m.withdrawnBy,
    withdrawalReason: m.withdrawalReason,
  } satisfies JsonObject;
}
export type MandateView = ReturnType<typeof mandateView>;

export function testCaseView(r: TestCaseRow) {
  return {
    id: jsonId(r.id),
    identifierType: r.identifierType,
    identifierValue: r.identifierValue,
    responsibleSsin: r.responsibleSsin,
    description: r.description,
    registeredAt: jsonDate(r.registeredAt),
    registeredBy: r.registeredBy,
    removedAt: jsonDate(r.removedAt),
    removedBy: r.removedBy,
  } satisfies JsonObject;
}
export type TestCaseView = ReturnType<typeof testCaseView>;

export function certificateStatusAt(c: Pick<CertificateSearchRow, 'revokedAt' | 'notAfter'>, now: Date): 'valid' | 'revoked' | 'expired' {
  if (c.revokedAt) return 'revoked';
  return c.notAfter.getTime() > now.getTime() ? 'valid' : 'expired';
}

export function certificateView(c: CertificateSearchRow, now: Date) {
  return {
    serialHex: c.serialHex,
    subjectDn: c.subjectDn,
    profile: c.profile,
    status: certificateStatusAt(c, now),
    notBefore: jsonDate(c.notBefore),
    notAfter: jsonDate(c.notAfter),
    issuedAt: jsonDate(c.issuedAt),
    revokedAt: jsonDate(c.revokedAt),
    revocationReason: c.revocationReason,
    issuerKeyId: c.issuerKeyId,
    publicKeyIdentifier: c.publicKeyIdentifier,
    identifierType: c.identifierType,
    identifierValue: c.identifierValue,
    requesterSsin: c.requesterSsin,
  } satisfies JsonObject;
}
export type CertificateView = ReturnType<typeof certificateView>;

export function etkView(e: EtkRecord) {
  return {
    identifierType: e.holder.type,
    identifierValue: e.holder.value,
    applicationId: e.holder.applicationId ?? null,
    status: e.status,
    notBefore: jsonDate(e.notBefore),
    notAfter: jsonDate(e.notAfter),
  } satisfies JsonObject;
}

export function auditView(r: AuditListRow) {
  return {
    seq: jsonId(r.seq),
    id: jsonId(r.id),
    occurredAt: jsonDate(r.occurredAt),
    actor: r.actor,
    actorSerial: r.actorSerial,
    action: r.action,
    subject: r.subject,
    details: (r.details ?? {}) as JsonValue,
    recordHash: r.recordHash,
  } satisfies JsonObject;
}
export type AuditView = ReturnType<typeof auditView>;

export function officerView(o: OfficerRow) {
  return {
    id: jsonId(o.id),
    role: o.role,
    subjectDn: o.subjectDn,
    serialHex: o.serialHex,
    issuerDn: o.issuerDn,
    certificateSha256: o.certificateSha256,
    notAfter: jsonDate(o.notAfter),
    addedAt: jsonDate(o.addedAt),
    addedBy: o.addedBy,
    removedAt: jsonDate(o.removedAt),
    removedBy: o.removedBy,
  } satisfies JsonObject;
}
export type OfficerView = ReturnType<typeof officerView>;

export function pendingActionView(a: PendingActionRow) {
  return {
    id: jsonId(a.id),
    kind: a.kind,
    subject: a.subject,
    payload: a.payload as JsonValue,
    requestedBy: a.requestedBy,
    requestedBySerial: a.requestedBySerial,
    requestedAt: jsonDate(a.requestedAt),
    outcome: a.outcome,
    decidedBy: a.decidedBy,
    decidedAt: jsonDate(a.decidedAt),
  } satisfies JsonObject;
}
export type PendingActionView = ReturnType<typeof pendingActionView>;

/** The result of audit:verify (and of GET /admin/v1/audit/verification). */
export function auditVerificationView(v: AuditVerification) {
  return {
    ok: v.ok,
    records: v.records,
    lastSeq: v.lastSeq.toString(),
    unsealed: v.unsealed.toString(),
    checkpoints: v.checkpoints,
    lastCheckpointSeq: v.lastCheckpointSeq?.toString() ?? null,
    uncoveredRecords: v.uncovered.toString(),
    firstBreak: v.firstBreak ? { seq: v.firstBreak.seq.toString(), kind: v.firstBreak.kind, detail: v.firstBreak.detail } : null,
  } satisfies JsonObject;
}
