import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OFFICER_ROLES, type OfficerRole } from '../../domain/operator.js';
import {
  OFFICER_REVOCATION_REASONS,
  type AdminService,
  type CertificateSearchStatus,
  type OfficerCredential,
  type OfficerRevocationReason,
} from '../../services/admin/admin-service.js';
import type { CertificateView, OfficerView, PendingActionView } from '../../services/admin/views.js';
import { defineCommand, defineListCommand, UsageError, withServiceErrors, type AdminCommand } from '../command.js';
import { changeMessage } from './certra.js';

/**
 * What officers do besides the request queue: find and revoke certificates, re-issue the CRLs, confirm four-eyes
 * changes, and (admins) manage officers. Each works on a running server through its admin API (--url) or, on a
 * stopped instance, on the database directly.
 */

function describeCertificate(c: CertificateView): string {
  const revoked = c.revokedAt ? ` revoked ${c.revokedAt} (${c.revocationReason ?? 'unspecified'})` : '';
  const holder = c.identifierType ? ` holder=${c.identifierType}:${c.identifierValue}` : '';
  return `${c.serialHex} ${c.status} "${c.subjectDn}" ${c.profile} ${c.notBefore}..${c.notAfter}${holder}${revoked}`;
}

function describeOfficer(o: OfficerView): string {
  return `#${o.id} ${o.role} "${o.subjectDn}" serial=${o.serialHex} until ${o.notAfter} added ${o.addedAt} by ${o.addedBy}${o.removedAt ? ` REMOVED ${o.removedAt} by ${o.removedBy}` : ''}`;
}

function describeAction(a: PendingActionView): string {
  return `#${a.id} ${a.kind} ${a.subject} asked by "${a.requestedBy}" at ${a.requestedAt} ${JSON.stringify(a.payload)}`;
}

const STATUSES = ['valid', 'revoked', 'expired'] as const;

function positive(value: string | undefined, name: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n < 1 || n > max) throw new UsageError(`--${name} must be a number from 1 to ${max}`);
  return n;
}

function serialValue(value: string): string {
  const serial = value.replace(/:/g, '');
  if (!/^[0-9a-fA-F]{1,40}$/.test(serial)) throw new UsageError('--serial must be hexadecimal');
  return serial.toLowerCase();
}

function idValue(value: string): bigint {
  if (!/^[0-9]{1,18}$/.test(value)) throw new UsageError('--id must be a number');
  return BigInt(value);
}

export const searchCertificatesCommand = defineListCommand({
  name: 'certificates:search',
  summary: 'find certificates by SSIN, organisation, serial, DN, status or expiry window',
  options: {
    ssin: { type: 'string', placeholder: 'SSIN', description: 'holder or requester SSIN' },
    'org-id': { type: 'string', placeholder: 'ID', description: 'organisation identifier (any type)' },
    serial: { type: 'string', placeholder: 'HEX', description: 'serial number' },
    dn: { type: 'string', placeholder: 'TEXT', description: 'part of the subject DN (case-insensitive)' },
    status: { type: 'string', placeholder: 'STATUS', description: 'valid, revoked or expired' },
    'expires-within-days': { type: 'string', placeholder: 'N', description: 'valid certificates ending within N days' },
    limit: { type: 'string', placeholder: 'N', default: '100', description: 'at most N certificates' },
  },
  counted: 'certificate(s)',
  async list(context, options) {
    const filter = searchFilter(options);
    return withServiceErrors(() => context.services.admin.searchCertificates(filter));
  },
  remote: (client, options) => {
    const filter = searchFilter(options);
    return client.get<CertificateView[]>('/certificates', {
      ssin: filter.ssin,
      organisationId: filter.organisationId,
      serial: filter.serialHex,
      dn: filter.dnContains,
      status: filter.status,
      expiresWithinDays: filter.expiresWithinDays === undefined ? undefined : String(filter.expiresWithinDays),
      limit: String(filter.limit),
    });
  },
  text: describeCertificate,
  json: (c: CertificateView) => c,
});

function searchFilter(options: {
  ssin: string | undefined;
  'org-id': string | undefined;
  serial: string | undefined;
  dn: string | undefined;
  status: string | undefined;
  'expires-within-days': string | undefined;
  limit: string;
}) {
  if (options.status !== undefined && !(STATUSES as readonly string[]).includes(options.status))
    throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`);
  return {
    ssin: options.ssin,
    organisationId: options['org-id'],
    serialHex: options.serial === undefined ? undefined : serialValue(options.serial),
    dnContains: options.dn,
    status: options.status as CertificateSearchStatus | undefined,
    expiresWithinDays: positive(options['expires-within-days'], 'expires-within-days', 10_000),
    limit: positive(options.limit, 'limit', 10_000)!,
  };
}

type CertificateDetail = Awaited<ReturnType<AdminService['certificateDetail']>>;

function printDetail(detail: CertificateDetail, json: boolean, out: (line: string) => void): void {
  if (json) {
    out(JSON.stringify(detail, null, 2));
    return;
  }
  out(describeCertificate(detail.certificate));
  for (const etk of detail.etks)
    out(`  ETK ${etk.identifierType}=${etk.identifierValue}${etk.applicationId ? ` (${etk.applicationId})` : ''} ${etk.status} until ${etk.notAfter}`);
  for (const record of detail.history) out(`  ${record.occurredAt} ${record.actor} ${record.action}`);
  out(detail.certificatePem.trimEnd());
}

export const showCertificateCommand = defineCommand({
  name: 'certificates:show',
  summary: 'one certificate: its ETKs, its history and the PEM',
  options: {
    serial: { type: 'string', required: true, placeholder: 'HEX', description: 'serial number' },
    json: { type: 'boolean', description: 'print one JSON object (with the chain)' },
  },
  async run(context, options, out) {
    printDetail(await withServiceErrors(() => context.services.admin.certificateDetail(serialValue(options.serial))), options.json, out);
  },
  async remote(client, options, out) {
    printDetail(await client.get<CertificateDetail>(`/certificates/${serialValue(options.serial)}`), options.json, out);
  },
});

export const revokeCertificateCommand = defineCommand({
  name: 'certificates:revoke',
  summary: 'revoke a certificate and its ETKs (CRL and OCSP follow at once)',
  details: 'Under ADMIN_DUAL_CONTROL the revocation waits for a second officer (actions:confirm).',
  options: {
    serial: { type: 'string', required: true, placeholder: 'HEX', description: 'serial number' },
    reason: { type: 'string', required: true, placeholder: 'REASON', description: OFFICER_REVOCATION_REASONS.join(', ') },
    note: { type: 'string', required: true, placeholder: 'TEXT', description: 'the request it answers, the evidence (kept in the audit log)' },
    'revoked-at': { type: 'string', placeholder: 'ISO-DATE', description: 'when the certificate ceased to be trustworthy (default now)' },
  },
  async run(context, options, out) {
    const input = revocationInput(options);
    const outcome = await withServiceErrors(() => context.services.admin.revoke(input, context.operator));
    out('pending' in outcome ? changeMessage(outcome, () => '') : `revoked: ${describeCertificate(outcome.done)}`);
  },
  async remote(client, options, out) {
    const input = revocationInput(options);
    const outcome = await client.post<CertificateView | { pending: PendingActionView }>(`/certificates/${input.serialHex}/revoke`, {
      reason: input.reason,
      note: input.note,
      ...(input.revokedAt ? { revokedAt: input.revokedAt.toISOString() } : {}),
    });
    out(changeMessage(outcome, (certificate: CertificateView) => `revoked: ${describeCertificate(certificate)}`));
  },
});

function revocationInput(options: { serial: string; reason: string; note: string; 'revoked-at': string | undefined }) {
  if (!(OFFICER_REVOCATION_REASONS as readonly string[]).includes(options.reason)) {
    throw new UsageError(`--reason must be one of ${OFFICER_REVOCATION_REASONS.join(', ')}`);
  }
  let revokedAt: Date | undefined;
  if (options['revoked-at'] !== undefined) {
    revokedAt = new Date(options['revoked-at']);
    if (Number.isNaN(revokedAt.getTime())) throw new UsageError(`--revoked-at ${options['revoked-at']} is not an ISO 8601 date`);
  }
  return { serialHex: serialValue(options.serial), reason: options.reason as OfficerRevocationReason, note: options.note, revokedAt };
}

export const reissueCrlCommand = defineCommand({
  name: 'crl:reissue',
  summary: 'issue the CRLs now',
  options: {},
  async run(context, _options, out) {
    for (const crl of await context.services.admin.reissueCrls(context.operator)) out(`${crl.ca} CA: new CRL (SHA-256 ${crl.sha256})`);
  },
  async remote(client, _options, out) {
    const { crls } = await client.post<{ crls: Array<{ ca: string; sha256: string }> }>('/crl');
    for (const crl of crls) out(`${crl.ca} CA: new CRL (SHA-256 ${crl.sha256})`);
  },
});

export const listActionsCommand = defineListCommand({
  name: 'actions:list',
  summary: 'changes waiting for a second officer (ADMIN_DUAL_CONTROL)',
  options: {},
  counted: 'action(s) waiting',
  list: (context) => context.services.admin.listOpenActions(),
  remote: (client) => client.get<PendingActionView[]>('/actions'),
  text: describeAction,
  json: (a: PendingActionView) => a,
});

export const confirmActionCommand = defineCommand({
  name: 'actions:confirm',
  summary: 'confirm a change another officer asked for: it is made now',
  options: { id: { type: 'string', required: true, placeholder: 'N', description: 'action number (actions:list)' } },
  async run(context, options, out) {
    const { action } = await withServiceErrors(() => context.services.admin.confirmAction(idValue(options.id), context.operator));
    out(`confirmed and made: ${describeAction(action)}`);
  },
  async remote(client, options, out) {
    const { action } = await client.post<{ action: PendingActionView }>(`/actions/${idValue(options.id)}/confirm`);
    out(`confirmed and made: ${describeAction(action)}`);
  },
});

export const cancelActionCommand = defineCommand({
  name: 'actions:cancel',
  summary: 'withdraw a change waiting for confirmation',
  options: { id: { type: 'string', required: true, placeholder: 'N', description: 'action number (actions:list)' } },
  async run(context, options, out) {
    out(`cancelled: ${describeAction(await withServiceErrors(() => context.services.admin.cancelAction(idValue(options.id), context.operator)))}`);
  },
  async remote(client, options, out) {
    out(`cancelled: ${describeAction(await client.post<PendingActionView>(`/actions/${idValue(options.id)}/cancel`))}`);
  },
});

export const listOfficersCommand = defineListCommand({
  name: 'officers:list',
  summary: 'officers admitted to the admin listener (active only unless --all)',
  options: { all: { type: 'boolean', description: 'include removed officers' } },
  counted: 'officer(s)',
  list: (context, options) => context.services.admin.listOfficers(options.all),
  remote: (client, options) => client.get<OfficerView[]>('/officers', { all: options.all ? 'true' : undefined }),
  text: describeOfficer,
  json: (o: OfficerView) => o,
});

export const addOfficerCommand = defineCommand({
  name: 'officers:add',
  summary: 'issue an officer certificate (written to --out) with a role',
  details: 'The private key is written to --out (mode 0600) and kept nowhere else. Roles: auditor (read), officer (decide), admin (also officers).',
  options: {
    name: { type: 'string', required: true, placeholder: 'NAME', description: "the officer's name (certificate CN)" },
    role: { type: 'string', required: true, placeholder: 'ROLE', description: OFFICER_ROLES.join(', ') },
    out: {
      type: 'string',
      required: true,
      placeholder: 'DIR',
      description: 'directory for officer.cert.pem, officer.key.pem and ca-chain.pem (created, mode 0700)',
    },
  },
  async run(context, options, out) {
    const role = roleValue(options.role);
    const credential = await withServiceErrors(() => context.services.admin.issueOfficerCredential({ name: options.name, role }, context.operator));
    out(writeCredential(credential, options.out));
  },
  async remote(client, options, out) {
    const credential = await client.post<OfficerCredential>('/officers', { name: options.name, role: roleValue(options.role) });
    out(writeCredential(credential, options.out));
  },
});

function roleValue(role: string): OfficerRole {
  if (!(OFFICER_ROLES as readonly string[]).includes(role)) throw new UsageError(`--role must be one of ${OFFICER_ROLES.join(', ')}`);
  return role as OfficerRole;
}

function writeCredential(credential: OfficerCredential, directory: string): string {
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  writeFileSync(join(directory, 'officer.key.pem'), credential.privateKeyPem, { mode: 0o600 });
  writeFileSync(join(directory, 'officer.cert.pem'), credential.certificatePem);
  writeFileSync(join(directory, 'ca-chain.pem'), credential.chainPem);
  return `added ${describeOfficer(credential.officer)}; credential in ${directory} (officer.cert.pem, officer.key.pem, ca-chain.pem)`;
}

export const removeOfficerCommand = defineCommand({
  name: 'officers:remove',
  summary: 'remove an officer: their certificate is no longer admitted',
  options: { id: { type: 'string', required: true, placeholder: 'N', description: 'officer number (officers:list)' } },
  async run(context, options, out) {
    out(`removed ${describeOfficer(await withServiceErrors(() => context.services.admin.removeOfficer(idValue(options.id), context.operator)))}`);
  },
  async remote(client, options, out) {
    out(`removed ${describeOfficer(await client.delete<OfficerView>(`/officers/${idValue(options.id)}`))}`);
  },
});

export const OFFICER_COMMANDS: readonly AdminCommand[] = [
  searchCertificatesCommand,
  showCertificateCommand,
  revokeCertificateCommand,
  reissueCrlCommand,
  listActionsCommand,
  confirmActionCommand,
  cancelActionCommand,
  listOfficersCommand,
  addOfficerCommand,
  removeOfficerCommand,
];
