import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAdminCli, type CliResult } from '../support/admin-cli.js';
import { submitForeignerOverHttp } from '../support/certra-client.js';
import { startServerProcess, type ServerProcess } from '../support/etk-server-process.js';

/**
 * The CLI on the admin API of a running server (PGlite, the default): an officer approves, revokes and edits mandates
 * through it while the embedded database is locked by the server; an auditor's write is refused; everything survives a
 * restart; offline verification of the audit chain afterwards sees the officers' records.
 */

const BIS = '85473003515';

describe('admin CLI through the admin API of a running server', () => {
  let root: string;
  let dataDir: string;
  let server: ServerProcess | undefined;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'admin-cli-api-'));
    dataDir = join(root, 'data');
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  const officerFiles = () => {
    const dir = join(dataDir, 'admin', 'officer');
    return ['--cert', join(dir, 'officer.cert.pem'), '--key', join(dir, 'officer.key.pem'), '--ca', join(dir, 'ca-chain.pem')];
  };
  const viaApi = (args: readonly string[], credential = officerFiles()): Promise<CliResult> =>
    runAdminCli(dataDir, ['--url', server!.adminBaseUrl!, ...credential, ...args], 'not-used');
  const expectOk = (result: CliResult) => {
    if (result.code !== 0) throw new Error(`exit ${result.code}\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
  };

  it('approves, revokes and edits mandates through the API while the server holds the database; all survives a restart', async () => {
    server = await startServerProcess({ DATA_DIR: dataDir }, 120_000);
    expect(server.adminBaseUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

    // The embedded database is the server's: the direct mode says so.
    const direct = await runAdminCli(dataDir, ['certra:requests:list'], 'officer.local');
    expect(direct.code).toBe(1);
    expect(direct.stderr).toMatch(/the service is running on this data directory/);

    // A foreigner's request arrives over SOAP.
    const pki = await submitForeignerOverHttp(server.baseUrl, BIS);

    const queue = JSON.parse(expectOk(await viaApi(['certra:requests:list', '--json']))) as Array<{ publicKeyIdentifier: string; status: string }>;
    expect(queue.map((r) => r.publicKeyIdentifier)).toEqual([pki]);

    const refused = await viaApi(['certra:requests:approve', '--pki', pki]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: INVALID_REQUEST: a foreigner request is approved only with the identity evidence .*\(request id [0-9a-f-]{36}\)/m);
    expect(expectOk(await viaApi(['certra:requests:approve', '--pki', pki, '--identity-evidence', 'passport P1234 seen']))).toMatch(/^approved and issued: /);

    const found = JSON.parse(expectOk(await viaApi(['certificates:search', '--ssin', BIS, '--json']))) as Array<{ serialHex: string; status: string }>;
    expect(found).toHaveLength(1);
    expect(found[0]!.status).toBe('valid');
    const serial = found[0]!.serialHex;
    expect(expectOk(await viaApi(['certificates:revoke', '--serial', serial, '--reason', 'keyCompromise', '--note', 'revocation form 17']))).toMatch(
      new RegExp(`^revoked: ${serial} revoked `),
    );

    expect(
      expectOk(
        await viaApi([
          'certra:mandate:add-legal-representative',
          '--org-type',
          'NIHII-HOSPITAL',
          '--org-id',
          '71089815',
          '--org-name',
          'Hôpital Test',
          '--ssin',
          '85073003328',
          '--evidence',
          'statutes 2024',
        ]),
      ),
    ).toMatch(/^registered #\d+ NIHII-HOSPITAL=71089815 /);

    // An auditor reads, and is refused a write (exit 1, the API's reason).
    const auditorDir = join(root, 'auditor');
    expect(expectOk(await viaApi(['officers:add', '--name', 'Audrey Auditor', '--role', 'auditor', '--out', auditorDir]))).toMatch(/^added #\d+ auditor /);
    const auditor = ['--cert', join(auditorDir, 'officer.cert.pem'), '--key', join(auditorDir, 'officer.key.pem'), '--ca', join(auditorDir, 'ca-chain.pem')];
    expect(expectOk(await viaApi(['certra:mandate:list'], auditor))).toMatch(/1 mandate\(s\)$/m);
    const denied = await viaApi(['crl:reissue'], auditor);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^error: FORBIDDEN: the auditor role cannot do this \(needs officer\)/);

    // A command that needs the database says so rather than pretending.
    const verifyViaApi = await viaApi(['ca:intents:orphans']);
    expect(verifyViaApi.code).toBe(2);
    expect(verifyViaApi.stderr).toMatch(/works on the database directly/);

    // Restart: the same officer is admitted (no second credential minted), everything is there.
    const officerCertificate = readFileSync(join(dataDir, 'admin', 'officer', 'officer.cert.pem'), 'utf8');
    await server.stop();
    server = await startServerProcess({ DATA_DIR: dataDir }, 120_000);
    expect(readFileSync(join(dataDir, 'admin', 'officer', 'officer.cert.pem'), 'utf8')).toBe(officerCertificate);
    const afterRestart = JSON.parse(expectOk(await viaApi(['certificates:search', '--serial', serial, '--json']))) as Array<{
      status: string;
      revocationReason: string;
    }>;
    expect(afterRestart).toMatchObject([{ status: 'revoked', revocationReason: 'keyCompromise' }]);
    expect(JSON.parse(expectOk(await viaApi(['certra:mandate:list', '--json'])))).toHaveLength(1);
    expect(JSON.parse(expectOk(await viaApi(['officers:list', '--json'])))).toHaveLength(2);
    const records = JSON.parse(expectOk(await viaApi(['audit:list', '--action', 'admin.*', '--json']))) as Array<{
      action: string;
      actor: string;
      actorSerial: string | null;
    }>;
    expect(records.map((r) => r.action)).toEqual(expect.arrayContaining(['admin.certificate.revoked', 'admin.officer.added', 'admin.access.refused']));
    expect(records.find((r) => r.action === 'admin.certificate.revoked')!.actorSerial).toMatch(/^[0-9a-f]+$/);
    expect(expectOk(await viaApi(['audit:verify']))).toMatch(/OK: the audit chain is intact/);

    // Stopped: the direct mode verifies the chain offline, officers' records included.
    await server.stop();
    server = undefined;
    const verified = await runAdminCli(dataDir, ['audit:verify'], 'officer.local');
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/OK: the audit chain is intact/);
    // Some twenty CLI processes and two server starts: minutes on a loaded two-core machine.
  }, 300_000);

  it('refuses bad global options with usage (exit 2)', async () => {
    const noUrl = await runAdminCli(dataDir, ['--cert', '/nonexistent', 'certra:requests:list'], 'x');
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toMatch(/--cert, --key and --ca go with --url/);
    const missing = await runAdminCli(dataDir, ['--url', 'https://127.0.0.1:1', 'certra:requests:list'], 'x');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--cert \(or ADMIN_API_CERT\) is required with --url/);
    writeFileSync(join(root, 'empty.pem'), '');
    const unreachable = await runAdminCli(
      dataDir,
      ['--url', 'https://127.0.0.1:1', '--cert', join(root, 'empty.pem'), '--key', join(root, 'empty.pem'), '--ca', join(root, 'empty.pem'), 'crl:reissue'],
      'x',
    );
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/^error: UNREACHABLE: https:\/\/127\.0\.0\.1:1/);
  }, 120_000);
});
