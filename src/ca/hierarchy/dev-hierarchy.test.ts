import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { certtoolVerify, opensslVerify } from '../../../test/support/pki-tools.js';
import { toPem } from '../x509/index.js';
import { loadOrCreateDevHierarchy } from './dev-hierarchy.js';

const execFileAsync = promisify(execFile);

async function subjectOf(der: Buffer, directory: string): Promise<string> {
  const path = join(directory, `subject-${Math.random().toString(36).slice(2)}.pem`);
  await writeFile(path, toPem(der));
  const { stdout } = await execFileAsync('openssl', [
    'x509',
    '-in',
    path,
    '-noout',
    '-subject',
    '-issuer',
    '-ext',
    'basicConstraints,keyUsage',
    '-nameopt',
    'RFC2253',
  ]);
  return stdout;
}

describe('development CA hierarchy', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'dev-hierarchy-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('creates root → issuing CA → ETK-RA and a self-signed test citizen CA that openssl and certtool accept', async () => {
    const warnings: string[] = [];
    const ca = await loadOrCreateDevHierarchy(join(directory, 'first'), { warn: (message) => warnings.push(message) });
    try {
      expect(ca.development).toBe(true);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^DEVELOPMENT CA HIERARCHY created in .*first\/ca/);
      expect(warnings[0]).toMatch(/Never use it in production/);

      await opensslVerify([ca.issuing.cert], ca.root.cert, { purpose: 'any' });
      await opensslVerify([ca.etkRa.cert], ca.root.cert, { untrusted: [ca.issuing.cert] });
      await opensslVerify([ca.citizenCa!.cert], ca.citizenCa!.cert);
      await certtoolVerify([ca.etkRa.cert, ca.issuing.cert], ca.root.cert);
      expect(ca.issuingChain).toEqual([ca.issuing.cert, ca.root.cert]);

      expect(await subjectOf(ca.root.cert, directory)).toMatch(/subject=CN=eHealth Dev Root CA,O=eHealth Platform Dev,C=BE\nissuer=CN=eHealth Dev Root CA/);
      const issuing = await subjectOf(ca.issuing.cert, directory);
      expect(issuing).toContain('subject=CN=eHealth Dev Issuing CA,OU=eHealth-platform Belgium,O=Federal Government,C=BE');
      expect(issuing).toMatch(/Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
      expect(issuing).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
      const etkRa = await subjectOf(ca.etkRa.cert, directory);
      expect(etkRa).toContain('subject=CN=ETK-RA,OU=eHealth-platform Belgium,O=Federal Government,C=BE');
      expect(etkRa).toContain('issuer=CN=eHealth Dev Issuing CA,OU=eHealth-platform Belgium,O=Federal Government,C=BE');
      expect(etkRa).toMatch(/Key Usage: critical\s+Digital Signature\n/);
      expect(etkRa).toMatch(/CA:FALSE/);
      expect(ca.etkRa.signer.keyAlgorithm).toBe('RSA');
      expect(await subjectOf(ca.citizenCa!.cert, directory)).toMatch(
        /subject=CN=Test Citizen CA,O=eHealth Platform Dev,C=BE\nissuer=CN=Test Citizen CA,O=eHealth Platform Dev,C=BE/,
      );

      expect(ca.crlUrlFor('issuing')).toBe('http://localhost:8080/crl/issuing-ca.crl');
      expect(ca.crlUrlFor(ca.citizenCa!.cert)).toBe('http://localhost:8080/crl/citizen-ca.crl');
      expect(ca.issuing.crlUrl).toBe(ca.crlUrlFor('issuing'));
      expect(ca.roleOf(ca.etkRa.cert)).toBe('etkRa');
      expect(() => ca.crlUrlFor('etkRa')).toThrow(/issues no CRL/);
      expect(() => ca.crlUrlFor(Buffer.from('30', 'hex'))).toThrow(/not a CA certificate of this hierarchy/);
    } finally {
      await ca.close();
    }
  });

  it('stores encrypted PKCS#8 keys and a 0600 passphrase in a 0700 directory', async () => {
    const dataDir = join(directory, 'files');
    const ca = await loadOrCreateDevHierarchy(dataDir);
    await ca.close();
    const caDir = join(dataDir, 'ca');
    expect((await stat(caDir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(caDir, 'passphrase'))).mode & 0o777).toBe(0o600);
    const files = (await readdir(caDir)).sort();
    expect(files).toEqual([
      'citizen.cert.pem',
      'citizen.key.pem',
      'etk-ra.cert.pem',
      'etk-ra.key.pem',
      'hierarchy.json',
      'issuing.cert.pem',
      'issuing.key.pem',
      'ocsp-issuing.key.pem',
      'ocsp-root.key.pem',
      'passphrase',
      'root.cert.pem',
      'root.key.pem',
      'tsl-signer',
    ]);
    for (const key of files.filter((file) => file.endsWith('.key.pem'))) {
      expect(await readFile(join(caDir, key), 'utf8')).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
      expect((await stat(join(caDir, key))).mode & 0o777).toBe(0o600);
    }
    // nothing temporary is left behind
    expect((await readdir(dataDir)).filter((name) => name.startsWith('.ca-'))).toEqual([]);
  });

  it('is idempotent: a restart loads the same certificates and keys', async () => {
    const dataDir = join(directory, 'restart');
    const first = await loadOrCreateDevHierarchy(dataDir);
    const warnings: string[] = [];
    const second = await loadOrCreateDevHierarchy(dataDir, { warn: (message) => warnings.push(message) });
    try {
      expect(second.root.cert.equals(first.root.cert)).toBe(true);
      expect(second.issuing.cert.equals(first.issuing.cert)).toBe(true);
      expect(second.etkRa.cert.equals(first.etkRa.cert)).toBe(true);
      expect(second.citizenCa!.cert.equals(first.citizenCa!.cert)).toBe(true);
      expect(second.issuing.signer.publicKeySpki.equals(first.issuing.signer.publicKeySpki)).toBe(true);
      expect(warnings[0]).toMatch(/^DEVELOPMENT CA HIERARCHY loaded/);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('two starts at once end up with one hierarchy', async () => {
    const dataDir = join(directory, 'race');
    const results = await Promise.all([loadOrCreateDevHierarchy(dataDir), loadOrCreateDevHierarchy(dataDir), loadOrCreateDevHierarchy(dataDir)]);
    try {
      for (const result of results.slice(1)) {
        expect(result.root.cert.equals(results[0]!.root.cert)).toBe(true);
        expect(result.etkRa.cert.equals(results[0]!.etkRa.cert)).toBe(true);
      }
      expect((await readdir(dataDir)).filter((name) => name.startsWith('.ca-'))).toEqual([]);
    } finally {
      await Promise.all(results.map((result) => result.close()));
    }
  });

  it('two processes at once end up with one hierarchy', async () => {
    const dataDir = join(directory, 'processes');
    const script = join(directory, 'start.mts');
    await writeFile(
      script,
      `import ${JSON.stringify(join(process.cwd(), 'node_modules/reflect-metadata/Reflect.js'))};
      const { loadOrCreateDevHierarchy } = await import(${JSON.stringify(join(process.cwd(), 'src/ca/hierarchy/dev-hierarchy.ts'))});
      const ca = await loadOrCreateDevHierarchy(${JSON.stringify(dataDir)});
      process.stdout.write(ca.root.cert.toString('hex'));
      await ca.close();\n`,
    );
    const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
    const run = () => execFileAsync(tsx, [script], { cwd: process.cwd() });
    const [a, b] = await Promise.all([run(), run()]);
    expect(a.stdout).toMatch(/^30/);
    expect(a.stdout).toBe(b.stdout);
  });

  it('refuses a populated DATA_DIR/ca without hierarchy.json instead of overwriting it', async () => {
    const dataDir = join(directory, 'foreign');
    await mkdir(join(dataDir, 'ca'), { recursive: true });
    await writeFile(join(dataDir, 'ca', 'something.pem'), 'not ours');
    await expect(loadOrCreateDevHierarchy(dataDir)).rejects.toThrow(/exists but holds no hierarchy\.json/);
    expect(await readFile(join(dataDir, 'ca', 'something.pem'), 'utf8')).toBe('not ours');
  });

  it('takes the public URL for CRL distribution points from the options', async () => {
    const ca = await loadOrCreateDevHierarchy(join(directory, 'url'), undefined, { publicationUrl: 'http://crl.test.example/' });
    try {
      expect(ca.crlUrlFor('issuing')).toBe('http://crl.test.example/crl/issuing-ca.crl');
      const path = join(directory, 'url-issuing.pem');
      await writeFile(path, toPem(ca.issuing.cert));
      const { stdout } = await execFileAsync('openssl', ['x509', '-in', path, '-noout', '-ext', 'crlDistributionPoints,authorityInfoAccess']);
      expect(stdout).toContain('URI:http://crl.test.example/crl/root-ca.crl');
      expect(stdout).toContain('CA Issuers - URI:http://crl.test.example/ca/root-ca.crt');
    } finally {
      await ca.close();
    }
  });
});
