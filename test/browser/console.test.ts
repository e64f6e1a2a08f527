import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/project-paths.js';
import { runTypeScript } from '../support/admin-cli.js';
import { adminRequest, developmentOfficer } from '../support/admin-client.js';
import { submitForeignerOverHttp } from '../support/certra-client.js';
import { startServerProcess, type ServerProcess } from '../support/etk-server-process.js';

/**
 * The officer console in a real browser (npm run test:browser, in .ci/run): a server on PGlite, a foreigner's request
 * waiting, and console-walkthrough.ts driving Debian's Chromium through approval, search, revocation and the audit
 * trail. No browser is downloaded: a missing Chromium fails the suite. Screenshots: artifacts/console/.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOT_DIR ?? join(projectRoot(), 'artifacts', 'console');
const BIS = '85473003515';

describe('officer console in Chromium', () => {
  let root: string;
  let server: ServerProcess | undefined;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'console-'));
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('an officer approves a waiting request, finds the certificate, revokes it and sees the audit entry', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
    const dataDir = join(root, 'data');
    server = await startServerProcess({ DATA_DIR: dataDir }, 120_000);
    const pki = await submitForeignerOverHttp(server.baseUrl, BIS);

    rmSync(SCREENSHOTS, { recursive: true, force: true });
    const officerDir = join(dataDir, 'admin', 'officer');
    const result = await runWalkthrough({
      ADMIN_URL: server.adminBaseUrl!,
      LISTENER_CERT: join(dataDir, 'admin', 'listener.cert.pem'),
      OFFICER_CERT: join(officerDir, 'officer.cert.pem'),
      OFFICER_KEY: join(officerDir, 'officer.key.pem'),
      REQUEST_PKI: pki,
      HOLDER_SSIN: BIS,
      SCREENSHOT_DIR: SCREENSHOTS,
      CHROMIUM,
      // The listener's certificate is verified against our CA chain, not waved through.
      NODE_EXTRA_CA_CERTS: join(dataDir, 'admin', 'ca-chain.pem'),
    });
    const { serial, screenshots } = JSON.parse(result.trim().split('\n').at(-1)!) as { serial: string; screenshots: number };
    expect(readdirSync(SCREENSHOTS).filter((f) => f.endsWith('.png'))).toHaveLength(screenshots);
    expect(screenshots).toBeGreaterThanOrEqual(10);

    // What the browser did is what the platform recorded.
    const officer = developmentOfficer(dataDir);
    const certificate = await adminRequest(server.adminBaseUrl!, officer, 'GET', `/admin/v1/certificates/${serial}`);
    expect(certificate.json.certificate).toMatchObject({ status: 'revoked', revocationReason: 'keyCompromise', publicKeyIdentifier: pki });
    const request = await adminRequest(server.adminBaseUrl!, officer, 'GET', `/admin/v1/requests/${pki}`);
    expect(request.json.request.decisionNote).toBe('identity: passport P1234567 seen at the Brussels office; approved in the console');
    const refused = await adminRequest(server.adminBaseUrl!, officer, 'GET', '/admin/v1/audit?action=admin.access.refused');
    expect(refused.json.some((r: { actor: string }) => r.actor === 'anonymous TLS client')).toBe(true);

    // A restart keeps what the officer did in the browser.
    await server.stop();
    server = await startServerProcess({ DATA_DIR: dataDir }, 120_000);
    const after = await adminRequest(server.adminBaseUrl!, officer, 'GET', `/admin/v1/certificates/${serial}`);
    expect(after.json.certificate.status).toBe('revoked');
    const mandates = await adminRequest(server.adminBaseUrl!, officer, 'GET', '/admin/v1/mandates?all=true');
    expect(mandates.json).toMatchObject([{ organisationName: 'HOPITAL DU TEST', withdrawalReason: 'no longer the legal representative' }]);
    expect(mandates.json[0].withdrawnBy).toMatch(/^CN=Development officer/);
  }, 300_000);
});

async function runWalkthrough(env: Record<string, string>): Promise<string> {
  const result = await runTypeScript(join('test', 'browser', 'console-walkthrough.ts'), [], env);
  if (result.code !== 0) throw new Error(`the browser walkthrough failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}
