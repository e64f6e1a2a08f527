import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { CaMaterial } from '../../ca/hierarchy/index.js';
import { mintCitizenIdentity } from '../../ca/hierarchy/index.js';
import { adminOfficer, adminTlsServer } from '../../ca/profiles/index.js';
import { toPem } from '../../ca/x509/index.js';
import type { Clock } from '../../domain/clock.js';
import type { Environment } from '../../domain/environment.js';
import { ServiceError } from '../../domain/errors.js';
import { formatKeyId, normaliseKeyId } from '../../domain/key-id.js';
import { operatorName, type OfficerIdentity, type Operator } from '../../domain/operator.js';
import { isValidSsin } from '../../identifiers/index.js';
import { adminOfficers, adminPendingActions, type OfficerRole, type PendingActionRow } from '../../storage/admin-officers.js';
import { AuditChain } from '../audit-chain.js';
import { auditLog, certificateRegistry, normaliseSerialHex } from '../../storage/certificate-registry.js';
import { certificatesFrom, parseCertificate, type ParsedCertificate } from '../../x509/certificate.js';
import { certificateSearch, type CertificateSearchFilter } from '../../storage/certificate-search.js';

export type { CertificateSearchStatus } from '../../storage/certificate-search.js';
import { certRaRequests } from '../../storage/certra-requests.js';
import type { Database, Queryable } from '../../storage/database.js';
import { etkRepository } from '../../storage/etk-repository.js';
import { platformCounts } from '../../storage/platform-counts.js';
import type { AuditListFilter } from '../../storage/audit-log.js';
import type { CertificateIssuer } from '../certificate-issuer.js';
import { CRL_VALIDITY_MS, type CrlPublisher } from '../crl-publisher.js';
import { approveRequestIn, pendingRequests, recentRequests, refuseRequest, type CertRaDependencies } from '../certra/index.js';
import {
  auditView,
  certificateStatusAt,
  certificateView,
  etkView,
  officerView,
  pendingActionView,
  requestView,
  type AuditView,
  type CertificateView,
  type OfficerView,
  type PendingActionView,
  type RequestView,
} from './views.js';

/**
 * What officers do on a running platform (the admin API, its console and the CLI on it): the request queue,
 * certificates (search, detail, revocation), CRL re-issue, the audit log, the officers themselves, and four-eyes
 * confirmation. Every change is audited in its own transaction with the officer (certificate subject and serial).
 * Roles are checked by the front end; these functions trust the officer they are given.
 */

/** The revocation reasons an officer may give (RFC 5280 CRLReason; no certificateHold: revocation is final). */
export const OFFICER_REVOCATION_REASONS = [
  'unspecified',
  'keyCompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'privilegeWithdrawn',
] as const;
export type OfficerRevocationReason = (typeof OFFICER_REVOCATION_REASONS)[number];

export interface AdminServiceDependencies {
  readonly db: Database;
  readonly clock: Clock;
  readonly environment: Environment;
  readonly ca: CaMaterial;
  readonly issuer: CertificateIssuer;
  readonly crls: CrlPublisher;
  readonly certRa: CertRaDependencies;
  /** ADMIN_DUAL_CONTROL: revocations and foreigners' approvals wait for a second officer. */
  readonly dualControl: boolean;
  /** When each certificate the platform signs with ends (CAs, ETK-RA, OCSP and trusted-list signers, KGSS). */
  readonly signingCertificates: () => Promise<ReadonlyArray<{ readonly name: string; readonly notAfter: Date }>>;
}

/** An officer the listener admitted: who (for the audit log) and what they may do. */
export interface AuthenticatedOfficer {
  readonly identity: OfficerIdentity;
  readonly role: OfficerRole;
  readonly certificateSha256: string;
}

export type OfficerAuthentication = { readonly officer: AuthenticatedOfficer } | { readonly refused: string; readonly identity: OfficerIdentity };

/** A new officer credential: the private key is returned once and kept nowhere here. */
export interface OfficerCredential {
  readonly officer: OfficerView;
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  /** The issuing CA chain up to the root, to trust the admin listener and to verify the certificate. */
  readonly chainPem: string;
}

/** Four-eyes: either the change was made, or it waits for a second officer. */
export type ChangeOutcome<T> = { readonly done: T } | { readonly pending: PendingActionView };

export interface RevocationInput {
  readonly serialHex: string;
  readonly reason: OfficerRevocationReason;
  readonly note: string;
  /** When the key was compromised (or the certificate ceased to be valid): not before the certificate, not after now. */
  readonly revokedAt?: Date | undefined;
}

export interface DashboardView {
  readonly pendingRequests: number;
  readonly issuedCertificates: number;
  readonly revokedCertificates: number;
  readonly issuedPerDay: ReadonlyArray<{ readonly day: string; readonly issued: number; readonly revoked: number }>;
  readonly expiringWithin90Days: number;
  readonly crls: ReadonlyArray<{ readonly ca: string; readonly nextUpdate: string }>;
  readonly signers: ReadonlyArray<{ readonly name: string; readonly notAfter: string }>;
  readonly openActions: number;
  readonly dualControl: boolean;
}

/** Four-eyes rows name both officers by subject and serial; an operator of the CLI on a stopped instance has no serial. */
function asIdentity(operator: Operator): OfficerIdentity {
  return typeof operator === 'string' ? { subject: operator, certificateSerial: '' } : operator;
}

function operatorOfRecord(subject: string, certificateSerial: string): Operator {
  return certificateSerial === '' ? subject : { subject, certificateSerial };
}

const sha256Hex = (der: Buffer) => createHash('sha256').update(der).digest('hex');

/** The officer as the audit log names them: the certificate's subject (RFC 2253, CN first) and serial as the registry spells it. */
export function officerIdentityOf(certificate: ParsedCertificate): OfficerIdentity {
  return { subject: certificate.subjectDn, certificateSerial: normaliseSerialHex(certificate.serialNumberHex) };
}

export class AdminService {
  constructor(private readonly deps: AdminServiceDependencies) {}

  get dualControl(): boolean {
    return this.deps.dualControl;
  }

  // --- officers ---------------------------------------------------------------------------------------------------

  /**
   * Who presents this client certificate (already chained to an officer trust anchor by TLS): an active officer whose
   * certificate is still valid and, when we issued it, not revoked.
   */
  async authenticate(certificateDer: Buffer): Promise<OfficerAuthentication> {
    let certificate: ParsedCertificate;
    try {
      certificate = parseCertificate(certificateDer);
    } catch {
      // TLS took it, our strict reader does not: no officer certificate of ours or of a configured officer CA.
      return { refused: 'the client certificate cannot be read', identity: { subject: 'unreadable client certificate', certificateSerial: '' } };
    }
    const identity = officerIdentityOf(certificate);
    const now = this.deps.clock.now();
    if (certificate.notAfter.getTime() <= now.getTime() || certificate.notBefore.getTime() > now.getTime()) {
      return { refused: 'the officer certificate is not valid now', identity };
    }
    const fingerprint = sha256Hex(certificateDer);
    const officer = await adminOfficers.findActiveByFingerprint(this.deps.db, fingerprint);
    if (!officer) return { refused: 'this certificate is not registered as an officer', identity };
    const ours = await certificateRegistry.findBySerial(this.deps.db, this.deps.issuer.issuerKeyId, identity.certificateSerial);
    if (ours?.revokedAt) return { refused: 'the officer certificate is revoked', identity };
    return { officer: { identity, role: officer.role, certificateSha256: fingerprint } };
  }

  /** A refused admin request, in the audit log (who tried what, and why not). */
  async recordRefusal(who: OfficerIdentity | string, attempt: { method: string; path: string; reason: string; requestId: string }): Promise<void> {
    await auditLog.record(this.deps.db, { actor: who, action: 'admin.access.refused', subject: `${attempt.method} ${attempt.path}`, details: attempt });
  }

  /** Issues an officer certificate from the admin-officer profile (a fresh P-256 key) and registers it with its role. */
  async issueOfficerCredential(input: { name: string; role: OfficerRole; organisationUnit?: string }, by: Operator): Promise<OfficerCredential>;
  /** onlyIfNoOfficer: the development start-up's first credential, made once even when several processes start together. */
  async issueOfficerCredential(
    input: { name: string; role: OfficerRole },
    by: Operator,
    options: { onlyIfNoOfficer: true },
  ): Promise<OfficerCredential | undefined>;
  async issueOfficerCredential(
    input: { name: string; role: OfficerRole; organisationUnit?: string },
    by: Operator,
    options: { onlyIfNoOfficer?: boolean } = {},
  ): Promise<OfficerCredential | undefined> {
    const name = input.name.trim();
    if (name === '' || name.length > 64) throw new ServiceError('INVALID_REQUEST', 'the officer name must have 1 to 64 characters');
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const now = this.deps.clock.now();
    return this.deps.db.transaction(async (tx) => {
      if (options.onlyIfNoOfficer) {
        await adminOfficers.lockRegistry(tx);
        if ((await adminOfficers.countActive(tx)) > 0) return undefined;
      }
      const issued = await this.deps.issuer.issueFromTemplate(
        tx,
        {
          subject: [
            { type: 'C', value: 'BE' },
            { type: 'O', value: 'eHealth certificate platform' },
            { type: 'OU', value: input.organisationUnit?.trim() || 'RA officers' },
            { type: 'CN', value: name },
          ],
          subjectPublicKeySpki: publicKey.export({ type: 'spki', format: 'der' }),
          profile: adminOfficer,
          environment: this.deps.environment,
          now,
        },
        operatorName(by),
      );
      const officer = await this.registerIn(tx, issued.der, input.role, by);
      return {
        officer,
        certificatePem: toPem(issued.der, 'CERTIFICATE'),
        privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        chainPem: this.chainPem(),
      };
    });
  }

  /** Registers an officer certificate issued elsewhere (a configured officer CA). */
  async registerOfficerCertificate(certificatePem: string, role: OfficerRole, by: Operator): Promise<OfficerView> {
    let der: Buffer;
    try {
      der = certificatesFrom(certificatePem)[0]!;
      parseCertificate(der);
    } catch {
      throw new ServiceError('INVALID_REQUEST', 'the certificate is not a PEM X.509 certificate');
    }
    return this.deps.db.transaction((tx) => this.registerIn(tx, der, role, by));
  }

  private async registerIn(tx: Queryable, der: Buffer, role: OfficerRole, by: Operator): Promise<OfficerView> {
    const certificate = parseCertificate(der);
    const identity = officerIdentityOf(certificate);
    const row = await adminOfficers.insert(tx, {
      certificateSha256: sha256Hex(der),
      subjectDn: identity.subject,
      serialHex: identity.certificateSerial,
      issuerDn: certificate.issuerDn,
      notAfter: certificate.notAfter,
      role,
      addedAt: this.deps.clock.now(),
      addedBy: operatorName(by),
    });
    if (!row) throw new ServiceError('INVALID_REQUEST', 'this certificate is already an officer');
    const view = officerView(row);
    await auditLog.record(tx, { actor: by, action: 'admin.officer.added', subject: identity.subject, after: view });
    return view;
  }

  async listOfficers(includeRemoved: boolean): Promise<OfficerView[]> {
    return (await adminOfficers.list(this.deps.db, includeRemoved)).map(officerView);
  }

  async removeOfficer(id: bigint, by: Operator): Promise<OfficerView> {
    return this.deps.db.transaction(async (tx) => {
      const before = await adminOfficers.findById(tx, id);
      const removed = await adminOfficers.remove(tx, id, { at: this.deps.clock.now(), by: operatorName(by) });
      if (!before || !removed) throw new ServiceError('DATA_NOT_FOUND', `no active officer #${id}`);
      await auditLog.record(tx, {
        actor: by,
        action: 'admin.officer.removed',
        subject: removed.subjectDn,
        before: officerView(before),
        after: officerView(removed),
      });
      return officerView(removed);
    });
  }

  /** Development: the first start mints an admin credential when there is no officer at all. */
  async hasOfficers(): Promise<boolean> {
    return (await adminOfficers.countActive(this.deps.db)) > 0;
  }

  /** The admin listener's own TLS certificate, issued by our CA for the given host names (development). */
  async issueListenerCertificate(names: { dns: string[]; ip: string[] }): Promise<{ certificatePem: string; privateKeyPem: string; chainPem: string }> {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const issued = await this.deps.db.transaction((tx) =>
      this.deps.issuer.issueFromTemplate(
        tx,
        {
          subject: [
            { type: 'C', value: 'BE' },
            { type: 'O', value: 'eHealth certificate platform' },
            { type: 'CN', value: names.dns[0] ?? names.ip[0] ?? 'admin' },
          ],
          subjectPublicKeySpki: publicKey.export({ type: 'spki', format: 'der' }),
          serverNames: names,
          profile: adminTlsServer,
          environment: this.deps.environment,
          now: this.deps.clock.now(),
        },
        'admin-listener',
      ),
    );
    return {
      certificatePem: toPem(issued.der, 'CERTIFICATE'),
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      chainPem: this.chainPem(),
    };
  }

  /** The issuing CA up to the root, PEM: what officers' clients trust the listener with. */
  chainPem(): string {
    const chain = [...this.deps.issuer.chainWithoutRoot(), this.deps.ca.root.cert];
    return chain.map((der) => toPem(der, 'CERTIFICATE')).join('');
  }

  // --- request queue ----------------------------------------------------------------------------------------------

  async listRequests(filter: { status?: 'PENDING' | 'ALL'; limit: number }): Promise<RequestView[]> {
    const rows = filter.status === 'ALL' ? await recentRequests(this.deps.certRa, filter.limit) : await pendingRequests(this.deps.certRa);
    return rows.map(requestView);
  }

  async showRequest(publicKeyIdentifier: string): Promise<{ request: RequestView; history: AuditView[] }> {
    const row = await certRaRequests.findByPublicKeyIdentifier(this.deps.db, publicKeyIdentifier.toUpperCase());
    if (!row) throw new ServiceError('CERTIFICATE_NOT_FOUND', `no request has public key identifier ${publicKeyIdentifier}`);
    return { request: requestView(row), history: await this.history([row.publicKeyIdentifier]) };
  }

  /** Approves a waiting request; a foreigner's waits for a second officer under dual control. */
  async approve(input: { publicKeyIdentifier: string; note?: string; identityEvidence?: string }, officer: Operator): Promise<ChangeOutcome<RequestView>> {
    const pki = input.publicKeyIdentifier.toUpperCase();
    if (this.deps.dualControl) {
      const request = await certRaRequests.findByPublicKeyIdentifier(this.deps.db, pki);
      if (request?.channel === 'foreigner') {
        if (!input.identityEvidence?.trim()) throw new ServiceError('INVALID_REQUEST', 'a foreigner request is approved only with the identity evidence');
        if (request.status !== 'PENDING') throw new ServiceError('INVALID_REQUEST', `the request is ${request.status}, not waiting`);
        return { pending: await this.openAction('request.approve', pki, { ...input, publicKeyIdentifier: pki }, officer) };
      }
    }
    const approved = await this.deps.db.transaction((tx) =>
      approveRequestIn(this.deps.certRa, tx, {
        publicKeyIdentifier: pki,
        officer,
        ...(input.note !== undefined ? { note: input.note } : {}),
        ...(input.identityEvidence !== undefined ? { identityEvidence: input.identityEvidence } : {}),
      }),
    );
    return { done: requestView(approved) };
  }

  async refuse(input: { publicKeyIdentifier: string; reason: string }, officer: Operator): Promise<RequestView> {
    return requestView(await refuseRequest(this.deps.certRa, { publicKeyIdentifier: input.publicKeyIdentifier.toUpperCase(), officer, reason: input.reason }));
  }

  // --- certificates -----------------------------------------------------------------------------------------------

  async searchCertificates(
    filter: Omit<CertificateSearchFilter, 'now' | 'expiresBefore'> & { expiresWithinDays?: number | undefined },
  ): Promise<CertificateView[]> {
    const now = this.deps.clock.now();
    const { expiresWithinDays, ...rest } = filter;
    const expiresBefore = expiresWithinDays === undefined ? undefined : new Date(now.getTime() + expiresWithinDays * 86_400_000);
    return (await certificateSearch.search(this.deps.db, { ...rest, expiresBefore, now })).map((row) => certificateView(row, now));
  }

  /** A certificate with its PEM, chain, ETKs and the audit trail of it and of its request. */
  async certificateDetail(serialHex: string) {
    const row = await certificateSearch.bySerial(this.deps.db, serialHex);
    if (!row) throw new ServiceError('CERTIFICATE_NOT_FOUND', `no certificate has serial ${serialHex}`);
    const full = (await certificateRegistry.findById(this.deps.db, row.id))!;
    const etks = await etkRepository.listForCertificate(this.deps.db, row.id);
    const now = this.deps.clock.now();
    const subjects = [row.serialHex, ...(row.publicKeyIdentifier ? [row.publicKeyIdentifier, normaliseKeyId(row.publicKeyIdentifier)] : [])];
    return {
      certificate: certificateView(row, now),
      certificatePem: toPem(full.certificateDer!, 'CERTIFICATE'),
      chainPem: this.chainPem(),
      etks: etks.map(etkView),
      history: await this.history(subjects, row.serialHex),
    };
  }

  /** Revokes now (or, under dual control, opens the revocation for a second officer). */
  async revoke(input: RevocationInput, officer: Operator): Promise<ChangeOutcome<CertificateView>> {
    const checked = await this.checkRevocation(this.deps.db, input);
    if (this.deps.dualControl) {
      return {
        pending: await this.openAction(
          'certificate.revoke',
          checked.serialHex,
          { serialHex: checked.serialHex, reason: input.reason, note: input.note, revokedAt: input.revokedAt?.toISOString() ?? null },
          officer,
        ),
      };
    }
    const view = await this.deps.db.transaction((tx) => this.revokeIn(tx, input, officer));
    this.deps.certRa.afterRevocation();
    return { done: view };
  }

  private async checkRevocation(q: Queryable, input: RevocationInput) {
    if (!(OFFICER_REVOCATION_REASONS as readonly string[]).includes(input.reason)) {
      throw new ServiceError('INVALID_REQUEST', `reason must be one of ${OFFICER_REVOCATION_REASONS.join(', ')}`);
    }
    if (input.note.trim() === '') throw new ServiceError('INVALID_REQUEST', 'a revocation needs a note (the request it answers, the evidence)');
    const row = await certificateSearch.bySerial(q, input.serialHex);
    if (!row) throw new ServiceError('CERTIFICATE_NOT_FOUND', `no certificate has serial ${input.serialHex}`);
    const now = this.deps.clock.now();
    if (row.revokedAt) throw new ServiceError('NOT_REVOCABLE', `the certificate was revoked on ${row.revokedAt.toISOString()}`);
    if (input.revokedAt) {
      if (input.revokedAt.getTime() > now.getTime()) throw new ServiceError('INVALID_REQUEST', 'the revocation date cannot be in the future');
      if (input.revokedAt.getTime() < row.notBefore.getTime()) throw new ServiceError('INVALID_REQUEST', 'the revocation date is before the certificate');
    }
    if (certificateStatusAt(row, now) === 'expired') throw new ServiceError('NOT_REVOCABLE', 'the certificate has expired');
    return row;
  }

  private async revokeIn(tx: Queryable, input: RevocationInput, officer: Operator, confirmedBy?: Operator): Promise<CertificateView> {
    const row = await this.checkRevocation(tx, input);
    const now = this.deps.clock.now();
    const revokedAt = input.revokedAt ?? now;
    if (!(await certificateRegistry.revoke(tx, row.id, revokedAt, input.reason))) throw new ServiceError('NOT_REVOCABLE', 'the certificate is already revoked');
    const etksRevoked = await this.deps.certRa.etk.revokeForCertificate(tx, row.id, now);
    const after = (await certificateSearch.bySerial(tx, row.serialHex))!;
    await auditLog.record(tx, {
      actor: confirmedBy ?? officer,
      action: 'admin.certificate.revoked',
      subject: row.serialHex,
      details: { publicKeyIdentifier: row.publicKeyIdentifier, reason: input.reason, etksRevoked, ...(confirmedBy ? { requestedBy: officer } : {}) },
      before: certificateView(row, now),
      after: certificateView(after, now),
      evidence: input.note,
    });
    return certificateView(after, now);
  }

  // --- four-eyes --------------------------------------------------------------------------------------------------

  private async openAction(kind: PendingActionRow['kind'], subject: string, payload: Record<string, unknown>, officer: Operator): Promise<PendingActionView> {
    return this.deps.db.transaction(async (tx) => {
      const action = await adminPendingActions.open(tx, {
        kind,
        subject,
        payload,
        requestedBy: asIdentity(officer).subject,
        requestedBySerial: asIdentity(officer).certificateSerial,
        requestedAt: this.deps.clock.now(),
      });
      if (!action) throw new ServiceError('REQUEST_PENDING', `a ${kind} of ${subject} already waits for a second officer`);
      const view = pendingActionView(action);
      await auditLog.record(tx, { actor: officer, action: 'admin.action.requested', subject: `${kind} ${subject}`, after: view });
      return view;
    });
  }

  async listOpenActions(): Promise<PendingActionView[]> {
    return (await adminPendingActions.listOpen(this.deps.db)).map(pendingActionView);
  }

  /** A second officer confirms: the change runs now, in the same transaction as the confirmation. */
  async confirmAction(id: bigint, confirmer: Operator): Promise<{ action: PendingActionView; result: RequestView | CertificateView }> {
    const outcome = await this.deps.db.transaction(async (tx) => {
      const action = await this.openActionFor(tx, id);
      const confirming = asIdentity(confirmer);
      if (action.requestedBySerial === confirming.certificateSerial && action.requestedBy === confirming.subject) {
        throw new ServiceError('NOT_AUTHORIZED', 'a second officer must confirm: the officer who asked cannot');
      }
      const requester = operatorOfRecord(action.requestedBy, action.requestedBySerial);
      const payload = action.payload;
      let result: RequestView | CertificateView;
      if (action.kind === 'certificate.revoke') {
        const revokedAt = typeof payload.revokedAt === 'string' ? new Date(payload.revokedAt) : undefined;
        result = await this.revokeIn(
          tx,
          { serialHex: String(payload.serialHex), reason: payload.reason as OfficerRevocationReason, note: String(payload.note), revokedAt },
          requester,
          confirmer,
        );
      } else {
        result = requestView(
          await approveRequestIn(this.deps.certRa, tx, {
            publicKeyIdentifier: String(payload.publicKeyIdentifier),
            officer: requester,
            confirmedBy: confirmer,
            ...(typeof payload.note === 'string' ? { note: payload.note } : {}),
            ...(typeof payload.identityEvidence === 'string' ? { identityEvidence: payload.identityEvidence } : {}),
          }),
        );
      }
      await this.decide(tx, action, 'confirmed', confirmer);
      return { action: pendingActionView((await adminPendingActions.find(tx, id))!), result, kind: action.kind };
    });
    if (outcome.kind === 'certificate.revoke') this.deps.certRa.afterRevocation();
    return { action: outcome.action, result: outcome.result };
  }

  /** Either officer (or another) withdraws an open action; nothing else changes. */
  async cancelAction(id: bigint, officer: Operator): Promise<PendingActionView> {
    return this.deps.db.transaction(async (tx) => {
      const action = await this.openActionFor(tx, id);
      await this.decide(tx, action, 'cancelled', officer);
      return pendingActionView((await adminPendingActions.find(tx, id))!);
    });
  }

  private async openActionFor(tx: Queryable, id: bigint): Promise<PendingActionRow> {
    const action = await adminPendingActions.find(tx, id, { forUpdate: true });
    if (!action) throw new ServiceError('DATA_NOT_FOUND', `no action #${id}`);
    if (action.outcome) throw new ServiceError('INVALID_REQUEST', `action #${id} was already ${action.outcome}`);
    return action;
  }

  private async decide(tx: Queryable, action: PendingActionRow, outcome: 'confirmed' | 'cancelled', officer: Operator): Promise<void> {
    const { subject, certificateSerial } = asIdentity(officer);
    await adminPendingActions.decide(tx, action.id, { outcome, by: subject, bySerial: certificateSerial, at: this.deps.clock.now() });
    await auditLog.record(tx, {
      actor: officer,
      action: `admin.action.${outcome}`,
      subject: `${action.kind} ${action.subject}`,
      details: { actionId: action.id.toString(), requestedBy: operatorOfRecord(action.requestedBy, action.requestedBySerial) },
    });
  }

  // --- CRL, audit, dashboard, development identities ---------------------------------------------------------------

  /** Issues a new CRL of every CA whose key is online now (instead of at the next refresh). */
  async reissueCrls(officer: Operator): Promise<Array<{ ca: string; sha256: string }>> {
    this.deps.crls.invalidate();
    const issued: Array<{ ca: string; sha256: string }> = [];
    for (const [name, entry] of [
      ['issuing', this.deps.ca.issuing],
      ['root', this.deps.ca.root],
    ] as const) {
      if (!entry.signer) continue;
      const der = await this.deps.crls.crlFor({ keyId: formatKeyId(entry.fields.subjectKeyIdentifier), certificate: entry.cert, signer: entry.signer });
      issued.push({ ca: name, sha256: sha256Hex(der) });
    }
    await auditLog.record(this.deps.db, { actor: officer, action: 'admin.crl.reissued', details: { crls: issued } });
    return issued;
  }

  async listAudit(filter: AuditListFilter): Promise<AuditView[]> {
    return (await AuditChain.list(this.deps.db, filter)).map(auditView);
  }

  async verifyAudit(publicKeySpki: Buffer | undefined) {
    return AuditChain.verify(this.deps.db, publicKeySpki);
  }

  /** The audit records about any of the subjects (a request's public key identifier, a certificate's serial), in order. */
  private async history(subjects: readonly string[], serialHex?: string): Promise<AuditView[]> {
    const records = [];
    for (const subject of new Set(subjects)) records.push(...(await AuditChain.list(this.deps.db, { subject, limit: 500 })));
    if (serialHex) {
      // The CA's key-use journal names the certificate by serial in its details.
      for (const r of await AuditChain.list(this.deps.db, { action: 'certificate.*', limit: 500, detailSerial: serialHex })) records.push(r);
    }
    const unique = new Map(records.map((r) => [r.id, r]));
    return [...unique.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map(auditView);
  }

  async dashboard(): Promise<DashboardView> {
    const now = this.deps.clock.now();
    const counts = await platformCounts.read(this.deps.db);
    const perDay = await platformCounts.perDay(this.deps.db, new Date(now.getTime() - 14 * 86_400_000));
    const expiring = await platformCounts.expiringBetween(this.deps.db, now, new Date(now.getTime() + 90 * 86_400_000));
    const { ca } = this.deps;
    const roles = new Map([
      [formatKeyId(ca.issuing.fields.subjectKeyIdentifier), 'issuing CA'],
      [formatKeyId(ca.root.fields.subjectKeyIdentifier), 'root CA'],
    ]);
    return {
      pendingRequests: counts.pendingRequests,
      issuedCertificates: counts.issuedCertificates,
      revokedCertificates: counts.revokedCertificates,
      issuedPerDay: perDay,
      expiringWithin90Days: expiring,
      crls: counts.crlsIssued.map((crl) => ({
        ca: roles.get(crl.issuerKeyId) ?? crl.issuerKeyId,
        nextUpdate: new Date(crl.lastIssuedAt.getTime() + CRL_VALIDITY_MS).toISOString(),
      })),
      signers: (await this.deps.signingCertificates()).map(({ name, notAfter }) => ({ name, notAfter: notAfter.toISOString() })),
      openActions: (await adminPendingActions.listOpen(this.deps.db)).length,
      dualControl: this.deps.dualControl,
    };
  }

  /** Development only: a test eID identity (PEM), as identity:mint writes it. */
  async mintDevelopmentIdentity(input: { ssin: string; givenName: string; surname: string }, officer: Operator) {
    const citizenCa = this.deps.ca.citizenCa;
    if (this.deps.environment === 'production' || !citizenCa)
      throw new ServiceError('DATA_NOT_FOUND', 'development identities exist only with the development hierarchy');
    if (!isValidSsin(input.ssin)) throw new ServiceError('INVALID_IDENTIFIER', `${input.ssin} is not a valid SSIN`);
    const identity = await mintCitizenIdentity(input, citizenCa, { now: this.deps.clock.now() });
    await auditLog.record(this.deps.db, { actor: officer, action: 'identity.mint', subject: input.ssin });
    const pem = (credential: typeof identity.signature) => ({
      certificatePem: toPem(credential.certificate, 'CERTIFICATE'),
      privateKeyPem: credential.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    return {
      ssin: input.ssin,
      signature: pem(identity.signature),
      authentication: pem(identity.authentication),
      chainPem: identity.chain.map((der) => toPem(der, 'CERTIFICATE')).join(''),
      publicKeySpkiSha256: sha256Hex(createPublicKey(identity.authentication.privateKey).export({ type: 'spki', format: 'der' })),
    };
  }
}
