import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { caCertificate, mintCitizenIdentity, SELF_SIGNED_CITIZEN_CA, issueHierarchyCertificate, type IssuingCaEntry } from '../../src/ca/hierarchy/index.js';
import { generatePrivateKey } from '../../src/ca/keys/file-key.js';
import { createKeyObjectSigner } from '../../src/ca/keys/key-signer.js';
import { openKeySigner, parseKeyReference } from '../../src/ca/keys/key-reference.js';
import { toPem } from '../../src/ca/x509/index.js';
import { systemClock } from '../../src/domain/clock.js';
import { runAdminCli } from '../support/admin-cli.js';
import { CertRaClient, certificateChainOf, signerOf, type Person } from '../support/certra-client.js';
import { startServerProcess, type ServerProcess } from '../support/etk-server-process.js';
import type { TestPlatform } from '../support/platform.js';
import { createSoftHsmToken, type SoftHsmToken } from '../support/softhsm.js';
import { openTestDatabase, type TestDatabase } from '../support/test-database.js';

const run = promisify(execFile);

/**
 * `ca:init` (issue #16), as an operator runs it: a child process of the admin CLI. On SoftHSM it makes every key on
 * the token, and the configuration it writes starts the service with ENVIRONMENT=production, which issues a
 * certificate over CertRA (eID-signed request, automatic validation) chaining to the new root, and reports on /health
 * that its keys are on a reachable token. With files and an external root it runs twice around a CSR signed by
 * OpenSSL. It never overwrites anything and repeats itself harmlessly.
 */

const PUBLICATION_URL = 'http://crl.ca-init.test';
const listing = (directory: string) =>
  readdirSync(directory)
    .sort()
    .map((name) => `${name}:${statSync(join(directory, name)).mtimeMs}:${readFileSync(join(directory, name)).toString('base64').length}`);

describe('ca:init on a PKCS#11 token (SoftHSM), then the service in production', () => {
  let token: SoftHsmToken;
  let work: string;
  let cliEnv: Record<string, string>;
  let database: TestDatabase | undefined;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    token = await createSoftHsmToken({ label: 'eHealth CA' });
    work = mkdtempSync(join(tmpdir(), 'ca-init-'));
    cliEnv = { SOFTHSM2_CONF: token.configPath, HSM_PIN: token.pin };
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await database?.close();
    await token?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const caDir = () => join(work, 'ca');
  const pkcs11Args = (dir: string, extra: string[] = []) => [
    'ca:init',
    '--dir',
    dir,
    '--keys',
    'pkcs11',
    '--pkcs11-module',
    token.modulePath,
    '--token',
    'eHealth CA',
    '--pin-env',
    'HSM_PIN',
    '--publication-url',
    PUBLICATION_URL,
    '--ca-rsa-bits',
    '3072',
    ...extra,
  ];

  it('makes every key on the token and writes a configuration the service loads; a second run changes nothing', async () => {
    const result = await runAdminCli(join(work, 'data-cli'), pkcs11Args(caDir()), 'ops', cliEnv);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`CA set up: ${join(caDir(), 'ca-config.json')}`);
    for (const role of [
      'root CA',
      'issuing CA',
      'ETK-RA signer',
      'trusted-list signer',
      'OCSP responder of the issuing CA',
      'OCSP responder of the root',
      'audit checkpoint key',
      'KGSS authentication key',
      'KGSS encryption key \\(its ETK\\)',
      'KGSS key-encryption key',
    ]) {
      expect(result.stdout).toMatch(new RegExp(`${role}\\s+pkcs11:token=eHealth CA;id=[0-9a-f]{16};object=ehealth-`));
    }
    // Keys stay on the token: the directory holds certificates and settings only.
    expect(readdirSync(caDir()).sort()).toEqual([
      'ca-config.json',
      'etk-ra.cert.pem',
      'issuing.cert.pem',
      'production.env',
      'root.cert.pem',
      'tsl-signer.cert.pem',
    ]);
    const config = JSON.parse(readFileSync(join(caDir(), 'ca-config.json'), 'utf8'));
    expect(config.issuing.key).toMatchObject({
      kind: 'pkcs11',
      module: token.modulePath,
      tokenLabel: 'eHealth CA',
      pinEnv: 'HSM_PIN',
      keyLabel: 'ehealth-issuing',
    });
    expect(JSON.stringify(config)).not.toContain(token.pin);
    const settings = readFileSync(join(caDir(), 'production.env'), 'utf8');
    expect(settings).toContain(`CA_CONFIG_FILE=${join(caDir(), 'ca-config.json')}`);
    // What ca:init cannot know is named, commented out, with the eID CAs the first start refuses to go without.
    const stillToSet = [...settings.matchAll(/^# ([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1]);
    expect(stillToSet).toEqual(expect.arrayContaining(['EID_SIGNATURE_CA_FILES', 'EID_AUTHENTICATION_CA_FILES', 'DATABASE_URL', 'ADMIN_TLS_CERT_FILE']));
    expect(settings).toMatch(/^AUDIT_KEY=pkcs11:token=eHealth%20CA;id=(%[0-9a-f]{2}){8};object=ehealth-audit\?module-path=[^&\s]+&pin-env=HSM_PIN$/m);
    for (const [name, label] of [
      ['KGSS_AUTHENTICATION_KEY', 'kgss-authentication'],
      ['KGSS_ENCRYPTION_KEY', 'kgss-encryption'],
      ['KGSS_KEK', 'kgss-kek'],
    ]) {
      expect(settings).toMatch(
        new RegExp(`^${name}=pkcs11:token=eHealth%20CA;id=(%[0-9a-f]{2}){8};object=ehealth-${label}\\?module-path=[^&\\s]+&pin-env=HSM_PIN$`, 'm'),
      );
    }
    expect(settings).not.toContain(token.pin);

    // The chain as an independent client sees it.
    const root = new X509Certificate(readFileSync(join(caDir(), 'root.cert.pem')));
    const issuing = new X509Certificate(readFileSync(join(caDir(), 'issuing.cert.pem')));
    expect(root.subject).toBe('C=BE\nO=Federal Government\nOU=eHealth-platform Belgium\nCN=eHealth Root CA');
    expect(issuing.verify(root.publicKey)).toBe(true);
    expect(issuing.ca).toBe(true);
    const { stdout } = await run('openssl', [
      'verify',
      '-x509_strict',
      '-CAfile',
      join(caDir(), 'root.cert.pem'),
      '-untrusted',
      join(caDir(), 'issuing.cert.pem'),
      join(caDir(), 'etk-ra.cert.pem'),
      join(caDir(), 'tsl-signer.cert.pem'),
    ]);
    expect(stdout).toContain('etk-ra.cert.pem: OK');
    expect(stdout).toContain('tsl-signer.cert.pem: OK');
    // The key on the token is the certificate's, and signs there.
    const issuingSigner = await openKeySigner(parseKeyReference(JSON.stringify(config.issuing.key)), cliEnv);
    try {
      expect(issuingSigner.publicKeySpki.equals(issuing.publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
      expect(issuingSigner.description).toMatch(/^pkcs11:/);
    } finally {
      await issuingSigner.close();
    }

    const before = listing(caDir());
    const again = await runAdminCli(join(work, 'data-cli'), pkcs11Args(caDir()), 'ops', cliEnv);
    expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: '' });
    expect(again.stdout).toContain('already initialised');
    expect(listing(caDir())).toEqual(before);
  }, 180_000);

  it('refuses to make a second CA with the labels already on the token, and leaves nothing behind', async () => {
    const other = join(work, 'other-ca');
    const result = await runAdminCli(join(work, 'data-cli'), pkcs11Args(other), 'ops', cliEnv);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/the token already holds private key\(s\) labelled ehealth-root, ehealth-issuing, .*--key-label-prefix/);
    expect(existsSync(other)).toBe(false);
    const wrongPin = await runAdminCli(join(work, 'data-cli'), pkcs11Args(other, ['--key-label-prefix', 'acc-']), 'ops', { ...cliEnv, HSM_PIN: '0000' });
    expect(wrongPin.code).toBe(1);
    expect(wrongPin.stderr).toMatch(/login to token "eHealth CA" failed: CKR_PIN_INCORRECT/);
    expect(wrongPin.stderr).not.toContain('0000');
    expect(existsSync(other)).toBe(false);
  }, 60_000);

  it('ENVIRONMENT=production starts on that configuration, reports its keys on /health, and issues over CertRA', async () => {
    // The eID CA the service trusts for signed requests: a test CA standing in for Belgium's citizen CA.
    const eidKey = generatePrivateKey('RSA', 2048);
    const eidSigner = createKeyObjectSigner(eidKey, 'test eID CA');
    const now = new Date();
    const eidCertificate = await issueHierarchyCertificate({
      profile: SELF_SIGNED_CITIZEN_CA,
      subject: [
        { type: 'C', value: 'BE' },
        { type: 'CN', value: 'Test eID CA for ca:init' },
      ],
      subjectPublicKeySpki: eidSigner.publicKeySpki,
      issuer: undefined,
      signer: eidSigner,
      notBefore: new Date(now.getTime() - 60_000),
    });
    const eidCaFile = join(work, 'eid-ca.pem');
    writeFileSync(eidCaFile, toPem(eidCertificate));
    const eidCa: IssuingCaEntry = {
      cert: eidCertificate,
      fields: caCertificate(eidCertificate),
      signer: Object.assign(eidSigner, { close: async () => undefined }),
      crlUrl: 'http://eid.test/crl',
      certificateUrl: 'http://eid.test/ca.crt',
    };
    const person: Person = {
      ssin: '85073003328',
      givenName: 'Jan',
      surname: 'Test',
      identity: await mintCitizenIdentity({ ssin: '85073003328', givenName: 'Jan', surname: 'Test' }, eidCa, { now }),
    };

    const settings = Object.fromEntries(
      readFileSync(join(caDir(), 'production.env'), 'utf8')
        .split('\n')
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(Object.keys(settings).sort()).toEqual([
      'AUDIT_KEY',
      'CA_CONFIG_FILE',
      'CA_PUBLICATION_URL',
      'ENVIRONMENT',
      'KGSS_AUTHENTICATION_KEY',
      'KGSS_ENCRYPTION_KEY',
      'KGSS_KEK',
    ]);
    database = await openTestDatabase({ migrate: false });
    server = await startServerProcess(
      {
        ...settings,
        ...cliEnv,
        DATA_DIR: join(work, 'data'),
        ...(database.url ? { DATABASE_URL: database.url, WORKERS: '1' } : {}),
        EID_SIGNATURE_CA_FILES: eidCaFile,
        EID_AUTHENTICATION_CA_FILES: eidCaFile,
      },
      120_000,
    );

    const health = await fetch(`${server.baseUrl}/health`);
    expect(health.status).toBe(200);
    const report = await health.json();
    expect(report).toEqual({
      status: 'ok',
      database: 'ok',
      keys: {
        'root CA': { custody: 'pkcs11', status: 'ok' },
        'issuing CA': { custody: 'pkcs11', status: 'ok' },
        'ETK-RA signer': { custody: 'pkcs11', status: 'ok' },
        'OCSP responder (issuing CA)': { custody: 'pkcs11', status: 'ok' },
        'OCSP responder (root)': { custody: 'pkcs11', status: 'ok' },
        'trusted-list signer': { custody: 'pkcs11', status: 'ok' },
        'audit checkpoint key': { custody: 'pkcs11', status: 'ok' },
        'KGSS authentication': { custody: 'pkcs11', status: 'ok' },
        'KGSS encryption (its ETK)': { custody: 'pkcs11', status: 'ok' },
        'KGSS key-encryption key': { custody: 'pkcs11', status: 'ok' },
      },
    });

    // CertRA over HTTP as a client does: contract, eID-signed generateCertificate (the signer's own SSIN:
    // validated automatically in production), getCertificate.
    const remote = {
      clock: systemClock,
      soap: async (path: string, envelope: string) => {
        const response = await fetch(`${server!.baseUrl}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' },
          body: envelope,
        });
        return { status: response.status, body: await response.text(), contentType: response.headers.get('content-type') ?? '' };
      },
    } as unknown as TestPlatform;
    const client = new CertRaClient(remote);
    const requested = await client.requestCertificate(person, signerOf(person));
    expect(requested.response.outcome).toBe('Success');
    const got = await client.getCertificate(requested.publicKeyIdentifier!);
    expect(got.outcome).toBe('Success');
    const [leaf] = certificateChainOf(got);
    const certificateFile = join(work, 'issued.pem');
    writeFileSync(certificateFile, toPem(leaf!));
    const { stdout } = await run('openssl', [
      'verify',
      '-CAfile',
      join(caDir(), 'root.cert.pem'),
      '-untrusted',
      join(caDir(), 'issuing.cert.pem'),
      certificateFile,
    ]);
    expect(stdout).toContain(': OK');
    const issued = new X509Certificate(leaf!);
    expect(issued.issuer).toBe('C=BE\nO=Federal Government\nOU=eHealth-platform Belgium\nCN=eHealth Issuing CA');
    expect(issued.subject).toContain('SSIN=85073003328');
    expect(issued.infoAccess).toContain(`OCSP - URI:${PUBLICATION_URL}/ocsp`);

    // Production on the embedded database starts, and says it is one process with its data in one directory.
    const onEmbeddedDatabase = /production on the embedded PGlite in .*: one process, no standby/;
    if (database.url) expect(server.output()).not.toMatch(onEmbeddedDatabase);
    else expect(server.output()).toMatch(onEmbeddedDatabase);
  }, 240_000);
});

describe('ca:init with encrypted files and an external root', () => {
  let work: string;
  const env = { CA_KEY_PASSPHRASE: 'correct horse battery staple' };
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'ca-init-files-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const args = (dir: string, extra: string[] = []) => [
    'ca:init',
    '--dir',
    dir,
    '--keys',
    'file',
    '--passphrase-env',
    'CA_KEY_PASSPHRASE',
    '--root',
    'external',
    '--publication-url',
    PUBLICATION_URL,
    '--ca-rsa-bits',
    '3072',
    ...extra,
  ];

  it('first run: the issuing key and its CSR; second run with what the external root issued: the rest', async () => {
    const dir = join(work, 'ca');
    const first = await runAdminCli(join(work, 'data'), args(dir), 'ops', env);
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
    expect(first.stdout).toContain(`its certificate request is ${join(dir, 'issuing.csr.pem')}`);
    expect(readdirSync(dir).sort()).toEqual(['ca-init-pending.json', 'issuing.csr.pem', 'issuing.key.pem']);
    expect(readFileSync(join(dir, 'issuing.key.pem'), 'utf8')).toContain('BEGIN ENCRYPTED PRIVATE KEY');
    expect(statSync(join(dir, 'issuing.key.pem')).mode & 0o077).toBe(0);
    // Asking again only repeats where the CSR is.
    const repeated = await runAdminCli(join(work, 'data'), args(dir), 'ops', env);
    expect(repeated.code).toBe(0);
    expect(repeated.stdout).toContain('its certificate request is');
    await run('openssl', ['req', '-in', join(dir, 'issuing.csr.pem'), '-noout', '-verify']);

    // The external root, made and operated by OpenSSL alone.
    const rootKey = join(work, 'root.key');
    const rootCert = join(work, 'root.pem');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:3072',
      '-nodes',
      '-keyout',
      rootKey,
      '-out',
      rootCert,
      '-days',
      '3650',
      '-subj',
      '/C=BE/O=External Root Org/CN=External Root CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    const extensions = join(work, 'issuing.ext');
    writeFileSync(
      extensions,
      'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n',
    );
    const issuingCert = join(work, 'issuing.pem');
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      join(dir, 'issuing.csr.pem'),
      '-CA',
      rootCert,
      '-CAkey',
      rootKey,
      '-CAcreateserial',
      '-out',
      issuingCert,
      '-days',
      '1825',
      '-sha256',
      '-extfile',
      extensions,
    ]);

    // A certificate for another key is refused, and nothing is written.
    const strangerCsr = join(work, 'stranger.csr');
    await run('openssl', [
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(work, 'stranger.key'),
      '-out',
      strangerCsr,
      '-subj',
      '/C=BE/CN=Stranger CA',
    ]);
    const strangerCert = join(work, 'stranger.pem');
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      strangerCsr,
      '-CA',
      rootCert,
      '-CAkey',
      rootKey,
      '-CAcreateserial',
      '-out',
      strangerCert,
      '-days',
      '365',
      '-extfile',
      extensions,
    ]);
    const refused = await runAdminCli(join(work, 'data'), args(dir, ['--root-certificate', rootCert, '--issuing-certificate', strangerCert]), 'ops', env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('does not certify the key of issuing.csr.pem');
    expect(readdirSync(dir).sort()).toEqual(['ca-init-pending.json', 'issuing.csr.pem', 'issuing.key.pem']);

    const second = await runAdminCli(join(work, 'data'), args(dir, ['--root-certificate', rootCert, '--issuing-certificate', issuingCert]), 'ops', env);
    expect({ code: second.code, stderr: second.stderr }).toEqual({ code: 0, stderr: '' });
    expect(second.stdout).toContain('CA set up');
    const config = JSON.parse(readFileSync(join(dir, 'ca-config.json'), 'utf8'));
    // The root key is not ours: no root key, no root OCSP responder.
    expect(config.root).toEqual({ certificate: 'root.cert.pem' });
    expect(Object.keys(config.ocspResponders)).toEqual(['issuing']);
    expect(config.etkRa.key).toEqual({ kind: 'file', path: 'etk-ra.key.pem', passphraseEnv: 'CA_KEY_PASSPHRASE' });
    expect(existsSync(join(dir, 'ca-init-pending.json'))).toBe(false);
    expect(readFileSync(join(dir, 'root.cert.pem'), 'utf8')).toBe(toPem(new X509Certificate(readFileSync(rootCert)).raw));
    const { stdout } = await run('openssl', ['verify', '-CAfile', rootCert, '-untrusted', issuingCert, join(dir, 'etk-ra.cert.pem')]);
    expect(stdout).toContain('OK');
    expect(readdirSync(dir)).toEqual(expect.arrayContaining(['kgss-authentication.key.pem', 'kgss-encryption.key.pem', 'kgss-kek.key.pem']));
    expect(readFileSync(join(dir, 'production.env'), 'utf8')).toContain(
      `KGSS_KEK=file:${join(dir, 'kgss-kek.key.pem').split('/').map(encodeURIComponent).join('/')}?passphrase-env=CA_KEY_PASSPHRASE`,
    );
    for (const name of readdirSync(dir).filter((file) => file.endsWith('.key.pem'))) {
      expect(readFileSync(join(dir, name), 'utf8')).toContain('BEGIN ENCRYPTED PRIVATE KEY');
    }
    const done = await runAdminCli(join(work, 'data'), args(dir), 'ops', env);
    expect(done.stdout).toContain('already initialised');
  }, 180_000);

  it('usage errors: exit 2 with the usage, nothing created', async () => {
    const dir = join(work, 'never');
    const cases: Array<[string[], RegExp]> = [
      [['ca:init', '--dir', dir, '--publication-url', PUBLICATION_URL], /file keys need exactly one of --passphrase-env or --passphrase-file/],
      [['ca:init', '--dir', dir, '--publication-url', 'https://crl.example.be', '--passphrase-env', 'X'], /plain http base URL/],
      [['ca:init', '--dir', dir, '--publication-url', PUBLICATION_URL, '--keys', 'pkcs11', '--passphrase-env', 'X'], /--passphrase-env is for --keys file/],
      [['ca:init', '--dir', dir, '--publication-url', PUBLICATION_URL, '--passphrase-env', 'X', '--root-certificate', '/x'], /go with --root external/],
      [['ca:init', '--publication-url', PUBLICATION_URL], /--dir is required/],
    ];
    for (const [argv, message] of cases) {
      const result = await runAdminCli(join(work, 'data'), argv, 'ops', env);
      expect({ argv, code: result.code }).toEqual({ argv, code: 2 });
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toContain('usage: npm run admin -- ca:init');
    }
    const weak = await runAdminCli(join(work, 'data'), ['ca:init', '--dir', dir, '--publication-url', PUBLICATION_URL, '--passphrase-env', 'WEAK'], 'ops', {
      WEAK: 'short',
    });
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain('at least 16 characters');
    expect(existsSync(dir)).toBe(false);
  }, 120_000);
});
