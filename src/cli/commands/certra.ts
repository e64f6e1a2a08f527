import {
  approveRequest,
  listMandates,
  listTestCases,
  pendingRequests,
  recentRequests,
  refuseRequest,
  registerCertificateManager,
  registerLegalRepresentative,
  registerTestCase,
  removeTestCase,
  setMandateContactEmail,
  withdrawMandate,
} from '../../services/certra/index.js';
import { mandateView, requestView, testCaseView, type MandateView, type RequestView, type TestCaseView } from '../../services/admin/views.js';
import { defineCommand, defineListCommand, UsageError, withServiceErrors, type AdminCommand } from '../command.js';

/**
 * CertRA administration: organisation mandates (legal representatives and the certificate managers they designate),
 * acceptance test cases, and the manual validation queue. The operator (ADMIN_OPERATOR, else the OS user) is recorded
 * with every change: in the audit log, and as the deciding officer on the request.
 */

function idValue(name: string, value: string): bigint {
  if (!/^[0-9]{1,18}$/.test(value)) throw new UsageError(`--${name} must be a number`);
  return BigInt(value);
}

function describeMandate(m: MandateView): string {
  const designation = m.designatedByMandateId === null ? '' : ` designated-by=#${m.designatedByMandateId}`;
  const state = m.withdrawnAt ? ` WITHDRAWN ${m.withdrawnAt} by ${m.withdrawnBy}` : '';
  const email = m.contactEmail === null ? '' : ` email=${m.contactEmail}`;
  return `#${m.id} ${m.organisationType}=${m.organisationId} "${m.organisationName}" ${m.role} ssin=${m.holderSsin}${designation}${email} evidence="${m.evidence}" registered ${m.registeredAt} by ${m.registeredBy}${state}`;
}

export function describeRequest(r: RequestView): string {
  const lapse = r.validationExpiresAt ? ` validate-before=${r.validationExpiresAt}` : '';
  const decision = r.decidedAt ? ` decided ${r.decidedAt} by ${r.decidedBy}${r.decisionNote ? ` (${r.decisionNote})` : ''}` : '';
  return `${r.publicKeyIdentifier} ${r.status} ${r.channel} requested ${r.requestedAt} by ssin=${r.requesterSsin} dn="${r.dn}" contact=${r.contactData.emailPrivate}/${r.contactData.phonePrivate}${lapse}${decision}`;
}

function describeTestCase(t: TestCaseView): string {
  return `#${t.id} ${t.identifierType}=${t.identifierValue} responsible=${t.responsibleSsin} "${t.description}" registered ${t.registeredAt} by ${t.registeredBy}${t.removedAt ? ` REMOVED by ${t.removedBy}` : ''}`;
}

/** A change that may wait for a second officer on the server (202): say which. */
export function changeMessage<T>(outcome: T | { pending: { id: string | null; kind: string; subject: string } }, done: (value: T) => string): string {
  if (typeof outcome === 'object' && outcome !== null && 'pending' in outcome) {
    return `waiting for a second officer: action #${outcome.pending.id} (${outcome.pending.kind} ${outcome.pending.subject}); confirm with actions:confirm --id ${outcome.pending.id}`;
  }
  return done(outcome as T);
}

const ORGANISATION_OPTIONS = {
  'org-type': {
    type: 'string',
    required: true,
    placeholder: 'TYPE',
    description: 'organisation identifier type (NIHII-HOSPITAL, CBE, EHP, …; see getGenericOrganizationTypes)',
  },
  'org-id': { type: 'string', required: true, placeholder: 'ID', description: 'organisation identifier (check digits are verified)' },
} as const;

export const addLegalRepresentativeCommand = defineCommand({
  name: 'certra:mandate:add-legal-representative',
  summary: "register an organisation's legal representative",
  details: 'The legal representative may request certificates for the organisation and designate certificate managers.',
  options: {
    ...ORGANISATION_OPTIONS,
    'org-name': { type: 'string', required: true, placeholder: 'NAME', description: 'registered name of the organisation (requests must use it)' },
    ssin: { type: 'string', required: true, placeholder: 'SSIN', description: 'SSIN of the legal representative' },
    evidence: { type: 'string', required: true, placeholder: 'REF', description: 'reference of the evidence (statutes, Official Gazette publication, …)' },
  },
  async run(context, options, out) {
    const mandate = await withServiceErrors(() =>
      registerLegalRepresentative(
        context,
        {
          organisation: { type: options['org-type'], value: options['org-id'] },
          organisationName: options['org-name'],
          holderSsin: options.ssin,
          evidence: options.evidence,
        },
        context.operator,
      ),
    );
    out(`registered ${describeMandate(mandateView(mandate))}`);
  },
  async remote(client, options, out) {
    const mandate = await client.post<MandateView>('/mandates', {
      organisationType: options['org-type'],
      organisationId: options['org-id'],
      organisationName: options['org-name'],
      role: 'LEGAL_REPRESENTATIVE',
      holderSsin: options.ssin,
      evidence: options.evidence,
    });
    out(`registered ${describeMandate(mandate)}`);
  },
});

export const addCertificateManagerCommand = defineCommand({
  name: 'certra:mandate:add-certificate-manager',
  summary: 'register a certificate manager designated by a legal representative (procuration form)',
  options: {
    ...ORGANISATION_OPTIONS,
    ssin: { type: 'string', required: true, placeholder: 'SSIN', description: 'SSIN of the certificate manager' },
    'designated-by': {
      type: 'string',
      required: true,
      placeholder: 'LR_SSIN',
      description: 'SSIN of the legal representative who designates them (an active mandate)',
    },
    evidence: { type: 'string', required: true, placeholder: 'REF', description: 'reference of the signed procuration form' },
    email: {
      type: 'string',
      placeholder: 'ADDRESS',
      description: "where they are reminded of the organisation's expiring certificates (default: the address of their latest request)",
    },
  },
  async run(context, options, out) {
    const mandate = await withServiceErrors(() =>
      registerCertificateManager(
        context,
        {
          organisation: { type: options['org-type'], value: options['org-id'] },
          holderSsin: options.ssin,
          designatedBySsin: options['designated-by'],
          evidence: options.evidence,
          contactEmail: options.email,
        },
        context.operator,
      ),
    );
    out(`registered ${describeMandate(mandateView(mandate))}`);
  },
  async remote(client, options, out) {
    const mandate = await client.post<MandateView>('/mandates', {
      organisationType: options['org-type'],
      organisationId: options['org-id'],
      role: 'CERTIFICATE_MANAGER',
      holderSsin: options.ssin,
      designatedBySsin: options['designated-by'],
      evidence: options.evidence,
      ...(options.email !== undefined ? { contactEmail: options.email } : {}),
    });
    out(`registered ${describeMandate(mandate)}`);
  },
});

export const listMandatesCommand = defineListCommand({
  name: 'certra:mandate:list',
  summary: 'mandates (active only unless --all)',
  options: {
    'org-type': { type: 'string', placeholder: 'TYPE', description: 'only this organisation (with --org-id)' },
    'org-id': { type: 'string', placeholder: 'ID', description: 'only this organisation (with --org-type)' },
    ssin: { type: 'string', placeholder: 'SSIN', description: 'only the mandates held by this person' },
    all: { type: 'boolean', description: 'include withdrawn mandates' },
  },
  counted: 'mandate(s)',
  async list(context, options) {
    const orgType = options['org-type'];
    const orgId = options['org-id'];
    if ((orgType === undefined) !== (orgId === undefined)) throw new UsageError('--org-type and --org-id go together');
    const rows = await listMandates(context, {
      ...(orgType !== undefined && orgId !== undefined ? { organisation: { type: orgType, value: orgId } } : {}),
      ...(options.ssin !== undefined ? { holderSsin: options.ssin } : {}),
      includeWithdrawn: options.all,
    });
    return rows.map(mandateView);
  },
  remote: (client, options) => {
    if ((options['org-type'] === undefined) !== (options['org-id'] === undefined)) throw new UsageError('--org-type and --org-id go together');
    return client.get<MandateView[]>('/mandates', {
      organisationType: options['org-type'],
      organisationId: options['org-id'],
      ssin: options.ssin,
      all: options.all ? 'true' : undefined,
    });
  },
  text: describeMandate,
  json: (m: MandateView) => m,
});

export const withdrawMandateCommand = defineCommand({
  name: 'certra:mandate:withdraw',
  summary: 'withdraw a mandate',
  options: {
    id: { type: 'string', required: true, placeholder: 'N', description: 'mandate number (#N in certra:mandate:list)' },
    reason: { type: 'string', required: true, placeholder: 'TEXT', description: 'why the mandate ends (kept with it)' },
  },
  async run(context, options, out) {
    const id = idValue('id', options.id);
    const mandate = await withServiceErrors(() => withdrawMandate(context, id, options.reason, context.operator));
    out(`withdrawn ${describeMandate(mandateView(mandate))}`);
  },
  async remote(client, options, out) {
    const mandate = await client.post<MandateView>(`/mandates/${idValue('id', options.id)}/withdraw`, { reason: options.reason });
    out(`withdrawn ${describeMandate(mandate)}`);
  },
});

export const setMandateEmailCommand = defineCommand({
  name: 'certra:mandate:set-email',
  summary: "set the address a certificate manager is reminded at of the organisation's expiring certificates",
  options: {
    id: { type: 'string', required: true, placeholder: 'N', description: 'mandate number (#N in certra:mandate:list)' },
    email: { type: 'string', placeholder: 'ADDRESS', description: 'the address' },
    clear: { type: 'boolean', description: 'remove the address: the one of their latest request is used again' },
  },
  async run(context, options, out) {
    const id = idValue('id', options.id);
    if ((options.email === undefined) === !options.clear) throw new UsageError('give either --email or --clear');
    const mandate = await withServiceErrors(() => setMandateContactEmail(context, id, options.email ?? null, context.operator));
    out(`updated ${describeMandate(mandateView(mandate))}`);
  },
  async remote(client, options, out) {
    const id = idValue('id', options.id);
    if ((options.email === undefined) === !options.clear) throw new UsageError('give either --email or --clear');
    const mandate = await client.patch<MandateView>(`/mandates/${id}`, { contactEmail: options.email ?? null });
    out(`updated ${describeMandate(mandate)}`);
  },
});

export const addTestCaseCommand = defineCommand({
  name: 'certra:test-case:add',
  summary: 'acceptance test case (automatic validation in acceptance)',
  details:
    'With CERTRA_AUTOMATIC_VALIDATION=on-file (the default), an acceptance request for this identifier signed by the\nresponsible person is validated automatically.',
  options: {
    type: { type: 'string', required: true, placeholder: 'TYPE', description: 'identifier type (SSIN, NIHII-HOSPITAL, CBE, …)' },
    id: { type: 'string', required: true, placeholder: 'ID', description: 'identifier value' },
    'responsible-ssin': {
      type: 'string',
      required: true,
      placeholder: 'SSIN',
      description: 'SSIN of the person responsible for the test case (the signer of its requests)',
    },
    description: { type: 'string', placeholder: 'TEXT', default: '', description: 'free text shown in lists' },
  },
  async run(context, options, out) {
    const testCase = await withServiceErrors(() =>
      registerTestCase(
        context,
        { identifier: { type: options.type, value: options.id }, responsibleSsin: options['responsible-ssin'], description: options.description },
        context.operator,
      ),
    );
    out(`registered test case ${describeTestCase(testCaseView(testCase))}`);
  },
  async remote(client, options, out) {
    const testCase = await client.post<TestCaseView>('/test-cases', {
      identifierType: options.type,
      identifierValue: options.id,
      responsibleSsin: options['responsible-ssin'],
      description: options.description,
    });
    out(`registered test case ${describeTestCase(testCase)}`);
  },
});

export const listTestCasesCommand = defineListCommand({
  name: 'certra:test-case:list',
  summary: 'acceptance test cases (active only unless --all)',
  options: {
    all: { type: 'boolean', description: 'include removed test cases' },
  },
  counted: 'test case(s)',
  list: async (context, options) => (await listTestCases(context, options.all)).map(testCaseView),
  remote: (client, options) => client.get<TestCaseView[]>('/test-cases', { all: options.all ? 'true' : undefined }),
  text: describeTestCase,
  json: (t: TestCaseView) => t,
});

export const removeTestCaseCommand = defineCommand({
  name: 'certra:test-case:remove',
  summary: 'remove a test case',
  options: {
    id: { type: 'string', required: true, placeholder: 'N', description: 'test case number (#N in certra:test-case:list)' },
  },
  async run(context, options, out) {
    const id = idValue('id', options.id);
    await withServiceErrors(() => removeTestCase(context, id, context.operator));
    out(`removed test case #${id}`);
  },
  async remote(client, options, out) {
    const id = idValue('id', options.id);
    await client.delete(`/test-cases/${id}`);
    out(`removed test case #${id}`);
  },
});

const DEFAULT_RECENT_LIMIT = 50;

function recentLimit(value: string): number {
  const limit = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError('--limit must be a number from 1 to 10000');
  return limit;
}

export const listRequestsCommand = defineListCommand({
  name: 'certra:requests:list',
  summary: 'certificate requests waiting for validation (or the most recent ones with --all)',
  options: {
    all: { type: 'boolean', description: 'the most recent requests in any state, not only those waiting' },
    limit: { type: 'string', placeholder: 'N', default: String(DEFAULT_RECENT_LIMIT), description: 'how many requests --all lists' },
  },
  counted: 'request(s)',
  async list(context, options) {
    const deps = context.services.certRa;
    const rows = options.all ? await recentRequests(deps, recentLimit(options.limit)) : await pendingRequests(deps);
    return rows.map(requestView);
  },
  remote: (client, options) => client.get<RequestView[]>('/requests', { status: options.all ? 'ALL' : 'PENDING', limit: String(recentLimit(options.limit)) }),
  text: describeRequest,
  json: (r: RequestView) => r,
});

export const approveRequestCommand = defineCommand({
  name: 'certra:requests:approve',
  summary: 'approve a waiting request and issue its certificate',
  details: "The operator is recorded as the deciding officer. A foreigner's request needs --identity-evidence.",
  options: {
    pki: { type: 'string', required: true, placeholder: 'HEX', description: 'public key identifier of the request (certra:requests:list)' },
    note: { type: 'string', placeholder: 'TEXT', description: 'note kept with the decision' },
    'identity-evidence': { type: 'string', placeholder: 'TEXT', description: 'how the identity was checked (required for foreigners)' },
  },
  async run(context, options, out) {
    const request = await withServiceErrors(() =>
      approveRequest(context.services.certRa, {
        publicKeyIdentifier: options.pki,
        officer: context.operator,
        ...(options.note !== undefined ? { note: options.note } : {}),
        ...(options['identity-evidence'] !== undefined ? { identityEvidence: options['identity-evidence'] } : {}),
      }),
    );
    out(`approved and issued: ${describeRequest(requestView(request))}`);
  },
  async remote(client, options, out) {
    const outcome = await client.post<RequestView | { pending: { id: string; kind: string; subject: string } }>(`/requests/${options.pki}/approve`, {
      ...(options.note !== undefined ? { note: options.note } : {}),
      ...(options['identity-evidence'] !== undefined ? { identityEvidence: options['identity-evidence'] } : {}),
    });
    out(changeMessage(outcome, (request: RequestView) => `approved and issued: ${describeRequest(request)}`));
  },
});

export const refuseRequestCommand = defineCommand({
  name: 'certra:requests:refuse',
  summary: 'refuse a waiting request',
  details: 'The requester reads the reason in getCertificate (REQUEST_REFUSED).',
  options: {
    pki: { type: 'string', required: true, placeholder: 'HEX', description: 'public key identifier of the request (certra:requests:list)' },
    reason: { type: 'string', required: true, placeholder: 'TEXT', description: 'why the request is refused' },
  },
  async run(context, options, out) {
    const request = await withServiceErrors(() =>
      refuseRequest(context.services.certRa, { publicKeyIdentifier: options.pki, officer: context.operator, reason: options.reason }),
    );
    out(`refused: ${describeRequest(requestView(request))}`);
  },
  async remote(client, options, out) {
    const request = await client.post<RequestView>(`/requests/${options.pki}/refuse`, { reason: options.reason });
    out(`refused: ${describeRequest(request)}`);
  },
});

export const CERTRA_COMMANDS: readonly AdminCommand[] = [
  addLegalRepresentativeCommand,
  addCertificateManagerCommand,
  listMandatesCommand,
  setMandateEmailCommand,
  withdrawMandateCommand,
  addTestCaseCommand,
  listTestCasesCommand,
  removeTestCaseCommand,
  listRequestsCommand,
  approveRequestCommand,
  refuseRequestCommand,
];
