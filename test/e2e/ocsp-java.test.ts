import { freePort, issueSamplePersonCertificate } from '../support/issued-certificates.js';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { toPem } from '../../src/ca/x509/index.js';
import { projectRoot } from '../../src/project-paths.js';
import { certificateRegistry } from '../../src/storage/certificate-registry.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { testEngine } from '../support/test-database.js';

/**
 * The JDK's PKIX validator with its PKIXRevocationChecker, OCSP first and without CRL fallback (what the eHealth
 * connector's crypto library relies on), follows the AIA of a certificate we issued to our running responder and
 * accepts "good" and detects "revoked". javac and java come from Debian's JDK; a missing JDK fails the suite.
 */

const run = promisify(execFile);

describe(`Java PKIXRevocationChecker (OCSP only) against the running responder on ${testEngine}`, () => {
  let t: TestPlatform;
  let files: string;
  let classes: string;

  beforeAll(async () => {
    const port = await freePort();
    // The AIA of what is issued must name the port the test server really listens on.
    t = await startTestPlatform({ CA_PUBLICATION_URL: `http://127.0.0.1:${port}` });
    await t.app.listen({ host: '127.0.0.1', port });
    files = mkdtempSync(join(tmpdir(), 'ocsp-java-'));
    classes = join(files, 'classes');
    await run('javac', ['-d', classes, join(projectRoot(), 'test', 'interop', 'java', 'OcspPkixCheck.java')]);
    writeFileSync(join(files, 'root.pem'), toPem(t.platform.services.ca.root.cert));
    writeFileSync(join(files, 'issuing.pem'), toPem(t.platform.services.ca.issuing.cert));
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    if (files) rmSync(files, { recursive: true, force: true });
  });

  const check = async (leaf: string) =>
    run('java', ['-cp', classes, 'OcspPkixCheck', join(files, 'root.pem'), leaf, join(files, 'issuing.pem')]).then(
      ({ stdout }) => ({ code: 0, stdout: stdout.trim() }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: `${error.stdout.trim()} ${error.stderr}` }),
    );

  it('accepts a good certificate and detects a revoked one', async () => {
    const issued = await issueSamplePersonCertificate(t.platform.services.issuer, t.database.db, t.clock.now(), 960);
    const leaf = join(files, 'leaf.pem');
    writeFileSync(leaf, toPem(issued.der));
    expect(await check(leaf)).toEqual({ code: 0, stdout: 'GOOD' });

    await t.database.db.transaction((tx) => certificateRegistry.revoke(tx, issued.id, new Date(t.clock.now().getTime() - 60_000), 'keyCompromise'));
    const revoked = await check(leaf);
    expect(revoked.code).toBe(2);
    expect(revoked.stdout).toMatch(/^REVOKED .*KEY_COMPROMISE/);
  }, 60_000);
});
