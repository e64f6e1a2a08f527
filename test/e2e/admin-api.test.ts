import { execFile } from 'node:child_process';
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BasicOCSPResponse, OCSPResponse } from '@peculiar/asn1-ocsp';
import { AsnConvert } from '@peculiar/asn1-schema';
import { publicKeyIdentifier, toPem } from '../../src/ca/x509/index.js';
import { formatKeyId } from '../../src/domain/key-id.js';
import { ADMIN_ROUTES } from '../../src/frontend/admin/api-routes.js';
import { adminRequest, developmentOfficer, type Json, type OfficerCredentialFiles } from '../support/admin-client.js';
import { CertRaClient, csrFor, rsaKey } from '../support/certra-client.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

/**
 * The admin listener over real TLS: officer client certificates, roles, audited refusals, the request queue, officer
 * revocation (CRL at once), four-eyes control, mandates and test cases, and the OpenAPI document.
 */

/** A BIS number (month + 40) born in 1985, with its check digits: one per request, so that none waits on another's DN. */
let bisSequence = 300;
function nextBis(): string {
  const first9 = `854730${String(bisSequence++).padStart(3, '0')}`;
  return `${first9}${String(97 - (Number(first9) % 97)).padStart(2, '0')}`;
}

interface Listener {
  t: TestPlatform;
  baseUrl: string;
  admin: OfficerCredentialFiles;
  close(): Promise<void>;
}

async function startListener(env: Record<string, string> = {}): Promise<Listener> {
  const t = await startTestPlatform({ ADMIN_PORT: '0', ...env });
  const adminApp = t.platform.adminApp!;
  await adminApp.listen({ port: 0, host: '127.0.0.1' });
  const address = adminApp.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { t, baseUrl: `https://127.0.0.1:${port}`, admin: developmentOfficer(t.dataDir), close: () => t.close() };
}

/** An OCSP request for the certificate, made by `openssl ocsp` (an independent client). */
async function openSslOcspRequest(certificatePem: string, issuerDer: Buffer): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'admin-ocsp-'));
  try {
    writeFileSync(join(dir, 'leaf.pem'), certificatePem);
    writeFileSync(join(dir, 'issuer.pem'), toPem(issuerDer, 'CERTIFICATE'));
    await promisify(execFile)('openssl', [
      'ocsp',
      '-issuer',
      join(dir, 'issuer.pem'),
      '-cert',
      join(dir, 'leaf.pem'),
      '-no_nonce',
      '-reqout',
      join(dir, 'req.der'),
    ]);
    return readFileSync(join(dir, 'req.der'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function ocspStatus(der: Buffer): 'good' | 'revoked' | 'unknown' {
  const response = AsnConvert.parse(der, OCSPResponse);
  expect(response.responseStatus).toBe(0);
  const single = AsnConvert.parse(response.responseBytes!.response.buffer, BasicOCSPResponse).tbsResponseData.responses[0]!.certStatus;
  return single.revoked ? 'revoked' : single.unknown === null ? 'unknown' : 'good';
}

const pkiOf = (key: KeyObject) => formatKeyId(publicKeyIdentifier(createPublicKey(key).export({ type: 'spki', format: 'der' })));

/** A foreigner's request waiting for an officer (the identity check cannot be automatic). */
async function waitingForeignerRequest(t: TestPlatform): Promise<{ pki: string; bis: string }> {
  const key = rsaKey();
  const bis = nextBis();
  const response = await new CertRaClient(t).submitCsrForForeigner({
    person: { ids: [{ type: 'SSIN', value: bis }], firstNames: ['José'], name: 'Müller' },
    csr: csrFor(`CN=SSIN\\=${bis},OU=eHealth-platform Belgium,OU=MULLER JOSE,OU=SSIN\\=${bis},O=Federal Government,C=BE`, key),
  });
  expect(response.outcome).toBe('Success');
  return { pki: pkiOf(key), bis };
}

async function issueOfficer(l: Listener, name: string, role: string): Promise<OfficerCredentialFiles> {
  const created = await adminRequest(l.baseUrl, l.admin, 'POST', '/admin/v1/officers', { name, role });
  expect(created.status).toBe(201);
  expect(created.json.officer.role).toBe(role);
  return { certificatePem: created.json.certificatePem, privateKeyPem: created.json.privateKeyPem, chainPem: created.json.chainPem };
}

async function auditRecords(l: Listener, query: string): Promise<Json[]> {
  const response = await adminRequest(l.baseUrl, l.admin, 'GET', `/admin/v1/audit?${query}`);
  expect(response.status).toBe(200);
  return response.json;
}

describe('admin API', () => {
  let l: Listener;

  beforeAll(async () => {
    l = await startListener();
  });
  afterAll(async () => {
    await l.close();
  });

  it('serves its OpenAPI document with every route of the table', async () => {
    const response = await adminRequest(l.baseUrl, { chainPem: l.admin.chainPem }, 'GET', '/admin/v1/openapi.json');
    expect(response.status).toBe(200);
    for (const route of ADMIN_ROUTES) {
      const path = `/admin/v1${route.path}`.replace(/:([A-Za-z]+)/g, '{$1}');
      expect(response.json.paths[path][route.method.toLowerCase()]['x-required-role']).toBe(route.role);
    }
  });

  it('shows the dashboard: queue, issuance, CRLs and the expiry of every signing certificate', async () => {
    const dashboard = await adminRequest(l.baseUrl, l.admin, 'GET', '/admin/v1/dashboard');
    expect(dashboard.status).toBe(200);
    expect(dashboard.json.signers.map((s: Json) => s.name)).toEqual(
      expect.arrayContaining(['root CA', 'issuing CA', 'ETK-RA signer', 'trusted-list signer', 'KGSS', 'OCSP responder (issuing CA)']),
    );
    expect(dashboard.json.issuedCertificates).toBeGreaterThan(0);
    expect(dashboard.json.issuedPerDay.at(-1).issued).toBeGreaterThan(0);
  });

  it('authenticates the development officer by certificate, with its role', async () => {
    const me = await adminRequest(l.baseUrl, l.admin, 'GET', '/admin/v1/me');
    expect(me.status).toBe(200);
    expect(me.json.role).toBe('admin');
    expect(me.json.subject).toBe('CN=Development officer,OU=RA officers,O=eHealth certificate platform,C=BE');
    expect(me.json.certificateSerial).toBe(new X509Certificate(l.admin.certificatePem).serialNumber.toLowerCase().replace(/^0+/, ''));
  });

  it('refuses, with 403 and an audit record, a client without a certificate, with an unregistered one, or a removed officer', async () => {
    const anonymous = await adminRequest(l.baseUrl, { chainPem: l.admin.chainPem }, 'GET', '/admin/v1/requests');
    expect(anonymous.status).toBe(403);
    expect(anonymous.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(anonymous.json).toMatchObject({ status: 403, code: 'FORBIDDEN', detail: 'no client certificate' });
    expect(anonymous.json.requestId).toBe(anonymous.headers['x-request-id']);

    // A certificate from a CA the listener does not trust for officers (the development eID citizen CA).
    const identity = await adminRequest(l.baseUrl, l.admin, 'POST', '/admin/v1/dev/identities', { ssin: '85073003328' });
    expect(identity.status).toBe(201);
    const citizen = {
      chainPem: l.admin.chainPem,
      certificatePem: identity.json.authentication.certificatePem,
      privateKeyPem: identity.json.authentication.privateKeyPem,
    };
    const stranger = await adminRequest(l.baseUrl, citizen, 'GET', '/admin/v1/requests');
    expect(stranger.status).toBe(403);

    const leaving = await issueOfficer(l, 'Leaving Officer', 'officer');
    expect((await adminRequest(l.baseUrl, leaving, 'GET', '/admin/v1/me')).status).toBe(200);
    const officers = await adminRequest(l.baseUrl, l.admin, 'GET', '/admin/v1/officers');
    const id = officers.json.find((o: Json) => o.subjectDn.startsWith('CN=Leaving Officer')).id;
    expect((await adminRequest(l.baseUrl, l.admin, 'DELETE', `/admin/v1/officers/${id}`)).status).toBe(200);
    const removed = await adminRequest(l.baseUrl, leaving, 'GET', '/admin/v1/me');
    expect(removed.status).toBe(403);

    const refusals = await auditRecords(l, 'action=admin.access.refused');
    expect(refusals.map((r) => [r.actor, r.details.reason, r.details.requestId])).toEqual(
      expect.arrayContaining([
        ['anonymous TLS client', 'no client certificate', anonymous.json.requestId],
        ['untrusted certificate: Test Citizen (Authentication)', expect.stringMatching(/^the client certificate is not trusted/), stranger.json.requestId],
        [expect.stringContaining('CN=Leaving Officer'), 'this certificate is not registered as an officer', removed.json.requestId],
      ]),
    );
  });

  it('lets an auditor read but not decide (403, audited), and changes nothing', async () => {
    const auditor = await issueOfficer(l, 'Audrey Auditor', 'auditor');
    const { pki } = await waitingForeignerRequest(l.t);
    const queue = await adminRequest(l.baseUrl, auditor, 'GET', '/admin/v1/requests');
    expect(queue.status).toBe(200);
    expect(queue.json.map((r: Json) => r.publicKeyIdentifier)).toContain(pki);
    const approve = await adminRequest(l.baseUrl, auditor, 'POST', `/admin/v1/requests/${pki}/approve`, { identityEvidence: 'passport' });
    expect(approve.status).toBe(403);
    expect(approve.json.detail).toBe('the auditor role cannot do this (needs officer)');
    const still = await adminRequest(l.baseUrl, auditor, 'GET', `/admin/v1/requests/${pki}`);
    expect(still.json.request.status).toBe('PENDING');
    const refused = await auditRecords(l, 'action=admin.access.refused');
    expect(refused.some((r) => r.actor.startsWith('CN=Audrey Auditor') && r.subject === 'POST /admin/v1/requests/:publicKeyIdentifier/approve')).toBe(true);
    // Officers are the admin's business.
    expect((await adminRequest(l.baseUrl, auditor, 'GET', '/admin/v1/officers')).status).toBe(403);
  });

  it('approves a foreigner request with evidence, finds the certificate, revokes it: the CRL lists it at once', async () => {
    const officer = await issueOfficer(l, 'Olivia Officer', 'officer');
    const serialOfOfficer = new X509Certificate(officer.certificatePem).serialNumber.toLowerCase().replace(/^0+/, '');
    const { pki, bis } = await waitingForeignerRequest(l.t);

    const withoutEvidence = await adminRequest(l.baseUrl, officer, 'POST', `/admin/v1/requests/${pki}/approve`, {});
    expect(withoutEvidence.status).toBe(400);
    expect(withoutEvidence.json.code).toBe('INVALID_REQUEST');
    const malformed = await adminRequest(l.baseUrl, officer, 'POST', `/admin/v1/requests/${pki}/approve`, { unexpected: 1 });
    expect(malformed.status).toBe(400);

    const approved = await adminRequest(l.baseUrl, officer, 'POST', `/admin/v1/requests/${pki}/approve`, {
      identityEvidence: 'passport P1234567 seen in Brussels',
    });
    expect(approved.status).toBe(200);
    expect(approved.json.status).toBe('ISSUED');
    expect(approved.json.decidedBy).toContain('CN=Olivia Officer');

    const found = await adminRequest(l.baseUrl, officer, 'GET', `/admin/v1/certificates?ssin=${bis}&status=valid`);
    expect(found.status).toBe(200);
    expect(found.json).toHaveLength(1);
    const serial = found.json[0].serialHex;
    const detail = await adminRequest(l.baseUrl, officer, 'GET', `/admin/v1/certificates/${serial}`);
    expect(detail.json.certificate.publicKeyIdentifier).toBe(pki);
    expect(detail.json.history.map((r: Json) => r.action)).toEqual(expect.arrayContaining(['certificate.sign.intent', 'certra.request.approved']));

    // OCSP has answered (and cached) "good" before the revocation.
    const ocspRequest = await openSslOcspRequest(detail.json.certificatePem, l.t.platform.services.ca.issuing.cert);
    const ocsp = async () =>
      ocspStatus(
        (await l.t.app.inject({ method: 'POST', url: '/ocsp', payload: ocspRequest, headers: { 'content-type': 'application/ocsp-request' } })).rawPayload,
      );
    expect(await ocsp()).toBe('good');

    const future = await adminRequest(l.baseUrl, officer, 'POST', `/admin/v1/certificates/${serial}/revoke`, {
      reason: 'keyCompromise',
      note: 'form 2026-17',
      revokedAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(future.status).toBe(400);
    expect(future.json.detail).toBe('the revocation date cannot be in the future');
    const revoked = await adminRequest(l.baseUrl, officer, 'POST', `/admin/v1/certificates/${serial}/revoke`, {
      reason: 'keyCompromise',
      note: 'revocation form 2026-17',
    });
    expect(revoked.status).toBe(200);
    expect(revoked.json.status).toBe('revoked');
    const again = await adminRequest(l.baseUrl, officer, 'POST', `/admin/v1/certificates/${serial}/revoke`, { reason: 'keyCompromise', note: 'twice' });
    expect(again.status).toBe(409);
    expect(again.json.code).toBe('NOT_REVOCABLE');

    expect(await ocsp()).toBe('revoked');
    const crl = await l.t.app.inject({ method: 'GET', url: '/crl/issuing-ca.crl' });
    const { X509Crl } = await import('@peculiar/x509');
    const entries = new X509Crl(crl.rawPayload).entries.map((e) => e.serialNumber.toLowerCase().replace(/^0+/, ''));
    expect(entries).toContain(serial);

    const revocation = (await auditRecords(l, `action=admin.certificate.revoked&subject=${serial}`))[0];
    expect(revocation.actor).toContain('CN=Olivia Officer');
    expect(revocation.actorSerial).toBe(serialOfOfficer);
    expect(revocation.details.evidence).toBe('revocation form 2026-17');
    expect(revocation.details.before.status).toBe('valid');
    expect(revocation.details.after.status).toBe('revoked');
    // The request's audit trail names the officer's decision and the CA's signature.
    const trail = (await adminRequest(l.baseUrl, officer, 'GET', `/admin/v1/requests/${pki}`)).json.history.map((r: Json) => r.action);
    expect(trail).toEqual(expect.arrayContaining(['certra.request.submitted', 'certra.request.approved']));
  });

  it('edits mandates and test cases, each change audited with the officer', async () => {
    const officer = await issueOfficer(l, 'Marc Mandates', 'officer');
    const lr = await adminRequest(l.baseUrl, officer, 'POST', '/admin/v1/mandates', {
      organisationType: 'NIHII-HOSPITAL',
      organisationId: '71089815',
      organisationName: 'Hôpital Test',
      role: 'LEGAL_REPRESENTATIVE',
      holderSsin: '85073003328',
      evidence: 'statutes MB 2024-01-01',
    });
    expect(lr.status).toBe(201);
    const withdrawn = await adminRequest(l.baseUrl, officer, 'POST', `/admin/v1/mandates/${lr.json.id}/withdraw`, { reason: 'resigned' });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.json.withdrawnBy).toContain('CN=Marc Mandates');
    const list = await adminRequest(l.baseUrl, officer, 'GET', '/admin/v1/mandates?all=true');
    expect(list.json.find((m: Json) => m.id === lr.json.id).withdrawalReason).toBe('resigned');

    const testCase = await adminRequest(l.baseUrl, officer, 'POST', '/admin/v1/test-cases', {
      identifierType: 'SSIN',
      identifierValue: '85073003328',
      responsibleSsin: '85073003328',
      description: 'lifecycle tests',
    });
    expect(testCase.status).toBe(201);
    expect((await adminRequest(l.baseUrl, officer, 'DELETE', `/admin/v1/test-cases/${testCase.json.id}`)).status).toBe(204);
    const records = await auditRecords(l, 'action=certra.*');
    const mine = records.filter((r) => r.actor.startsWith('CN=Marc Mandates')).map((r) => r.action);
    expect(mine).toEqual(['certra.mandate.registered', 'certra.mandate.withdrawn', 'certra.test-case.registered', 'certra.test-case.removed']);
  });

  it('shows the settings to admins only, without secrets, and counts its requests in /metrics', async () => {
    const settings = await adminRequest(l.baseUrl, l.admin, 'GET', '/admin/v1/settings');
    expect(settings.status).toBe(200);
    expect(settings.json).toMatchObject({ environment: 'acceptance', admin: { dualControl: false }, metricsToken: 'not set' });
    const officer = await issueOfficer(l, 'Sam Settings', 'officer');
    expect((await adminRequest(l.baseUrl, officer, 'GET', '/admin/v1/settings')).status).toBe(403);
    const metrics = await l.t.platform.services.metricsRegistry.getSingleMetricAsString('ehealth_admin_http_requests_total');
    expect(metrics).toMatch(/ehealth_admin_http_requests_total\{method="GET",route="\/admin\/v1\/settings",status="403"\} 1/);
    expect(metrics).toMatch(/ehealth_admin_http_requests_total\{method="GET",route="\/admin\/v1\/settings",status="200"\} 1/);
  });

  it('re-issues the CRLs on demand and exports the audit log as NDJSON', async () => {
    const crl = await adminRequest(l.baseUrl, l.admin, 'POST', '/admin/v1/crl');
    expect(crl.status).toBe(200);
    expect(crl.json.crls.map((c: Json) => c.ca)).toContain('issuing');
    const exported = await adminRequest(l.baseUrl, l.admin, 'GET', '/admin/v1/audit?format=ndjson&action=admin.crl.reissued');
    expect(exported.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = exported.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.at(-1).action).toBe('admin.crl.reissued');
    const verification = await adminRequest(l.baseUrl, l.admin, 'GET', '/admin/v1/audit/verification');
    expect(verification.json.ok).toBe(true);
  });
});

describe('admin API with four-eyes control (ADMIN_DUAL_CONTROL)', () => {
  let l: Listener;

  beforeAll(async () => {
    l = await startListener({ ADMIN_DUAL_CONTROL: 'true' });
  });
  afterAll(async () => {
    await l.close();
  });

  it('a revocation waits for a second officer; the first cannot confirm it', async () => {
    const first = await issueOfficer(l, 'First Officer', 'officer');
    const second = await issueOfficer(l, 'Second Officer', 'officer');
    const { pki, bis } = await waitingForeignerRequest(l.t);
    const asked = await adminRequest(l.baseUrl, first, 'POST', `/admin/v1/requests/${pki}/approve`, { identityEvidence: 'identity card seen' });
    expect(asked.status).toBe(202);
    const actionId = asked.json.pending.id;
    expect((await adminRequest(l.baseUrl, first, 'GET', `/admin/v1/requests/${pki}`)).json.request.status).toBe('PENDING');
    const self = await adminRequest(l.baseUrl, first, 'POST', `/admin/v1/actions/${actionId}/confirm`);
    expect(self.status).toBe(403);
    expect(self.json.code).toBe('NOT_AUTHORIZED');
    const confirmed = await adminRequest(l.baseUrl, second, 'POST', `/admin/v1/actions/${actionId}/confirm`);
    expect(confirmed.status).toBe(200);
    expect(confirmed.json.result.status).toBe('ISSUED');
    expect(confirmed.json.result.decidedBy).toMatch(/CN=First Officer.*confirmed by CN=Second Officer/);

    const serial = (await adminRequest(l.baseUrl, first, 'GET', `/admin/v1/certificates?ssin=${bis}`)).json[0].serialHex;
    const revocation = await adminRequest(l.baseUrl, first, 'POST', `/admin/v1/certificates/${serial}/revoke`, {
      reason: 'affiliationChanged',
      note: 'left the hospital',
    });
    expect(revocation.status).toBe(202);
    expect((await adminRequest(l.baseUrl, first, 'GET', `/admin/v1/certificates/${serial}`)).json.certificate.status).toBe('valid');
    const twice = await adminRequest(l.baseUrl, second, 'POST', `/admin/v1/certificates/${serial}/revoke`, { reason: 'affiliationChanged', note: 'again' });
    expect(twice.status).toBe(409);
    const open = await adminRequest(l.baseUrl, second, 'GET', '/admin/v1/actions');
    expect(open.json.map((a: Json) => a.id)).toEqual([revocation.json.pending.id]);
    const done = await adminRequest(l.baseUrl, second, 'POST', `/admin/v1/actions/${revocation.json.pending.id}/confirm`);
    expect(done.status).toBe(200);
    expect(done.json.result.status).toBe('revoked');
    const record = (await auditRecords(l, `action=admin.certificate.revoked&subject=${serial}`))[0];
    expect(record.actor).toContain('CN=Second Officer');
    expect(record.details.requestedBy.subject).toContain('CN=First Officer');
  });
});
