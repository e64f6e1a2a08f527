import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { metricsAccessCheck } from '../../src/app.js';
import { projectRoot } from '../../src/project-paths.js';
import { getEtkEnvelope, mintHolder, register, revokeHolder, testSsin } from '../support/etk-client.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

/**
 * What ops read on /metrics (issue #15, observability): every HTTP answer by route and status, SOAP statuses inside
 * the answers, and the operations gauges (queue, certificates, CRL nextUpdate, certificate expiry); /metrics behind
 * METRICS_TOKEN.
 */
describe('/metrics', () => {
  let t: TestPlatform;
  const TOKEN = 'metrics-token-for-the-test-0123';

  beforeAll(async () => {
    t = await startTestPlatform({ METRICS_TOKEN: TOKEN });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  const scrape = async () => {
    const response = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.statusCode).toBe(200);
    return response.body;
  };
  const value = (text: string, series: string): number | undefined => {
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  it('is served only to the bearer of METRICS_TOKEN; without it, in production, to nobody', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token-of-some-length', `Basic ${TOKEN}`]) {
      const response = await t.app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="metrics"');
      expect(response.json()).toMatchObject({ status: 401, code: 'AUTHENTICATION_REQUIRED' });
      expect(response.body).not.toContain('ehealth_');
    }
    expect(metricsAccessCheck({ metricsToken: undefined, environment: 'production' })(undefined)).toMatchObject({ status: 403 });
    expect(metricsAccessCheck({ metricsToken: undefined, environment: 'acceptance' })(undefined)).toBeUndefined();
  });

  it('counts every HTTP answer by route pattern and status: REST, WSDL, CRL, OCSP, health, unknown paths', async () => {
    const ssin = testSsin(631);
    await t.app.inject({ method: 'GET', url: `/etee/v1/etks?identifier=${ssin}&type=SSIN` });
    await t.app.inject({ method: 'GET', url: '/etee/v1/etks?type=PASSPORT&identifier=1' });
    await t.app.inject({ method: 'GET', url: '/CertRa/v2?wsdl' });
    await t.app.inject({ method: 'GET', url: '/crl/issuing-ca.crl' });
    await t.app.inject({ method: 'POST', url: '/ocsp', payload: Buffer.from('not an OCSP request'), headers: { 'content-type': 'application/ocsp-request' } });
    await t.app.inject({ method: 'GET', url: '/health' });
    await t.app.inject({ method: 'GET', url: '/no/such/path' });
    const text = await scrape();
    for (const series of [
      'ehealth_http_requests_total{method="GET",route="/etee/v1/etks",status="404"}',
      'ehealth_http_requests_total{method="GET",route="/etee/v1/etks",status="400"}',
      'ehealth_http_requests_total{method="GET",route="/CertRa/v2",status="200"}',
      'ehealth_http_requests_total{method="GET",route="/crl/issuing-ca.crl",status="200"}',
      'ehealth_http_requests_total{method="GET",route="/health",status="200"}',
      'ehealth_http_requests_total{method="GET",route="(unmatched)",status="404"}',
    ]) {
      expect({ series, value: value(text, series) }).toEqual({ series, value: expect.any(Number) });
      expect(value(text, series)).toBeGreaterThanOrEqual(1);
    }
    expect(text).toMatch(/^ehealth_http_requests_total\{method="POST",route="\/ocsp",status="\d{3}"\} [1-9]/m);
    expect(text).toContain('ehealth_http_request_duration_seconds_bucket{le="0.001",method="GET",route="/health"}');
  });

  it('tells the statuses inside SOAP answers apart: a GetEtk that finds nothing is not a success', async () => {
    await t.soap('/EtkDepot/v1', getEtkEnvelope([{ type: 'SSIN', value: testSsin(632) }]));
    const text = await scrape();
    expect(text).toMatch(/^ehealth_soap_calls_total\{service="\/EtkDepot\/v1",operation="GetEtk",outcome="ok",code="404"\} [1-9]/m);
    // A CertRA answer carries a v2 status: its last segment is the label.
    await t.soap(
      '/CertRa/v2',
      `<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body><ns3:GetGenericOrganizationTypesRequest xmlns="urn:be:fgov:ehealth:commons:core:v2" xmlns:ns3="urn:be:fgov:ehealth:certra:protocol:v2" Id="_1" IssueInstant="${new Date().toISOString()}"/></SOAP-ENV:Body></SOAP-ENV:Envelope>`,
    );
    expect(await scrape()).toMatch(
      /^ehealth_soap_calls_total\{service="\/CertRa\/v2",operation="getGenericOrganizationTypes",outcome="ok",code="Success"\} [1-9]/m,
    );
  });

  it("gauges what the registry holds: certificates issued and revoked, the officers' queue, CRL nextUpdate, expiry of our certificates", async () => {
    const before = await scrape();
    const issued = value(before, 'ehealth_certificates{status="issued"}')!;
    const revoked = value(before, 'ehealth_certificates{status="revoked"}')!;
    const holder = await mintHolder(t, { type: 'SSIN', id: testSsin(633), name: 'Gauge Holder' });
    await register(t, holder);
    await revokeHolder(t, holder);
    await t.app.inject({ method: 'GET', url: '/crl/issuing-ca.crl' });
    // The gauges read the database at most once a second.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const after = await scrape();
    expect(value(after, 'ehealth_certificates{status="issued"}')).toBe(issued + 1);
    expect(value(after, 'ehealth_certificates{status="revoked"}')).toBe(revoked + 1);
    expect(value(after, 'ehealth_certra_requests_pending')).toEqual(expect.any(Number));
    const nextUpdate = value(after, 'ehealth_crl_next_update_timestamp_seconds{ca="issuing"}')!;
    expect(nextUpdate * 1000).toBeGreaterThan(t.clock.now().getTime());
    const { ca } = t.platform.services;
    expect(value(after, 'ehealth_certificate_expiry_timestamp_seconds{certificate="issuing CA"}')).toBe(ca.issuing.fields.notAfter.getTime() / 1000);
    expect(value(after, 'ehealth_certificate_expiry_timestamp_seconds{certificate="root CA"}')).toBe(ca.root.fields.notAfter.getTime() / 1000);
    expect(value(after, 'ehealth_certificate_expiry_timestamp_seconds{certificate="KGSS"}')).toEqual(expect.any(Number));
    expect(value(after, 'ehealth_certificate_expiry_timestamp_seconds{certificate="OCSP responder (issuing CA)"}')).toEqual(expect.any(Number));
  });

  it("feeds every series the Grafana dashboard in docs/ plots (the standby's only with DATABASE_READ_URL)", async () => {
    const dashboard = readFileSync(join(projectRoot(), 'docs', 'grafana-dashboard.json'), 'utf8');
    const names = new Set([...dashboard.matchAll(/\b(ehealth_[a-z_]+)/g)].map((match) => match[1]!.replace(/_(bucket|sum|count)$/, '')));
    expect(names.size).toBeGreaterThan(10);
    const text = await scrape();
    for (const name of names) {
      if (name.startsWith('ehealth_replica_')) continue;
      expect({ name, served: text.includes(`# HELP ${name} `) }).toEqual({ name, served: true });
    }
  });
});
