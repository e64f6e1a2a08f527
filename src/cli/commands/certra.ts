import { isServiceError } from '../../domain/errors.js';
import { CertificateIssuer } from '../../services/certificate-issuer.js';
import {
  approveRequest,
  createCertRaDependencies,
  listMandates,
  listTestCases,
  pendingRequests,
  recentRequests,
  refuseRequest,
  registerCertificateManager,
  registerLegalRepresentative,
  registerTestCase,
  removeTestCase,
  withdrawMandate,
  type CertRaDependencies,
} from '../../services/certra/index.js';
import type { CertRaRequestRow } from '../../storage/certra-requests.js';
import type { MandateRow } from '../../storage/certra-registrations.js';
import { optionalOption, requiredOption, type AdminCommand, type AdminContext, type OutputLine } from '../admin-context.js';

/**
 * CertRA administration: organisation mandates (legal representatives and the certificate managers they designate),
 * acceptance test cases, and the manual validation queue. The operator (ADMIN_OPERATOR, else the OS user) is recorded
 * with every change: in the audit log, and as the deciding officer on the request.
 */

function dependencies(context: AdminContext): CertRaDependencies {
  return createCertRaDependencies({ config: context.config, clock: context.clock, db: context.db, issuer: new CertificateIssuer(context.ca) });
}

/** Service refusals read better with their code; anything else is reported as is. */
async function run<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (isServiceError(error)) throw new Error(`${error.code}: ${error.detail}`, { cause: error });
    throw error;
  }
}

function bigintOption(options: Map<string, string[]>, name: string): bigint {
  const value = requiredOption(options, name);
  if (!/^[0-9]{1,18}$/.test(value)) throw new Error(`--${name} must be a number`);
  return BigInt(value);
}

function describeMandate(m: MandateRow): string {
  const designation = m.designatedByMandateId === null ? '' : ` designated-by=#${m.designatedByMandateId}`;
  const state = m.withdrawnAt ? ` WITHDRAWN ${m.withdrawnAt.toISOString()} by ${m.withdrawnBy}` : '';
  return `#${m.id} ${m.organisationType}=${m.organisationId} "${m.organisationName}" ${m.role} ssin=${m.holderSsin}${designation} evidence="${m.evidence}" registered ${m.registeredAt.toISOString()} by ${m.registeredBy}${state}`;
}

function describeRequest(r: CertRaRequestRow): string {
  const lapse = r.validationExpiresAt ? ` validate-before=${r.validationExpiresAt.toISOString()}` : '';
  const decision = r.decidedAt ? ` decided ${r.decidedAt.toISOString()} by ${r.decidedBy}${r.decisionNote ? ` (${r.decisionNote})` : ''}` : '';
  return `${r.publicKeyIdentifier} ${r.status} ${r.channel} requested ${r.requestedAt.toISOString()} by ssin=${r.requesterSsin} dn="${r.dn}" contact=${r.contactData.emailPrivate}/${r.contactData.phonePrivate}${lapse}${decision}`;
}

export const addLegalRepresentativeCommand: AdminCommand = {
  name: 'certra:mandate:add-legal-representative',
  summary: '--org-type T --org-id N --org-name NAME --ssin S --evidence REF   register an organisation\'s legal representative',
  async run(context, options, out) {
    const mandate = await run(() =>
      registerLegalRepresentative(
        context,
        {
          organisation: { type: requiredOption(options, 'org-type'), value: requiredOption(options, 'org-id') },
          organisationName: requiredOption(options, 'org-name'),
          holderSsin: requiredOption(options, 'ssin'),
          evidence: requiredOption(options, 'evidence'),
        },
        context.operator,
      ),
    );
    out(`registered ${describeMandate(mandate)}`);
  },
};

export const addCertificateManagerCommand: AdminCommand = {
  name: 'certra:mandate:add-certificate-manager',
  summary: '--org-type T --org-id N --ssin S --designated-by LR_SSIN --evidence REF   register a certificate manager (procuration form)',
  async run(context, options, out) {
    const mandate = await run(() =>
      registerCertificateManager(
        context,
        {
          organisation: { type: requiredOption(options, 'org-type'), value: requiredOption(options, 'org-id') },
          holderSsin: requiredOption(options, 'ssin'),
          designatedBySsin: requiredOption(options, 'designated-by'),
          evidence: requiredOption(options, 'evidence'),
        },
        context.operator,
      ),
    );
    out(`registered ${describeMandate(mandate)}`);
  },
};

export const listMandatesCommand: AdminCommand = {
  name: 'certra:mandate:list',
  summary: '[--org-type T --org-id N] [--ssin S] [--all]   mandates (active only unless --all)',
  async run(context, options, out) {
    const orgType = optionalOption(options, 'org-type');
    const orgId = optionalOption(options, 'org-id');
    if ((orgType === undefined) !== (orgId === undefined)) throw new Error('--org-type and --org-id go together');
    const ssin = optionalOption(options, 'ssin');
    const rows = await listMandates(context, {
      ...(orgType && orgId ? { organisation: { type: orgType, value: orgId } } : {}),
      ...(ssin ? { holderSsin: ssin } : {}),
      includeWithdrawn: options.has('all'),
    });
    for (const row of rows) out(describeMandate(row));
    out(`${rows.length} mandate(s)`);
  },
};

export const withdrawMandateCommand: AdminCommand = {
  name: 'certra:mandate:withdraw',
  summary: '--id N --reason TEXT   withdraw a mandate',
  async run(context, options, out) {
    const mandate = await run(() => withdrawMandate(context, bigintOption(options, 'id'), requiredOption(options, 'reason'), context.operator));
    out(`withdrawn ${describeMandate(mandate)}`);
  },
};

export const addTestCaseCommand: AdminCommand = {
  name: 'certra:test-case:add',
  summary: '--type T --id N --responsible-ssin S [--description TEXT]   acceptance test case (automatic validation in acceptance)',
  async run(context, options, out) {
    const testCase = await run(() =>
      registerTestCase(
        context,
        {
          identifier: { type: requiredOption(options, 'type'), value: requiredOption(options, 'id') },
          responsibleSsin: requiredOption(options, 'responsible-ssin'),
          description: optionalOption(options, 'description') ?? '',
        },
        context.operator,
      ),
    );
    out(`registered test case #${testCase.id} ${testCase.identifierType}=${testCase.identifierValue} responsible=${testCase.responsibleSsin}`);
  },
};

export const listTestCasesCommand: AdminCommand = {
  name: 'certra:test-case:list',
  summary: '[--all]   acceptance test cases',
  async run(context, options, out) {
    const rows = await listTestCases(context, options.has('all'));
    for (const r of rows) {
      out(`#${r.id} ${r.identifierType}=${r.identifierValue} responsible=${r.responsibleSsin} "${r.description}" registered ${r.registeredAt.toISOString()} by ${r.registeredBy}${r.removedAt ? ` REMOVED by ${r.removedBy}` : ''}`);
    }
    out(`${rows.length} test case(s)`);
  },
};

export const removeTestCaseCommand: AdminCommand = {
  name: 'certra:test-case:remove',
  summary: '--id N   remove a test case',
  async run(context, options, out) {
    const id = bigintOption(options, 'id');
    await run(() => removeTestCase(context, id, context.operator));
    out(`removed test case #${id}`);
  },
};

export const listRequestsCommand: AdminCommand = {
  name: 'certra:requests:list',
  summary: '[--all [--limit N]]   requests waiting for validation (or the most recent ones with --all)',
  async run(context, options, out: OutputLine) {
    const deps = dependencies(context);
    const limit = Number(optionalOption(options, 'limit') ?? '50');
    const rows = options.has('all') ? await recentRequests(deps, Number.isSafeInteger(limit) && limit > 0 ? limit : 50) : await pendingRequests(deps);
    for (const row of rows) out(describeRequest(row));
    out(`${rows.length} request(s)`);
  },
};

export const approveRequestCommand: AdminCommand = {
  name: 'certra:requests:approve',
  summary: '--pki HEX [--note TEXT] [--identity-evidence TEXT]   approve and issue (foreigners: identity evidence required)',
  async run(context, options, out) {
    const identityEvidence = optionalOption(options, 'identity-evidence');
    const note = optionalOption(options, 'note');
    const request = await run(() =>
      approveRequest(dependencies(context), {
        publicKeyIdentifier: requiredOption(options, 'pki'),
        officer: context.operator,
        ...(note !== undefined ? { note } : {}),
        ...(identityEvidence !== undefined ? { identityEvidence } : {}),
      }),
    );
    out(`approved and issued: ${describeRequest(request)}`);
  },
};

export const refuseRequestCommand: AdminCommand = {
  name: 'certra:requests:refuse',
  summary: '--pki HEX --reason TEXT   refuse a waiting request',
  async run(context, options, out) {
    const request = await run(() =>
      refuseRequest(dependencies(context), { publicKeyIdentifier: requiredOption(options, 'pki'), officer: context.operator, reason: requiredOption(options, 'reason') }),
    );
    out(`refused: ${describeRequest(request)}`);
  },
};

export const CERTRA_COMMANDS: readonly AdminCommand[] = [
  addLegalRepresentativeCommand,
  addCertificateManagerCommand,
  listMandatesCommand,
  withdrawMandateCommand,
  addTestCaseCommand,
  listTestCasesCommand,
  removeTestCaseCommand,
  listRequestsCommand,
  approveRequestCommand,
  refuseRequestCommand,
];
