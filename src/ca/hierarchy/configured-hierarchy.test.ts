import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePrivateKey } from '../keys/file-key.js';
import { createKeyObjectSigner } from '../keys/key-signer.js';
import { parseCertificate } from '../../x509/certificate.js';
import {
  assertProductionCaConfigured,
  assertSignerMatchesCertificate,
  loadConfiguredHierarchy,
  parseCaHierarchyConfig,
  readCaConfigFile,
  type CaHierarchyConfig,
} from './configured-hierarchy.js';
import { loadOrCreateDevHierarchy } from './dev-hierarchy.js';
import { loadCaMaterial } from './load-ca-material.js';
import { rejectionOf } from '../../../test/support/rejection.js';

describe('configured (production) CA hierarchy', () => {
  let directory: string;
  let caDir: string;
  let passphrase: string;
  const env = () => ({ CA_PASS: passphrase });

  /** A production-style config over copies of a generated hierarchy, keys unlocked by an environment variable. */
  const baseConfig = (): CaHierarchyConfig => ({
    publicationUrl: 'http://crl.example.test',
    root: { certificate: 'root.cert.pem' },
    issuing: { certificate: 'issuing.cert.pem', key: 'file:issuing.key.pem?passphrase-env=CA_PASS' },
    etkRa: { certificate: 'etk-ra.cert.pem', key: { kind: 'file', path: 'etk-ra.key.pem', passphraseEnv: 'CA_PASS' } },
    baseDir: caDir,
  });

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'configured-ca-'));
    const dev = await loadOrCreateDevHierarchy(join(directory, 'data'));
    await dev.close();
    caDir = join(directory, 'production');
    await mkdir(caDir);
    for (const name of ['root', 'issuing', 'etk-ra', 'citizen']) {
      await copyFile(join(directory, 'data', 'ca', `${name}.cert.pem`), join(caDir, `${name}.cert.pem`));
      await copyFile(join(directory, 'data', 'ca', `${name}.key.pem`), join(caDir, `${name}.key.pem`));
    }
    passphrase = (await readFile(join(directory, 'data', 'ca', 'passphrase'), 'utf8')).trim();
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('loads certificates and keys from a config file, relative to the file, without the root key', async () => {
    const configPath = join(caDir, 'ca.json');
    const { baseDir: _ignored, ...config } = baseConfig();
    await writeFile(configPath, JSON.stringify(config));
    const material = await loadConfiguredHierarchy(await readCaConfigFile(configPath), { env: env() });
    try {
      expect(material.development).toBe(false);
      expect(material.root.signer).toBeUndefined();
      expect(material.citizenCa).toBeUndefined();
      expect(material.issuing.crlUrl).toBe('http://crl.example.test/crl/issuing-ca.crl');
      expect(material.issuing.certificateUrl).toBe('http://crl.example.test/ca/issuing-ca.crt');
      expect(material.issuingChain).toHaveLength(2);
      expect(material.etkRa.signer.description).toBe(`file:${join(caDir, 'etk-ra.key.pem')}`);
    } finally {
      await material.close();
    }
  });

  it('loads a TSL signer (EKU id-tsl-kp-tslSigning) and refuses one without that EKU or with a foreign key', async () => {
    await copyFile(join(directory, 'data', 'ca', 'tsl-signer', 'cert.pem'), join(caDir, 'tsl-signer.cert.pem'));
    await copyFile(join(directory, 'data', 'ca', 'tsl-signer', 'key.pem'), join(caDir, 'tsl-signer.key.pem'));
    const tslSigner = { certificate: 'tsl-signer.cert.pem', key: 'file:tsl-signer.key.pem?passphrase-env=CA_PASS' };
    const material = await loadConfiguredHierarchy({ ...baseConfig(), tslSigner }, { env: env() });
    try {
      expect(material.tslSigner?.fields.extendedKeyUsage).toEqual(['0.4.0.2231.3.0']);
    } finally {
      await material.close();
    }
    const withoutEku = await rejectionOf(
      loadConfiguredHierarchy({ ...baseConfig(), tslSigner: { ...tslSigner, certificate: 'etk-ra.cert.pem' } }, { env: env() }),
    );
    expect(withoutEku.message).toBe('TSL signer: extendedKeyUsage lacks id-tsl-kp-tslSigning (0.4.0.2231.3.0), which the connector requires');
    const foreignKey = await rejectionOf(
      loadConfiguredHierarchy({ ...baseConfig(), tslSigner: { ...tslSigner, key: 'file:etk-ra.key.pem?passphrase-env=CA_PASS' } }, { env: env() }),
    );
    expect(foreignKey.message).toMatch(/TSL signer: the key file:.*etk-ra\.key\.pem does not belong to the certificate/);
  });

  it('refuses a key that is not the certificate key', async () => {
    const config = baseConfig();
    const error = await rejectionOf(
      loadConfiguredHierarchy({ ...config, etkRa: { ...config.etkRa, key: 'file:issuing.key.pem?passphrase-env=CA_PASS' } }, { env: env() }),
    );
    expect(error.message).toMatch(/ETK-RA: the key file:.*issuing\.key\.pem does not belong to the certificate/);
  });

  it('refuses a signer that reports the right public key but signs with another private key', async () => {
    const certificate = parseCertificate(Buffer.from((await readFile(join(caDir, 'etk-ra.cert.pem'), 'utf8')).replace(/-----[A-Z ]+-----|\s/g, ''), 'base64'));
    const liar = { ...createKeyObjectSigner(generatePrivateKey('RSA'), 'lying token'), publicKeySpki: certificate.spkiDer, close: async () => undefined };
    await expect(assertSignerMatchesCertificate(liar, certificate, 'ETK-RA')).rejects.toThrow(
      /ETK-RA: the private key lying token does not match the certificate \(test signature does not verify\)/,
    );
  });

  it('a wrong passphrase fails, naming the key but never the passphrase', async () => {
    const error = await rejectionOf(loadConfiguredHierarchy(baseConfig(), { env: { CA_PASS: 'not-the-passphrase-123' } }));
    expect(error.message).toMatch(/issuing CA: cannot open key file:.*issuing\.key\.pem: .*cannot decrypt the key/);
    expect(`${error.message}${error.stack}`).not.toContain('not-the-passphrase-123');
    expect(`${error.message}${error.stack}`).not.toContain(passphrase);
  });

  it('checks the hierarchy: ETK-RA issued by the issuing CA, issuing CA chained to the root, CA flags', async () => {
    const config = baseConfig();
    await expect(
      loadConfiguredHierarchy({ ...config, etkRa: { certificate: 'citizen.cert.pem', key: 'file:citizen.key.pem?passphrase-env=CA_PASS' } }, { env: env() }),
    ).rejects.toThrow(/ETK-RA: not issued by the issuing CA/);
    await expect(loadConfiguredHierarchy({ ...config, root: { certificate: 'citizen.cert.pem' } }, { env: env() })).rejects.toThrow(
      /issuing CA chain: certificate 0 is not issued by certificate 1/,
    );
    await expect(loadConfiguredHierarchy({ ...config, root: { certificate: 'issuing.cert.pem' } }, { env: env() })).rejects.toThrow(
      /root: not a self-signed certificate/,
    );
    await expect(loadConfiguredHierarchy({ ...config, issuing: { certificate: 'etk-ra.cert.pem', key: config.etkRa.key } }, { env: env() })).rejects.toThrow(
      /issuing CA: not a CA certificate/,
    );
  });

  it('refuses expired or not yet valid CA certificates', async () => {
    await expect(loadConfiguredHierarchy(baseConfig(), { env: env(), now: new Date(Date.now() + 30 * 365 * 24 * 3600_000) })).rejects.toThrow(
      /root: certificate expired/,
    );
    await expect(loadConfiguredHierarchy(baseConfig(), { env: env(), now: new Date(Date.now() - 24 * 3600_000) })).rejects.toThrow(
      /root: certificate not valid before/,
    );
  });

  it('reports unreadable files clearly', async () => {
    await expect(loadConfiguredHierarchy({ ...baseConfig(), root: { certificate: 'absent.pem' } }, { env: env() })).rejects.toThrow(
      /root: cannot read .*absent\.pem \(ENOENT\)/,
    );
    await writeFile(join(caDir, 'garbage.pem'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    await expect(loadConfiguredHierarchy({ ...baseConfig(), root: { certificate: 'garbage.pem' } }, { env: env() })).rejects.toThrow(
      /garbage\.pem is not an X\.509 certificate/,
    );
    await expect(readCaConfigFile(join(caDir, 'missing.json'))).rejects.toThrow(/cannot read CA config/);
  });

  it('validates the config shape', () => {
    expect(() =>
      parseCaHierarchyConfig({ root: { certificate: 'r' }, issuing: { certificate: 'i' }, etkRa: { certificate: 'e', key: 'file:k?passphrase-env=P' } }),
    ).toThrow(/issuing\.key is required/);
    expect(() => parseCaHierarchyConfig({ root: { certificate: 'r' }, issuing: { certificate: 'i', key: 'file:k?passphrase-env=P' } })).toThrow(
      /etkRa is required/,
    );
    expect(() => parseCaHierarchyConfig({ ...validShape(), extra: 1 })).toThrow(/unknown field\(s\) extra/);
    expect(() => parseCaHierarchyConfig({ ...validShape(), publicationUrl: 'https://crl.example' })).toThrow(/http:\/\//);
    expect(() =>
      parseCaHierarchyConfig({ ...validShape(), issuing: { certificate: 'i', key: 'pkcs11:token=t;id=%01?module-path=/p.so&pin-value=1' } }),
    ).toThrow(/issuing\.key: .*pin-value is not accepted/);
    const parsed = parseCaHierarchyConfig({ ...validShape(), issuing: { certificate: 'i', key: 'pkcs11:token=CA;id=%0a?module-path=/p.so&pin-env=PIN' } });
    expect(parsed.issuing.key).toEqual({ kind: 'pkcs11', module: '/p.so', tokenLabel: 'CA', keyId: '0a', pinEnv: 'PIN' });
  });

  it('assertProductionCaConfigured: production needs certificates and key references; acceptance does not', () => {
    expect(() => assertProductionCaConfigured('production', undefined)).toThrow(/ENVIRONMENT=production needs CA_CONFIG_FILE/);
    expect(() => assertProductionCaConfigured('PRODUCTION', undefined)).toThrow(/needs CA_CONFIG_FILE/);
    expect(() => assertProductionCaConfigured('production', { ...parseCaHierarchyConfig(validShape()), etkRa: { certificate: 'e' } })).toThrow(
      /lacks etkRa\.key/,
    );
    expect(() => assertProductionCaConfigured('production', parseCaHierarchyConfig(validShape()))).not.toThrow();
    expect(() => assertProductionCaConfigured('acceptance', undefined)).not.toThrow();
    expect(() => assertProductionCaConfigured(undefined, undefined)).not.toThrow();
  });

  function validShape() {
    return {
      root: { certificate: 'r' },
      issuing: { certificate: 'i', key: 'file:k?passphrase-env=P' },
      etkRa: { certificate: 'e', key: { kind: 'file', path: 'k', passphraseFile: '/run/p' } },
    };
  }
});

describe('loadCaMaterial (server bootstrap)', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'load-ca-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('production without CA_CONFIG_FILE refuses to start and generates nothing', async () => {
    await expect(loadCaMaterial({ environment: 'production', caConfigFile: undefined, dataDir: join(directory, 'prod') })).rejects.toThrow(
      /ENVIRONMENT=production needs CA_CONFIG_FILE/,
    );
    await expect(readdir(join(directory, 'prod'))).rejects.toThrow(/ENOENT/);
  });

  it('acceptance without CA_CONFIG_FILE gets the development hierarchy, with a warning; with one, the configured CA', async () => {
    const warnings: string[] = [];
    const dev = await loadCaMaterial({
      environment: 'acceptance',
      caConfigFile: undefined,
      dataDir: join(directory, 'acc'),
      logger: { warn: (message) => warnings.push(message) },
    });
    await dev.close();
    expect(dev.development).toBe(true);
    expect(warnings[0]).toMatch(/DEVELOPMENT CA HIERARCHY/);
    // the development manifest is itself a CA config file (keys unlocked by the passphrase file beside them)
    const configured = await loadCaMaterial({
      environment: 'production',
      caConfigFile: join(directory, 'acc', 'ca', 'hierarchy.json'),
      dataDir: join(directory, 'unused'),
    });
    await configured.close();
    expect(configured.development).toBe(false);
    expect(configured.etkRa.cert.equals(dev.etkRa.cert)).toBe(true);
  });
});
