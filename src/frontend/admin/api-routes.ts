import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isServiceError, type ErrorCode } from '../../domain/errors.js';
import {
  listMandates,
  listTestCases,
  registerCertificateManager,
  registerLegalRepresentative,
  registerTestCase,
  removeTestCase,
  setMandateContactEmail,
  withdrawMandate,
  type CertRaDependencies,
} from '../../services/certra/index.js';
import {
  OFFICER_REVOCATION_REASONS,
  type AdminService,
  type CertificateSearchStatus,
  type OfficerRevocationReason,
} from '../../services/admin/admin-service.js';
import { auditVerificationView, mandateView, testCaseView } from '../../services/admin/views.js';
import { OFFICER_ROLES, type OfficerRole } from '../../domain/operator.js';
import { sendProblem } from '../problem.js';
import { officerOf } from './officer-authentication.js';

/**
 * The admin API (JSON, under /admin/v1): one table of routes, from which both the Fastify routes and the OpenAPI
 * document are made, so the document cannot drift from what is served. Handlers only translate HTTP to the admin
 * services; refusals come back as RFC 9457 problems.
 */

export const ADMIN_API_PREFIX = '/admin/v1';

type Json = Record<string, unknown>;
type Schema = Json;

export interface AdminApiDependencies {
  readonly admin: AdminService;
  readonly certRa: CertRaDependencies;
  /** Development: minting test eID identities is offered. */
  readonly development: boolean;
  /** The effective settings, without secrets. */
  readonly settings: () => Record<string, unknown>;
}

interface AdminRoute {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly role: OfficerRole;
  readonly summary: string;
  readonly query?: Schema;
  readonly body?: Schema;
  /** 200 by default; 201 for creations; 202 when a change waits for a second officer. */
  readonly handle: (request: FastifyRequest, deps: AdminApiDependencies, reply: FastifyReply) => Promise<unknown>;
}

const str = (description: string, extra: Json = {}) => ({ type: 'string', description, ...extra });
const object = (properties: Record<string, Schema>, required: string[] = []) => ({ type: 'object', additionalProperties: false, properties, required });
const idParam = (value: string, name: string) => {
  if (!/^[0-9]{1,18}$/.test(value)) throw Object.assign(new Error(`${name} must be a number`), { code: 'BAD_REQUEST' });
  return BigInt(value);
};

const params = (request: FastifyRequest) => request.params as Record<string, string>;
const query = (request: FastifyRequest) => request.query as Record<string, string | undefined>;
const body = (request: FastifyRequest) => (request.body ?? {}) as Record<string, string | undefined>;

function date(value: string | undefined, name: string): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) throw Object.assign(new Error(`${name} is not an ISO 8601 date`), { code: 'BAD_REQUEST' });
  return parsed;
}

function limit(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw Object.assign(new Error('limit must be a whole number from 1 to 10000'), { code: 'BAD_REQUEST' });
  return n;
}

/** A change made (200/201), or one waiting for a second officer (202 with the pending action). */
function changeOutcome(reply: FastifyReply, outcome: { done: unknown } | { pending: unknown }) {
  if ('pending' in outcome) return reply.code(202).send({ pending: outcome.pending });
  return outcome.done;
}

const ORGANISATION = { organisationType: str('NIHII-HOSPITAL, CBE, EHP, …'), organisationId: str('the identifier (check digits are verified)') };

export const ADMIN_ROUTES: readonly AdminRoute[] = [
  {
    method: 'GET',
    path: '/me',
    role: 'auditor',
    summary: 'The officer the client certificate authenticates, and their role',
    handle: async (request, deps) => ({ ...officerOf(request).identity, role: officerOf(request).role, dualControl: deps.admin.dualControl }),
  },
  {
    method: 'GET',
    path: '/dashboard',
    role: 'auditor',
    summary: 'Pending requests, issued and revoked per day, certificates expiring within 90 days, CRL next updates, signer expiry',
    handle: async (_request, deps) => deps.admin.dashboard(),
  },
  // Request queue
  {
    method: 'GET',
    path: '/requests',
    role: 'auditor',
    summary: 'Certificate requests waiting for an officer (status=ALL: the most recent in any state)',
    query: object({ status: { type: 'string', enum: ['PENDING', 'ALL'] }, limit: str('how many with status=ALL (default 50)') }),
    handle: async (request, deps) =>
      deps.admin.listRequests({ status: query(request).status === 'ALL' ? 'ALL' : 'PENDING', limit: limit(query(request).limit, 50) }),
  },
  {
    method: 'GET',
    path: '/requests/:publicKeyIdentifier',
    role: 'auditor',
    summary: 'One request and its audit trail',
    handle: async (request, deps) => deps.admin.showRequest(params(request).publicKeyIdentifier!),
  },
  {
    method: 'POST',
    path: '/requests/:publicKeyIdentifier/approve',
    role: 'officer',
    summary:
      "Approve a waiting request and issue its certificate (a foreigner's needs identityEvidence; under dual control it waits for a second officer: 202)",
    body: object({ note: str('kept with the decision'), identityEvidence: str('how the identity was checked (required for foreigners)') }),
    handle: async (request, deps, reply) =>
      changeOutcome(
        reply,
        await deps.admin.approve(
          { publicKeyIdentifier: params(request).publicKeyIdentifier!, ...pick(body(request), ['note', 'identityEvidence']) },
          officerOf(request).identity,
        ),
      ),
  },
  {
    method: 'POST',
    path: '/requests/:publicKeyIdentifier/refuse',
    role: 'officer',
    summary: 'Refuse a waiting request (the requester reads the reason in getCertificate)',
    body: object({ reason: str('why', { minLength: 1 }) }, ['reason']),
    handle: async (request, deps) =>
      deps.admin.refuse({ publicKeyIdentifier: params(request).publicKeyIdentifier!, reason: body(request).reason! }, officerOf(request).identity),
  },
  // Certificates
  {
    method: 'GET',
    path: '/certificates',
    role: 'auditor',
    summary: 'Search certificates by SSIN, organisation identifier, serial, DN, status or expiry window',
    query: object({
      ssin: str('holder or requester SSIN'),
      organisationId: str('organisation identifier (any type)'),
      serial: str('serial number (hex)'),
      dn: str('part of the subject DN (case-insensitive)'),
      status: { type: 'string', enum: ['valid', 'revoked', 'expired'] },
      expiresWithinDays: str('valid certificates ending within this many days'),
      limit: str('at most this many (default 100)'),
    }),
    handle: async (request, deps) => {
      const q = query(request);
      const days = q.expiresWithinDays === undefined ? undefined : limit(q.expiresWithinDays, 90);
      return deps.admin.searchCertificates({
        ssin: q.ssin || undefined,
        organisationId: q.organisationId || undefined,
        serialHex: q.serial ? hexSerial(q.serial) : undefined,
        dnContains: q.dn || undefined,
        status: (q.status || undefined) as CertificateSearchStatus | undefined,
        expiresWithinDays: days,
        limit: limit(q.limit, 100),
      });
    },
  },
  {
    method: 'GET',
    path: '/certificates/:serial',
    role: 'auditor',
    summary: 'One certificate: PEM, chain, ETKs and history',
    handle: async (request, deps) => deps.admin.certificateDetail(hexSerial(params(request).serial!)),
  },
  {
    method: 'POST',
    path: '/certificates/:serial/revoke',
    role: 'officer',
    summary: 'Revoke a certificate and its ETKs at once (CRL and OCSP follow); under dual control it waits for a second officer: 202',
    body: object(
      {
        reason: { type: 'string', enum: [...OFFICER_REVOCATION_REASONS] },
        note: str('the request it answers, the evidence', { minLength: 1 }),
        revokedAt: str('ISO 8601: when the certificate ceased to be trustworthy (default now; not in the future)'),
      },
      ['reason', 'note'],
    ),
    handle: async (request, deps, reply) => {
      const b = body(request);
      return changeOutcome(
        reply,
        await deps.admin.revoke(
          {
            serialHex: hexSerial(params(request).serial!),
            reason: b.reason as OfficerRevocationReason,
            note: b.note!,
            revokedAt: date(b.revokedAt, 'revokedAt'),
          },
          officerOf(request).identity,
        ),
      );
    },
  },
  {
    method: 'POST',
    path: '/crl',
    role: 'officer',
    summary: 'Issue the CRLs now',
    handle: async (request, deps) => ({ crls: await deps.admin.reissueCrls(officerOf(request).identity) }),
  },
  // Four-eyes
  {
    method: 'GET',
    path: '/actions',
    role: 'auditor',
    summary: 'Changes waiting for a second officer (ADMIN_DUAL_CONTROL)',
    handle: async (_request, deps) => deps.admin.listOpenActions(),
  },
  {
    method: 'POST',
    path: '/actions/:id/confirm',
    role: 'officer',
    summary: 'Confirm a change another officer asked for: it is made now',
    handle: async (request, deps) => deps.admin.confirmAction(idParam(params(request).id!, 'id'), officerOf(request).identity),
  },
  {
    method: 'POST',
    path: '/actions/:id/cancel',
    role: 'officer',
    summary: 'Withdraw a change waiting for confirmation',
    handle: async (request, deps) => deps.admin.cancelAction(idParam(params(request).id!, 'id'), officerOf(request).identity),
  },
  // Mandates and test cases
  {
    method: 'GET',
    path: '/mandates',
    role: 'auditor',
    summary: 'Mandates (active only unless all=true), by organisation or holder',
    query: object({ ...ORGANISATION, ssin: str('holder SSIN'), all: { type: 'string', enum: ['true', 'false'] } }),
    handle: async (request, deps) => {
      const q = query(request);
      if ((q.organisationType === undefined) !== (q.organisationId === undefined)) {
        throw Object.assign(new Error('organisationType and organisationId go together'), { code: 'BAD_REQUEST' });
      }
      const rows = await listMandates(deps.certRa, {
        ...(q.organisationType && q.organisationId ? { organisation: { type: q.organisationType, value: q.organisationId } } : {}),
        ...(q.ssin ? { holderSsin: q.ssin } : {}),
        includeWithdrawn: q.all === 'true',
      });
      return rows.map(mandateView);
    },
  },
  {
    method: 'POST',
    path: '/mandates',
    role: 'officer',
    summary: 'Register a legal representative, or a certificate manager designated by one (designatedBySsin)',
    body: object(
      {
        ...ORGANISATION,
        role: { type: 'string', enum: ['LEGAL_REPRESENTATIVE', 'CERTIFICATE_MANAGER'] },
        organisationName: str('registered name (legal representatives)'),
        holderSsin: str('SSIN of the mandate holder'),
        designatedBySsin: str('SSIN of the designating legal representative (certificate managers)'),
        evidence: str('reference of the evidence (statutes, procuration form…)', { minLength: 1 }),
        contactEmail: str('where a certificate manager is reminded of expiring certificates'),
      },
      ['organisationType', 'organisationId', 'role', 'holderSsin', 'evidence'],
    ),
    handle: async (request, deps, reply) => {
      const b = body(request);
      const organisation = { type: b.organisationType!, value: b.organisationId! };
      const by = officerOf(request).identity;
      if (b.role === 'LEGAL_REPRESENTATIVE') {
        if (!b.organisationName) throw Object.assign(new Error('a legal representative needs organisationName'), { code: 'BAD_REQUEST' });
        reply.code(201);
        return mandateView(
          await registerLegalRepresentative(
            deps.certRa,
            { organisation, organisationName: b.organisationName, holderSsin: b.holderSsin!, evidence: b.evidence! },
            by,
          ),
        );
      }
      if (!b.designatedBySsin) throw Object.assign(new Error('a certificate manager needs designatedBySsin'), { code: 'BAD_REQUEST' });
      reply.code(201);
      return mandateView(
        await registerCertificateManager(
          deps.certRa,
          { organisation, holderSsin: b.holderSsin!, designatedBySsin: b.designatedBySsin, evidence: b.evidence!, contactEmail: b.contactEmail },
          by,
        ),
      );
    },
  },
  {
    method: 'PATCH',
    path: '/mandates/:id',
    role: 'officer',
    summary: "Set (or clear with null) a certificate manager's reminder address",
    body: { type: 'object', additionalProperties: false, properties: { contactEmail: { type: ['string', 'null'] } }, required: ['contactEmail'] },
    handle: async (request, deps) =>
      mandateView(
        await setMandateContactEmail(
          deps.certRa,
          idParam(params(request).id!, 'id'),
          (request.body as { contactEmail: string | null }).contactEmail,
          officerOf(request).identity,
        ),
      ),
  },
  {
    method: 'POST',
    path: '/mandates/:id/withdraw',
    role: 'officer',
    summary: 'Withdraw a mandate',
    body: object({ reason: str('why the mandate ends', { minLength: 1 }) }, ['reason']),
    handle: async (request, deps) =>
      mandateView(await withdrawMandate(deps.certRa, idParam(params(request).id!, 'id'), body(request).reason!, officerOf(request).identity)),
  },
  {
    method: 'GET',
    path: '/test-cases',
    role: 'auditor',
    summary: 'Acceptance test cases (active only unless all=true)',
    query: object({ all: { type: 'string', enum: ['true', 'false'] } }),
    handle: async (request, deps) => (await listTestCases(deps.certRa, query(request).all === 'true')).map(testCaseView),
  },
  {
    method: 'POST',
    path: '/test-cases',
    role: 'officer',
    summary: 'Register an acceptance test case (automatic validation in acceptance)',
    body: object(
      {
        identifierType: str('SSIN, NIHII-HOSPITAL, CBE, …'),
        identifierValue: str('the identifier'),
        responsibleSsin: str('the signer of its requests'),
        description: str('free text'),
      },
      ['identifierType', 'identifierValue', 'responsibleSsin'],
    ),
    handle: async (request, deps, reply) => {
      const b = body(request);
      reply.code(201);
      return testCaseView(
        await registerTestCase(
          deps.certRa,
          { identifier: { type: b.identifierType!, value: b.identifierValue! }, responsibleSsin: b.responsibleSsin!, description: b.description ?? '' },
          officerOf(request).identity,
        ),
      );
    },
  },
  {
    method: 'DELETE',
    path: '/test-cases/:id',
    role: 'officer',
    summary: 'Remove a test case',
    handle: async (request, deps, reply) => {
      await removeTestCase(deps.certRa, idParam(params(request).id!, 'id'), officerOf(request).identity);
      return reply.code(204).send();
    },
  },
  // Audit
  {
    method: 'GET',
    path: '/audit',
    role: 'auditor',
    summary: 'Audit records, filtered, in chain order (format=ndjson exports them one per line)',
    query: object({
      actor: str('operator name or officer certificate subject'),
      action: str('an action, or a prefix ending in *'),
      subject: str('public key identifier, serial, SSIN…'),
      since: str('ISO 8601'),
      until: str('ISO 8601'),
      limit: str('at most this many (default 1000)'),
      format: { type: 'string', enum: ['json', 'ndjson'] },
    }),
    handle: async (request, deps, reply) => {
      const q = query(request);
      const records = await deps.admin.listAudit({
        actor: q.actor || undefined,
        action: q.action || undefined,
        subject: q.subject || undefined,
        since: date(q.since, 'since'),
        until: date(q.until, 'until'),
        limit: limit(q.limit, 1000),
      });
      if (q.format !== 'ndjson') return records;
      return reply
        .type('application/x-ndjson')
        .header('content-disposition', 'attachment; filename="audit.ndjson"')
        .send(records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : ''));
    },
  },
  {
    method: 'GET',
    path: '/audit/verification',
    role: 'auditor',
    summary: 'Verify the hash chain and the signed checkpoints now; reports the first broken link',
    handle: async (_request, deps) => auditVerificationView(await deps.admin.verifyAudit(undefined)),
  },
  // Officers
  {
    method: 'GET',
    path: '/officers',
    role: 'admin',
    summary: 'Officers (active only unless all=true)',
    query: object({ all: { type: 'string', enum: ['true', 'false'] } }),
    handle: async (request, deps) => deps.admin.listOfficers(query(request).all === 'true'),
  },
  {
    method: 'POST',
    path: '/officers',
    role: 'admin',
    summary: 'Issue an officer certificate (name, role: the private key is in the answer, once), or register one (certificatePem) from a configured officer CA',
    body: object(
      {
        role: { type: 'string', enum: [...OFFICER_ROLES] },
        name: str('the officer, as in the certificate CN'),
        certificatePem: str('an existing officer certificate (PEM)'),
      },
      ['role'],
    ),
    handle: async (request, deps, reply) => {
      const b = body(request);
      const role = b.role as OfficerRole;
      reply.code(201);
      if (b.certificatePem) return { officer: await deps.admin.registerOfficerCertificate(b.certificatePem, role, officerOf(request).identity) };
      if (!b.name) throw Object.assign(new Error('give name (to issue a certificate) or certificatePem (to register one)'), { code: 'BAD_REQUEST' });
      return deps.admin.issueOfficerCredential({ name: b.name, role }, officerOf(request).identity);
    },
  },
  {
    method: 'DELETE',
    path: '/officers/:id',
    role: 'admin',
    summary: 'Remove an officer (their certificate is no longer admitted)',
    handle: async (request, deps) => deps.admin.removeOfficer(idParam(params(request).id!, 'id'), officerOf(request).identity),
  },
  {
    method: 'GET',
    path: '/settings',
    role: 'admin',
    summary: 'The effective settings (from the environment at start-up; secrets are only said to be set)',
    handle: async (_request, deps) => deps.settings(),
  },
  // Development
  {
    method: 'POST',
    path: '/dev/identities',
    role: 'officer',
    summary: 'Development only: a test eID identity (signature and authentication certificates and keys, PEM)',
    body: object({ ssin: str('the SSIN'), givenName: str('default Test'), surname: str('default Citizen') }, ['ssin']),
    handle: async (request, deps, reply) => {
      if (!deps.development) return sendProblem(reply, 404, 'NOT_FOUND', 'development identities are offered in development only');
      const b = body(request);
      reply.code(201);
      return deps.admin.mintDevelopmentIdentity(
        { ssin: b.ssin!, givenName: b.givenName || 'Test', surname: b.surname || 'Citizen' },
        officerOf(request).identity,
      );
    },
  },
];

function pick(source: Record<string, string | undefined>, keys: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const key of keys) if (typeof source[key] === 'string') picked[key] = source[key]!;
  return picked;
}

function hexSerial(value: string): string {
  const serial = value.replace(/:/g, '');
  if (!/^[0-9a-fA-F]{1,40}$/.test(serial)) throw Object.assign(new Error('serial must be hexadecimal (up to 20 octets)'), { code: 'BAD_REQUEST' });
  return serial;
}

/** HTTP status of a service refusal on the admin API. */
const STATUS_OF: Partial<Record<ErrorCode, number>> = {
  CERTIFICATE_NOT_FOUND: 404,
  DATA_NOT_FOUND: 404,
  NOT_REVOCABLE: 409,
  REQUEST_PENDING: 409,
  PUBLIC_KEY_IN_USE: 409,
  NOT_AUTHORIZED: 403,
  INVALID_REQUEST: 400,
  INVALID_IDENTIFIER: 400,
  UNKNOWN_IDENTIFIER_TYPE: 400,
  INTERNAL_ERROR: 500,
};

/** Answers what a handler threw: bad input 400, service refusals by code, anything else 500 (logged). */
export function answerAdminError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const e = error as { code?: string; message?: string; validation?: unknown; statusCode?: number };
  if (e.validation !== undefined || e.code === 'BAD_REQUEST' || e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || e.statusCode === 400) {
    return sendProblem(reply, 400, 'BAD_REQUEST', e.message ?? 'bad request');
  }
  if (e.statusCode === 413) return sendProblem(reply, 413, 'TOO_LARGE', 'the request body is too large');
  if (e.statusCode === 415) return sendProblem(reply, 415, 'UNSUPPORTED_MEDIA_TYPE', 'send application/json');
  if (isServiceError(error) && error.code !== 'INTERNAL_ERROR') return sendProblem(reply, STATUS_OF[error.code] ?? 409, error.code, error.detail);
  request.log.error({ err: error, requestId: request.id }, 'admin: request failed');
  return sendProblem(reply, 500, 'INTERNAL_ERROR', 'the request failed; quote the request id when reporting it');
}

export async function adminApiRoutes(app: FastifyInstance, deps: AdminApiDependencies): Promise<void> {
  for (const route of ADMIN_ROUTES) {
    app.route({
      method: route.method,
      url: `${ADMIN_API_PREFIX}${route.path}`,
      config: { role: route.role },
      schema: { ...(route.query ? { querystring: route.query } : {}), ...(route.body ? { body: route.body } : {}) },
      handler: async (request, reply) => route.handle(request, deps, reply),
    });
  }
}
