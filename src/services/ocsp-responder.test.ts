import { issueSamplePersonCertificate } from '../../test/support/issued-certificates.js';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createSoftHsmToken, type SoftHsmToken } from '../../test/support/softhsm.js';
import { openTestDatabase, testEngine, type TestDatabase } from '../../test/support/test-database.js';
import { CaConfigError, loadConfiguredHierarchy, loadOrCreateDevHierarchy, readCaConfigFile, type CaMaterial } from '../ca/hierarchy/index.js';
import { generateTokenKeyPair } from '../ca/keys/pkcs11-key.js';
import { toPem } from '../ca/x509/index.js';
import { FixedClock } from '../domain/clock.js';
import { parseCertificate } from '../x509/certificate.js';
import { CertificateIssuer } from './certificate-issuer.js';
import { OcspResponder } from './ocsp-responder.js';

const run = promisify(execFile);
const env = { HSM_PIN: '1357' };

/**
 * The responder key in PKCS#11 custody (SoftHSM), as production configures it: the service certifies the token's key
 * as its delegated responder and signs every answer on the token; openssl checks the answer.
 */
describe(`OCSP responder with its key on a PKCS#11 token (SoftHSM), on ${testEngine}`, () => {
  let directory: string;
  let token: SoftHsmToken;
  let ca: CaMaterial;
  let t: TestDatabase;
  let tokenKeySpki: Buffer;
  let configFile: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'ocsp-pkcs11-'));
    token = await createSoftHsmToken({ label: 'ocsp', pin: '1357' });
    ({ publicKeySpki: tokenKeySpki } = await generateTokenKeyPair(
      { module: token.modulePath, tokenLabel: 'ocsp', pinEnv: 'HSM_PIN' },
      { algorithm: 'RSA', keyId: '03', keyLabel: 'ocsp-issuing' },
      env,
    ));
    await (await loadOrCreateDevHierarchy(join(directory, 'data'))).close();
    const manifest = JSON.parse(await readFile(join(directory, 'data', 'ca', 'hierarchy.json'), 'utf8'));
    configFile = join(directory, 'data', 'ca', 'with-hsm-responder.json');
    await writeFile(
      configFile,
      JSON.stringify({
        ...manifest,
        ocspResponders: { issuing: `pkcs11:token=ocsp;object=ocsp-issuing?module-path=${token.modulePath}&pin-env=HSM_PIN` },
      }),
    );
    ca = await loadConfiguredHierarchy(await readCaConfigFile(configFile), { env });
    t = await openTestDatabase();
  }, 120_000);

  afterAll(async () => {
    await ca?.close();
    await t?.close();
    await token?.cleanup();
    await rm(directory, { recursive: true, force: true });
  });

  it('certifies the token key as responder and signs answers on the token; openssl verifies them through the chain', async () => {
    expect(ca.ocspResponderKeys.issuing?.description).toMatch(/^pkcs11:token=ocsp;/);
    expect(ca.ocspResponderKeys.root).toBeUndefined();
    const clock = new FixedClock(new Date());
    const issuer = new CertificateIssuer(ca, t.db, { ocspUrl: 'http://127.0.0.1:1/ocsp' });
    const responder = new OcspResponder(
      { db: t.db, clock, ca, issuer },
      {
        environment: 'acceptance',
        responderValidityDays: 7,
        responderRenewBeforeDays: 2,
        cache: { enabled: false, maxEntries: 10, maxAgeSeconds: 60 },
      },
    );
    await responder.start();
    expect(responder.servedCas).toEqual(['issuing']);
    const responderCertificate = parseCertificate((await responder.responderCertificate('issuing'))!);
    expect(responderCertificate.spkiDer.equals(tokenKeySpki)).toBe(true);

    const leaf = await issueSamplePersonCertificate(issuer, t.db, clock.now(), 970);
    const file = (name: string) => join(directory, name);
    await writeFile(file('issuing.pem'), toPem(ca.issuing.cert));
    await writeFile(file('root.pem'), toPem(ca.root.cert));
    await writeFile(file('leaf.pem'), toPem(leaf.der));
    await run('openssl', ['ocsp', '-issuer', file('issuing.pem'), '-cert', file('leaf.pem'), '-reqout', file('req.der')]);
    const reply = await responder.respond(await readFile(file('req.der')));
    expect(reply.status).toBe('successful');
    await writeFile(file('resp.der'), reply.der);
    const { stdout, stderr } = await run('openssl', [
      'ocsp',
      '-respin',
      file('resp.der'),
      '-issuer',
      file('issuing.pem'),
      '-cert',
      file('leaf.pem'),
      '-CAfile',
      file('root.pem'),
      '-verify_other',
      file('issuing.pem'),
      // The nonce echo is checked over HTTP (test/e2e/ocsp.test.ts); here openssl would compare it with a new request's.
      '-no_nonce',
    ]);
    expect(stdout).toMatch(/leaf\.pem: good/);
    expect(stderr).toContain('Response verify OK');
    await responder.stop();
  }, 60_000);

  it('refuses a responder key that is the CA key itself, and a root responder when the root key is offline', async () => {
    const manifest = JSON.parse(await readFile(configFile, 'utf8'));
    const sameKey = { ...manifest, ocspResponders: { issuing: manifest.issuing.key } };
    await writeFile(configFile, JSON.stringify(sameKey));
    await expect(loadConfiguredHierarchy(await readCaConfigFile(configFile), { env })).rejects.toThrow(
      new CaConfigError("ocspResponders.issuing: use a key of its own, not the CA's (delegated responder)"),
    );
    const offlineRoot = { ...manifest, root: { certificate: manifest.root.certificate }, ocspResponders: { root: manifest.issuing.key } };
    await writeFile(configFile, JSON.stringify(offlineRoot));
    await expect(loadConfiguredHierarchy(await readCaConfigFile(configFile), { env })).rejects.toThrow(/ocspResponders\.root: the root key is offline/);
    await writeFile(configFile, JSON.stringify({ ...manifest, ocspResponders: { intermediate: manifest.issuing.key } }));
    await expect(readCaConfigFile(configFile)).rejects.toThrow(/ocspResponders has unknown field\(s\) intermediate/);
  });
});
