import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isServiceError } from '../../../domain/errors.js';
import { projectPaths } from '../../../project-paths.js';
import {
  OFFICER_REVOCATION_REASONS,
  type AuthenticatedOfficer,
  type CertificateSearchStatus,
  type OfficerRevocationReason,
} from '../../../services/admin/admin-service.js';
import type { AuditView, CertificateView, RequestView } from '../../../services/admin/views.js';
import { mandateView, testCaseView } from '../../../services/admin/views.js';
import {
  listMandates,
  listTestCases,
  registerCertificateManager,
  registerLegalRepresentative,
  registerTestCase,
  removeTestCase,
  withdrawMandate,
} from '../../../services/certra/index.js';
import type { AdminApiDependencies } from '../api-routes.js';
import { officerOf, roleCovers } from '../officer-authentication.js';
import { html, raw, markupOf, type SafeHtml } from './html.js';

/**
 * The officer console: server-rendered pages on the admin listener, forms that post back and redirect (no script
 * needed), the same services as the API. A form post is accepted only from the console's own origin (Origin or
 * Sec-Fetch-Site), since the browser sends the client certificate with any request to this host.
 */

export const CONSOLE_PREFIX = '/console';
const CSS = readFileSync(join(projectPaths.consoleAssets(), 'console.css'), 'utf8');

const NAV: ReadonlyArray<readonly [string, string]> = [
  ['/', 'Dashboard'],
  ['/requests', 'Requests'],
  ['/certificates', 'Certificates'],
  ['/actions', 'Confirmations'],
  ['/mandates', 'Mandates'],
  ['/test-cases', 'Test cases'],
  ['/audit', 'Audit'],
];

function page(request: FastifyRequest, title: string, section: string, body: SafeHtml): string {
  const officer = request.officer;
  const q = request.query as Record<string, string | undefined>;
  const flash = q.done ? html`<p class="flash ok" role="status">${q.done}</p>` : q.error ? html`<p class="flash error" role="alert">${q.error}</p>` : '';
  return `<!doctype html>${markupOf(html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · eHealth certificate platform</title><link rel="stylesheet" href="${CONSOLE_PREFIX}/assets/console.css"></head>
<body><a class="skip" href="#main">Skip to content</a>
<header><strong>eHealth RA console</strong><nav aria-label="Sections"><ul>${NAV.map(
    ([path, label]) => html`<li><a href="${CONSOLE_PREFIX}${path === '/' ? '' : path}" ${raw(section === path ? 'aria-current="page"' : '')}>${label}</a></li>`,
  )}</ul></nav>
<span class="who">${officer ? `${officer.identity.subject} · ${officer.role}` : ''}</span></header>
<main id="main"><h1>${title}</h1>${flash}${body}</main></body></html>`)}`;
}

const when = (iso: string | null) => (iso ? iso.replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC') : '');

function waiting(requestedAt: string | null, now: Date): string {
  if (!requestedAt) return '';
  const hours = Math.floor((now.getTime() - new Date(requestedAt).getTime()) / 3_600_000);
  return hours >= 48 ? `${Math.floor(hours / 24)} days` : `${hours} h`;
}

function auditTable(records: readonly AuditView[]): SafeHtml {
  if (records.length === 0) return html`<p>No audit record.</p>`;
  return html`<table><caption class="hint">Audit records, oldest first</caption><thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Subject</th><th scope="col">Details</th></tr></thead><tbody>
${records.map(
  (r) =>
    html`<tr><td>${r.seq ?? '–'}</td><td>${when(r.occurredAt)}</td><td>${r.actor}${r.actorSerial ? ` (serial ${r.actorSerial})` : ''}</td><td>${r.action}</td><td class="mono">${r.subject ?? ''}</td><td class="mono">${JSON.stringify(r.details)}</td></tr>`,
)}</tbody></table>`;
}

function requestRows(requests: readonly RequestView[], now: Date): SafeHtml {
  return html`${requests.map(
    (
      r,
    ) => html`<tr><td><a href="${CONSOLE_PREFIX}/requests/${r.publicKeyIdentifier}">${r.dn}</a></td><td>${r.actorFirstNames.join(' ')} ${r.actorName} (SSIN ${r.requesterSsin})</td>
<td>${r.channel === 'foreigner' ? 'foreigner: identity to check' : r.automaticallyValidated ? 'automatic' : 'no test case or mandate on file: manual'}</td><td>${when(r.requestedAt)}</td><td>${waiting(r.requestedAt, now)}</td><td class="status-${r.status}">${r.status}</td></tr>`,
  )}`;
}

function certificateRows(certificates: readonly CertificateView[]): SafeHtml {
  return html`${certificates.map(
    (c) =>
      html`<tr><td><a class="mono" href="${CONSOLE_PREFIX}/certificates/${c.serialHex}">${c.serialHex}</a></td><td>${c.subjectDn}</td><td>${c.profile}</td><td class="status-${c.status}">${c.status}</td><td>${when(c.notAfter)}</td></tr>`,
  )}`;
}

/** After a form post: back to a page with a message (303: the browser GETs it). */
function back(reply: FastifyReply, path: string, message: { done?: string; error?: string }) {
  const query = new URLSearchParams(Object.entries(message).filter((entry): entry is [string, string] => entry[1] !== undefined)).toString();
  return reply.redirect(`${CONSOLE_PREFIX}${path}${query ? `?${query}` : ''}`, 303);
}

type Handler = (request: FastifyRequest, reply: FastifyReply, officer: AuthenticatedOfficer) => Promise<unknown>;

export async function consoleRoutes(app: FastifyInstance, deps: AdminApiDependencies): Promise<void> {
  const { admin, certRa } = deps;
  const now = () => new Date();
  const get = (path: string, handler: Handler) =>
    app.get(`${CONSOLE_PREFIX}${path}`, { config: { role: 'auditor' } }, async (request, reply) => {
      const body = await handler(request, reply, officerOf(request));
      if (typeof body === 'string') return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
      return body;
    });
  /** A form post by an officer: checked to come from the console, then redirected with the outcome. */
  const post = (
    path: string,
    role: 'officer' | 'admin',
    handler: (request: FastifyRequest, officer: AuthenticatedOfficer) => Promise<{ to: string; done?: string; error?: string }>,
    failTo: (request: FastifyRequest) => string,
  ) =>
    app.post(`${CONSOLE_PREFIX}${path}`, { config: { role } }, async (request, reply) => {
      if (!sameOrigin(request)) return reply.code(403).type('text/plain').send('form posts are accepted from the console only');
      try {
        const { to, ...message } = await handler(request, officerOf(request));
        return back(reply, to, message);
      } catch (error) {
        if (isServiceError(error) && error.code !== 'INTERNAL_ERROR') return back(reply, failTo(request), { error: `${error.code}: ${error.detail}` });
        throw error;
      }
    });
  const form = (request: FastifyRequest) => (request.body ?? {}) as Record<string, string | undefined>;
  const param = (request: FastifyRequest, name: string) => (request.params as Record<string, string>)[name]!;

  app.get(`${CONSOLE_PREFIX}/assets/console.css`, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'max-age=3600').send(CSS),
  );

  get('', async (request) => {
    const d = await admin.dashboard();
    return page(
      request,
      'Dashboard',
      '/',
      html`<div class="cards">
<div class="card"><div class="n">${d.pendingRequests}</div><a href="${CONSOLE_PREFIX}/requests">requests waiting</a></div>
<div class="card"><div class="n">${d.issuedCertificates}</div>certificates issued</div>
<div class="card"><div class="n">${d.revokedCertificates}</div>certificates revoked</div>
<div class="card"><div class="n">${d.expiringWithin90Days}</div><a href="${CONSOLE_PREFIX}/certificates?expiresWithinDays=90&amp;status=valid">expiring within 90 days</a></div>
<div class="card"><div class="n">${d.openActions}</div><a href="${CONSOLE_PREFIX}/actions">waiting for a second officer</a>${d.dualControl ? '' : ' (dual control off)'}</div></div>
<h2>Issued and revoked per day (14 days)</h2>
${d.issuedPerDay.length === 0 ? html`<p>Nothing in the last 14 days.</p>` : html`<table><thead><tr><th scope="col">Day</th><th scope="col">Issued</th><th scope="col">Revoked</th></tr></thead><tbody>${d.issuedPerDay.map((row) => html`<tr><td>${row.day}</td><td>${row.issued}</td><td>${row.revoked}</td></tr>`)}</tbody></table>`}
<h2>CRLs</h2>${d.crls.length === 0 ? html`<p>No CRL issued yet.</p>` : html`<table><thead><tr><th scope="col">CA</th><th scope="col">Next update</th></tr></thead><tbody>${d.crls.map((c) => html`<tr><td>${c.ca}</td><td>${when(c.nextUpdate)}</td></tr>`)}</tbody></table>`}
<h2>Signing certificates</h2><table><thead><tr><th scope="col">Certificate</th><th scope="col">Expires</th></tr></thead><tbody>${d.signers.map((s) => html`<tr><td>${s.name}</td><td>${when(s.notAfter)}</td></tr>`)}</tbody></table>`,
    );
  });

  get('/requests', async (request) => {
    const all = (request.query as Record<string, string>).status === 'ALL';
    const requests = await admin.listRequests({ status: all ? 'ALL' : 'PENDING', limit: 100 });
    return page(
      request,
      all ? 'Recent requests' : 'Requests waiting for validation',
      '/requests',
      html`<p><a href="${CONSOLE_PREFIX}/requests${all ? '' : '?status=ALL'}">${all ? 'Show waiting requests only' : 'Show recent requests in any state'}</a></p>
${requests.length === 0 ? html`<p>No request ${all ? '' : 'waits'}.</p>` : html`<table><thead><tr><th scope="col">Certificate (DN)</th><th scope="col">Requested by</th><th scope="col">Validation</th><th scope="col">Requested</th><th scope="col">Waiting</th><th scope="col">Status</th></tr></thead><tbody>${requestRows(requests, now())}</tbody></table>`}`,
    );
  });

  get('/requests/:pki', async (request) => {
    const { request: r, history } = await admin.showRequest(param(request, 'pki'));
    const canDecide = roleCovers(officerOf(request).role, 'officer') && r.status === 'PENDING';
    return page(
      request,
      `Request ${r.publicKeyIdentifier}`,
      '/requests',
      html`<dl class="props"><dt>DN</dt><dd>${r.dn}</dd><dt>Status</dt><dd class="status-${r.status}">${r.status}</dd><dt>Channel</dt><dd>${r.channel}</dd>
<dt>Requested by</dt><dd>${r.actorFirstNames.join(' ')} ${r.actorName} (SSIN ${r.requesterSsin})</dd><dt>For</dt><dd>${r.identifierType} ${r.identifierValue}${r.applicationId ? ` (${r.applicationId})` : ''}</dd>
<dt>Contact</dt><dd>${r.contactData.emailPrivate} · ${r.contactData.phonePrivate}</dd><dt>Requested</dt><dd>${when(r.requestedAt)} (waiting ${waiting(r.requestedAt, now())})</dd>
${r.validationExpiresAt ? html`<dt>Validate before</dt><dd>${when(r.validationExpiresAt)}</dd>` : ''}
${r.decidedAt ? html`<dt>Decided</dt><dd>${when(r.decidedAt)} by ${r.decidedBy}${r.decisionNote ? ` (${r.decisionNote})` : ''}</dd>` : ''}</dl>
${
  canDecide
    ? html`<form method="post" action="${CONSOLE_PREFIX}/requests/${r.publicKeyIdentifier}/approve"><fieldset><legend>Approve and issue</legend>
${r.channel === 'foreigner' ? html`<label for="identityEvidence">Identity evidence (document, number, office, date) — required</label><input type="text" id="identityEvidence" name="identityEvidence" required>` : ''}
<label for="note">Note</label><input type="text" id="note" name="note"><button type="submit">Approve</button></fieldset></form>
<form method="post" action="${CONSOLE_PREFIX}/requests/${r.publicKeyIdentifier}/refuse"><fieldset><legend>Refuse</legend>
<label for="reason">Reason (the requester reads it)</label><input type="text" id="reason" name="reason" required><button type="submit" class="danger">Refuse</button></fieldset></form>`
    : ''
}
<h2>History</h2>${auditTable(history)}`,
    );
  });

  post(
    '/requests/:pki/approve',
    'officer',
    async (request, officer) => {
      const f = form(request);
      const outcome = await admin.approve(
        {
          publicKeyIdentifier: param(request, 'pki'),
          ...(f.note ? { note: f.note } : {}),
          ...(f.identityEvidence ? { identityEvidence: f.identityEvidence } : {}),
        },
        officer.identity,
      );
      if ('pending' in outcome) return { to: '/actions', done: `Approval #${outcome.pending.id} waits for a second officer` };
      return { to: `/requests/${param(request, 'pki')}`, done: 'Approved: the certificate is issued' };
    },
    (request) => `/requests/${param(request, 'pki')}`,
  );
  post(
    '/requests/:pki/refuse',
    'officer',
    async (request, officer) => {
      await admin.refuse({ publicKeyIdentifier: param(request, 'pki'), reason: form(request).reason ?? '' }, officer.identity);
      return { to: `/requests/${param(request, 'pki')}`, done: 'Refused' };
    },
    (request) => `/requests/${param(request, 'pki')}`,
  );

  get('/certificates', async (request) => {
    const q = request.query as Record<string, string | undefined>;
    const searched = ['ssin', 'organisationId', 'serial', 'dn', 'status', 'expiresWithinDays'].some((k) => q[k]);
    const days = q.expiresWithinDays && /^\d{1,4}$/.test(q.expiresWithinDays) ? Number(q.expiresWithinDays) : undefined;
    const status = ['valid', 'revoked', 'expired'].includes(q.status ?? '') ? (q.status as CertificateSearchStatus) : undefined;
    const serial = q.serial && /^[0-9a-fA-F:]{1,60}$/.test(q.serial) ? q.serial.replace(/:/g, '') : undefined;
    const results = searched
      ? await admin.searchCertificates({
          ssin: q.ssin || undefined,
          organisationId: q.organisationId || undefined,
          serialHex: serial,
          dnContains: q.dn || undefined,
          status,
          expiresWithinDays: days,
          limit: 200,
        })
      : await admin.searchCertificates({ limit: 50 });
    const field = (name: string, label: string) =>
      html`<label for="${name}">${label}</label><input type="search" id="${name}" name="${name}" value="${q[name] ?? ''}">`;
    return page(
      request,
      'Certificates',
      '/certificates',
      html`<form method="get" action="${CONSOLE_PREFIX}/certificates" role="search"><fieldset><legend>Search</legend>
${field('ssin', 'SSIN')}${field('organisationId', 'Organisation identifier')}${field('serial', 'Serial (hex)')}${field('dn', 'Subject DN contains')}
<label for="status">Status</label><select id="status" name="status"><option value="">any</option>${['valid', 'revoked', 'expired'].map((s) => html`<option ${raw(s === status ? 'selected' : '')}>${s}</option>`)}</select>
${field('expiresWithinDays', 'Expiring within (days)')}<button type="submit">Search</button></fieldset></form>
<h2>${searched ? `${results.length} certificate(s) found` : 'Most recent certificates'}</h2>
${results.length === 0 ? html`<p>No certificate matches.</p>` : html`<table><thead><tr><th scope="col">Serial</th><th scope="col">Subject</th><th scope="col">Profile</th><th scope="col">Status</th><th scope="col">Expires</th></tr></thead><tbody>${certificateRows(results)}</tbody></table>`}`,
    );
  });

  get('/certificates/:serial', async (request) => {
    const serial = param(request, 'serial');
    if (!/^[0-9a-fA-F]{1,40}$/.test(serial)) return page(request, 'Certificate', '/certificates', html`<p>Not a serial number.</p>`);
    const d = await admin.certificateDetail(serial);
    const c = d.certificate;
    const canRevoke = roleCovers(officerOf(request).role, 'officer') && c.status === 'valid';
    return page(
      request,
      `Certificate ${c.serialHex}`,
      '/certificates',
      html`<dl class="props"><dt>Subject</dt><dd>${c.subjectDn}</dd><dt>Status</dt><dd class="status-${c.status}">${c.status}${c.revokedAt ? ` on ${when(c.revokedAt)} (${c.revocationReason ?? ''})` : ''}</dd>
<dt>Profile</dt><dd>${c.profile}</dd><dt>Valid</dt><dd>${when(c.notBefore)} – ${when(c.notAfter)}</dd>
${c.publicKeyIdentifier ? html`<dt>Request</dt><dd><a class="mono" href="${CONSOLE_PREFIX}/requests/${c.publicKeyIdentifier}">${c.publicKeyIdentifier}</a></dd>` : ''}</dl>
<h2>ETKs</h2>${d.etks.length === 0 ? html`<p>No ETK registered.</p>` : html`<table><thead><tr><th scope="col">Identifier</th><th scope="col">Application</th><th scope="col">Status</th><th scope="col">Valid until</th></tr></thead><tbody>${d.etks.map((e) => html`<tr><td>${e.identifierType} ${e.identifierValue}</td><td>${e.applicationId ?? ''}</td><td>${e.status}</td><td>${when(e.notAfter)}</td></tr>`)}</tbody></table>`}
${
  canRevoke
    ? html`<form method="post" action="${CONSOLE_PREFIX}/certificates/${c.serialHex}/revoke"><fieldset><legend>Revoke this certificate</legend>
<p class="hint">The certificate and its ETKs are revoked at once; the CRL and OCSP answer it from now on. This cannot be undone.</p>
<label for="reason">Reason</label><select id="reason" name="reason" required>${OFFICER_REVOCATION_REASONS.map((r) => html`<option>${r}</option>`)}</select>
<label for="note">Note (the request it answers, the evidence)</label><input type="text" id="note" name="note" required>
<label for="revokedAt">Revoked as of (UTC, optional; default now)</label><input type="datetime-local" id="revokedAt" name="revokedAt">
<p class="check"><input type="checkbox" id="confirm" name="confirm" value="yes" required> <label for="confirm">I confirm the revocation of ${c.subjectDn}</label></p>
<button type="submit" class="danger">Revoke</button></fieldset></form>`
    : ''
}
<h2>Certificate</h2><pre class="mono">${d.certificatePem}</pre>
<h2>History</h2>${auditTable(d.history)}`,
    );
  });
  post(
    '/certificates/:serial/revoke',
    'officer',
    async (request, officer) => {
      const f = form(request);
      if (f.confirm !== 'yes') return { to: `/certificates/${param(request, 'serial')}`, error: 'Tick the confirmation to revoke: nothing was revoked' };
      const revokedAt = f.revokedAt ? new Date(`${f.revokedAt}Z`) : undefined;
      if (revokedAt && Number.isNaN(revokedAt.getTime()))
        return { to: `/certificates/${param(request, 'serial')}`, error: 'The date was not understood: nothing was revoked' };
      const outcome = await admin.revoke(
        { serialHex: param(request, 'serial'), reason: (f.reason ?? '') as OfficerRevocationReason, note: f.note ?? '', revokedAt },
        officer.identity,
      );
      if ('pending' in outcome) return { to: '/actions', done: `Revocation #${outcome.pending.id} waits for a second officer` };
      return { to: `/certificates/${param(request, 'serial')}`, done: 'Revoked' };
    },
    (request) => `/certificates/${param(request, 'serial')}`,
  );

  get('/actions', async (request) => {
    const actions = await admin.listOpenActions();
    return page(
      request,
      'Changes waiting for a second officer',
      '/actions',
      html`${admin.dualControl ? '' : html`<p class="hint">Dual control is off (ADMIN_DUAL_CONTROL): changes are made at once.</p>`}
${
  actions.length === 0
    ? html`<p>Nothing waits.</p>`
    : html`<table><thead><tr><th scope="col">#</th><th scope="col">Change</th><th scope="col">Asked by</th><th scope="col">When</th><th scope="col">Details</th><th scope="col">Decide</th></tr></thead><tbody>${actions.map(
        (
          a,
        ) => html`<tr><td>${a.id}</td><td>${a.kind} <span class="mono">${a.subject}</span></td><td>${a.requestedBy}</td><td>${when(a.requestedAt)}</td><td class="mono">${JSON.stringify(a.payload)}</td>
<td><form class="inline" method="post" action="${CONSOLE_PREFIX}/actions/${a.id}/confirm"><button type="submit">Confirm</button></form>
<form class="inline" method="post" action="${CONSOLE_PREFIX}/actions/${a.id}/cancel"><button type="submit" class="secondary">Cancel</button></form></td></tr>`,
      )}</tbody></table>`
}`,
    );
  });
  const actionId = (request: FastifyRequest) => {
    const id = param(request, 'id');
    return /^\d{1,18}$/.test(id) ? BigInt(id) : -1n;
  };
  post(
    '/actions/:id/confirm',
    'officer',
    async (request, officer) => {
      await admin.confirmAction(actionId(request), officer.identity);
      return { to: '/actions', done: `Change #${param(request, 'id')} confirmed and made` };
    },
    () => '/actions',
  );
  post(
    '/actions/:id/cancel',
    'officer',
    async (request, officer) => {
      await admin.cancelAction(actionId(request), officer.identity);
      return { to: '/actions', done: `Change #${param(request, 'id')} cancelled` };
    },
    () => '/actions',
  );

  get('/mandates', async (request) => {
    const all = (request.query as Record<string, string>).all === 'true';
    const mandates = (await listMandates(certRa, { includeWithdrawn: all })).map(mandateView);
    const officer = roleCovers(officerOf(request).role, 'officer');
    return page(
      request,
      'Mandates',
      '/mandates',
      html`<p><a href="${CONSOLE_PREFIX}/mandates${all ? '' : '?all=true'}">${all ? 'Active mandates only' : 'Include withdrawn mandates'}</a></p>
<table><thead><tr><th scope="col">#</th><th scope="col">Organisation</th><th scope="col">Role</th><th scope="col">Holder</th><th scope="col">Evidence</th><th scope="col">Registered</th><th scope="col">State</th></tr></thead><tbody>${mandates.map(
        (
          m,
        ) => html`<tr><td>${m.id}</td><td>${m.organisationType} ${m.organisationId} ${m.organisationName}</td><td>${m.role}</td><td>SSIN ${m.holderSsin}</td><td>${m.evidence}</td><td>${when(m.registeredAt)} by ${m.registeredBy}</td>
<td>${m.withdrawnAt ? `withdrawn ${when(m.withdrawnAt)}` : officer ? html`<form class="inline" method="post" action="${CONSOLE_PREFIX}/mandates/${m.id}/withdraw"><label for="why-${m.id}">Reason</label><input type="text" id="why-${m.id}" name="reason" required><button type="submit" class="secondary">Withdraw</button></form>` : 'active'}</td></tr>`,
      )}</tbody></table>
${
  officer
    ? html`<form method="post" action="${CONSOLE_PREFIX}/mandates"><fieldset><legend>Register a mandate</legend>
<label for="role">Role</label><select id="role" name="role"><option value="LEGAL_REPRESENTATIVE">Legal representative</option><option value="CERTIFICATE_MANAGER">Certificate manager</option></select>
<label for="organisationType">Organisation identifier type</label><input type="text" id="organisationType" name="organisationType" required>
<label for="organisationId">Organisation identifier</label><input type="text" id="organisationId" name="organisationId" required>
<label for="organisationName">Organisation name (legal representatives)</label><input type="text" id="organisationName" name="organisationName">
<label for="holderSsin">Holder SSIN</label><input type="text" id="holderSsin" name="holderSsin" required>
<label for="designatedBySsin">Designated by (legal representative's SSIN, certificate managers)</label><input type="text" id="designatedBySsin" name="designatedBySsin">
<label for="evidence">Evidence reference</label><input type="text" id="evidence" name="evidence" required><button type="submit">Register</button></fieldset></form>`
    : ''
}`,
    );
  });
  post(
    '/mandates',
    'officer',
    async (request, officer) => {
      const f = form(request);
      const organisation = { type: f.organisationType ?? '', value: f.organisationId ?? '' };
      const m =
        f.role === 'CERTIFICATE_MANAGER'
          ? await registerCertificateManager(
              certRa,
              { organisation, holderSsin: f.holderSsin ?? '', designatedBySsin: f.designatedBySsin ?? '', evidence: f.evidence ?? '' },
              officer.identity,
            )
          : await registerLegalRepresentative(
              certRa,
              { organisation, organisationName: f.organisationName ?? '', holderSsin: f.holderSsin ?? '', evidence: f.evidence ?? '' },
              officer.identity,
            );
      return { to: '/mandates', done: `Mandate #${m.id} registered` };
    },
    () => '/mandates',
  );
  post(
    '/mandates/:id/withdraw',
    'officer',
    async (request, officer) => {
      await withdrawMandate(certRa, actionId(request), form(request).reason ?? '', officer.identity);
      return { to: '/mandates', done: `Mandate #${param(request, 'id')} withdrawn` };
    },
    () => '/mandates',
  );

  get('/test-cases', async (request) => {
    const cases = (await listTestCases(certRa, false)).map(testCaseView);
    const officer = roleCovers(officerOf(request).role, 'officer');
    return page(
      request,
      'Acceptance test cases',
      '/test-cases',
      html`<table><thead><tr><th scope="col">#</th><th scope="col">Identifier</th><th scope="col">Responsible</th><th scope="col">Description</th><th scope="col">Registered</th><th scope="col"></th></tr></thead><tbody>${cases.map(
        (
          t,
        ) => html`<tr><td>${t.id}</td><td>${t.identifierType} ${t.identifierValue}</td><td>SSIN ${t.responsibleSsin}</td><td>${t.description}</td><td>${when(t.registeredAt)} by ${t.registeredBy}</td>
<td>${officer ? html`<form class="inline" method="post" action="${CONSOLE_PREFIX}/test-cases/${t.id}/remove"><button type="submit" class="secondary">Remove</button></form>` : ''}</td></tr>`,
      )}</tbody></table>
${
  officer
    ? html`<form method="post" action="${CONSOLE_PREFIX}/test-cases"><fieldset><legend>Register a test case</legend>
<label for="identifierType">Identifier type</label><input type="text" id="identifierType" name="identifierType" required>
<label for="identifierValue">Identifier</label><input type="text" id="identifierValue" name="identifierValue" required>
<label for="responsibleSsin">Responsible SSIN</label><input type="text" id="responsibleSsin" name="responsibleSsin" required>
<label for="description">Description</label><input type="text" id="description" name="description"><button type="submit">Register</button></fieldset></form>`
    : ''
}`,
    );
  });
  post(
    '/test-cases',
    'officer',
    async (request, officer) => {
      const f = form(request);
      const t = await registerTestCase(
        certRa,
        {
          identifier: { type: f.identifierType ?? '', value: f.identifierValue ?? '' },
          responsibleSsin: f.responsibleSsin ?? '',
          description: f.description ?? '',
        },
        officer.identity,
      );
      return { to: '/test-cases', done: `Test case #${t.id} registered` };
    },
    () => '/test-cases',
  );
  post(
    '/test-cases/:id/remove',
    'officer',
    async (request, officer) => {
      await removeTestCase(certRa, actionId(request), officer.identity);
      return { to: '/test-cases', done: `Test case #${param(request, 'id')} removed` };
    },
    () => '/test-cases',
  );

  get('/audit', async (request) => {
    const q = request.query as Record<string, string | undefined>;
    const records = await admin.listAudit({ subject: q.subject || undefined, action: q.action || undefined, actor: q.actor || undefined, limit: 500 });
    const field = (name: string, label: string) =>
      html`<label for="${name}">${label}</label><input type="search" id="${name}" name="${name}" value="${q[name] ?? ''}">`;
    return page(
      request,
      'Audit log',
      '/audit',
      html`<form method="get" action="${CONSOLE_PREFIX}/audit" role="search"><fieldset><legend>Filter</legend>${field('subject', 'Subject (public key identifier, serial, SSIN…)')}${field('action', 'Action (prefix*)')}${field('actor', 'Actor')}<button type="submit">Filter</button></fieldset></form>
<p><a href="/admin/v1/audit?format=ndjson${q.subject ? `&subject=${encodeURIComponent(q.subject)}` : ''}">Export (NDJSON)</a></p>${auditTable(records)}`,
    );
  });
}

/** The form comes from the console itself: Origin is this listener, or the browser says same-origin. */
function sameOrigin(request: FastifyRequest): boolean {
  const fetchSite = request.headers['sec-fetch-site'];
  if (fetchSite !== undefined) return fetchSite === 'same-origin';
  const origin = request.headers.origin;
  return origin !== undefined && origin === `https://${request.headers.host ?? ''}`;
}
