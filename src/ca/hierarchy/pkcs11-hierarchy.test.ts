import { execFile } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { opensslVerify } from '../../../test/support/pki-tools.js';
import { createSoftHsmToken, type SoftHsmToken } from '../../../test/support/softhsm.js';
import { buildCrl } from '../crl/crl-builder.js';
import { buildEncryptionCertificate, buildEtk, parseEtk } from '../etk/index.js';
import { generatePrivateKey } from '../keys/file-key.js';
import { createKeyObjectSigner } from '../keys/key-signer.js';
import { generateTokenKeyPair, openPkcs11KeySigner, type Pkcs11KeySigner } from '../keys/pkcs11-key.js';
import { ehealthIssuingCa, ehealthNaturalPerson, etkRaSigner } from '../profiles/builtin.js';
import { toPem } from '../x509/index.js';
import type { CaMaterial } from './ca-material.js';
import { parseCertificate } from '../../x509/certificate.js';
import { loadConfiguredHierarchy, readCaConfigFile } from './configured-hierarchy.js';
import { DEV_ETK_RA_SUBJECT, loadOrCreateDevHierarchy } from './dev-hierarchy.js';
import { issueHierarchyCertificate } from './issue-ca-certificate.js';

const execFileAsync = promisify(execFile);

/**
 * The production shape on a real PKCS#11 token (SoftHSM): the issuing CA key (EC P-256, CKM_ECDSA) and the ETK-RA key
 * (RSA, CKM_SHA256_RSA_PKCS) are generated on the token, non-extractable; certificates, CRLs and ETKs signed there
 * are checked with openssl.
 */
describe('CA hierarchy with keys on a PKCS#11 token (SoftHSM)', () => {
  let directory: string;
  let token: SoftHsmToken;
  let ca: CaMaterial;
  let rootCrl: Buffer;
  const env = { HSM_PIN: '2468' };

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'pkcs11-ca-'));
    token = await createSoftHsmToken({ label: 'ehealth-ca', pin: '2468' });
    const tokenLocation = { module: token.modulePath, tokenLabel: token.label, pinEnv: 'HSM_PIN' };
    await generateTokenKeyPair(tokenLocation, { algorithm: 'EC-P256', keyId: '01', keyLabel: 'issuing-ca' }, env);
    await generateTokenKeyPair(tokenLocation, { algorithm: 'RSA', keyId: '02', keyLabel: 'etk-ra' }, env);

    // An offline root (a file key here), which certifies the token's issuing CA key.
    const dev = await loadOrCreateDevHierarchy(join(directory, 'dev'));
    const caDir = join(directory, 'ca');
    await mkdir(caDir);
    let issuingSigner: Pkcs11KeySigner | undefined;
    try {
      issuingSigner = await openPkcs11KeySigner({ ...tokenLocation, keyLabel: 'issuing-ca' }, env);
      const etkRaPublic = await openPkcs11KeySigner({ ...tokenLocation, keyId: '02' }, env);
      const etkRaSpki = etkRaPublic.publicKeySpki;
      await etkRaPublic.close();
      const issuing = await issueHierarchyCertificate({
        profile: ehealthIssuingCa,
        subject: [
          { type: 'C', value: 'BE' },
          { type: 'O', value: 'Federal Government' },
          { type: 'OU', value: 'eHealth-platform Belgium' },
          { type: 'CN', value: 'eHealth HSM Issuing CA' },
        ],
        subjectPublicKeySpki: issuingSigner.publicKeySpki,
        issuer: dev.root.fields,
        signer: dev.root.signer!,
        notBefore: new Date(Date.now() - 60_000),
        crlUrl: dev.root.crlUrl,
        caIssuersUrl: dev.root.certificateUrl,
      });
      // The ETK-RA certificate is signed on the token (ECDSA by the issuing CA key).
      const etkRa = await issueHierarchyCertificate({
        profile: etkRaSigner,
        subject: DEV_ETK_RA_SUBJECT,
        subjectPublicKeySpki: etkRaSpki,
        issuer: parseCertificate(issuing),
        signer: issuingSigner,
        notBefore: new Date(Date.now() - 60_000),
        crlUrl: 'http://localhost:8080/crl/issuing-ca.crl',
        caIssuersUrl: 'http://localhost:8080/ca/issuing-ca.crt',
      });
      await writeFile(join(caDir, 'root.pem'), toPem(dev.root.cert));
      await writeFile(join(caDir, 'issuing.pem'), toPem(issuing));
      await writeFile(join(caDir, 'etk-ra.pem'), toPem(etkRa));
      const now = new Date();
      rootCrl = await buildCrl(
        { certificate: dev.root.cert, signer: dev.root.signer! },
        { thisUpdate: now, nextUpdate: new Date(now.getTime() + 86_400_000), crlNumber: 1, entries: [] },
      );
    } finally {
      await issuingSigner?.close();
      await dev.close();
    }
    await writeFile(
      join(caDir, 'ca.json'),
      JSON.stringify({
        root: { certificate: 'root.pem' },
        issuing: { certificate: 'issuing.pem', key: `pkcs11:token=ehealth-ca;object=issuing-ca?module-path=${token.modulePath}&pin-env=HSM_PIN` },
        etkRa: { certificate: 'etk-ra.pem', key: { kind: 'pkcs11', module: token.modulePath, tokenLabel: 'ehealth-ca', keyId: '02', pinEnv: 'HSM_PIN' } },
      }),
    );
    ca = await loadConfiguredHierarchy(await readCaConfigFile(join(caDir, 'ca.json')), { env });
  });

  afterAll(async () => {
    await ca?.close();
    await token?.cleanup();
    await rm(directory, { recursive: true, force: true });
  });

  it('opens both CA keys from the token: sensitive, never extractable', () => {
    for (const signer of [ca.issuing.signer, ca.etkRa.signer]) {
      expect(signer.description).toMatch(/^pkcs11:token=ehealth-ca;/);
      expect((signer as unknown as Pkcs11KeySigner).keyAttributes).toEqual({
        sensitive: true,
        extractable: false,
        alwaysSensitive: true,
        neverExtractable: true,
      });
    }
    expect(ca.issuing.signer.keyAlgorithm).toBe('EC-P256');
    expect(ca.etkRa.signer.keyAlgorithm).toBe('RSA');
  });

  it('a certificate signed on the token verifies with openssl', async () => {
    await opensslVerify(ca.etkRa.cert, ca.root.cert, { untrusted: [ca.issuing.cert] });
    const holderKey = createKeyObjectSigner(generatePrivateKey('RSA'), 'holder');
    const holder = await issueHierarchyCertificate({
      profile: ehealthNaturalPerson,
      subject: personDn('85073003328'),
      subjectPublicKeySpki: holderKey.publicKeySpki,
      issuer: ca.issuing.fields,
      signer: ca.issuing.signer,
      notBefore: new Date(),
      crlUrl: ca.issuing.crlUrl,
      caIssuersUrl: ca.issuing.certificateUrl,
    });
    await opensslVerify(holder, ca.root.cert, { untrusted: [ca.issuing.cert], purpose: 'sslclient' });
  });

  it('a CRL signed on the token (ECDSA) verifies and revokes', async () => {
    const now = new Date();
    const crl = await buildCrl(
      { certificate: ca.issuing.cert, signer: ca.issuing.signer },
      {
        thisUpdate: now,
        nextUpdate: new Date(now.getTime() + 86_400_000),
        crlNumber: 5,
        entries: [{ serialNumber: ca.etkRa.fields.serialNumber, revocationDate: now, reason: 'keyCompromise' }],
      },
    );
    const work = await mkdtemp(join(directory, 'crl-'));
    await writeFile(join(work, 'crl.der'), crl);
    await writeFile(join(work, 'ca.pem'), toPem(ca.issuing.cert));
    const { stdout, stderr } = await execFileAsync('openssl', [
      'crl',
      '-inform',
      'DER',
      '-in',
      join(work, 'crl.der'),
      '-noout',
      '-text',
      '-CAfile',
      join(work, 'ca.pem'),
      '-verify',
    ]);
    expect(`${stdout}${stderr}`).toContain('verify OK');
    expect(stdout).toContain('Signature Algorithm: ecdsa-with-SHA256');
    await expect(opensslVerify(ca.etkRa.cert, ca.root.cert, { untrusted: [ca.issuing.cert], crls: [rootCrl, crl], crlCheck: 'all' })).rejects.toThrow(
      /certificate revoked/,
    );
  });

  it('an ETK signed on the token (RSA) verifies with openssl cms and parseEtk', async () => {
    const authKey = createKeyObjectSigner(generatePrivateKey('RSA'), 'holder auth');
    const authCertificate = await issueHierarchyCertificate({
      profile: ehealthNaturalPerson,
      subject: personDn('04031800277'),
      subjectPublicKeySpki: authKey.publicKeySpki,
      issuer: ca.issuing.fields,
      signer: ca.issuing.signer,
      notBefore: new Date(),
      crlUrl: ca.issuing.crlUrl,
      caIssuersUrl: ca.issuing.certificateUrl,
    });
    const encryptionKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const encryptionCertificate = await buildEncryptionCertificate({
      authenticationCertificate: authCertificate,
      authenticationSigner: authKey,
      encryptionPublicKeySpki: createPublicKey(encryptionKey).export({ type: 'spki', format: 'der' }),
      serialNumber: randomBytes(16),
    });
    const etk = await buildEtk(
      { encryptionCertificate, authenticationCertificate: authCertificate, authenticationChain: ca.issuingChain },
      { certificate: ca.etkRa.cert, signer: ca.etkRa.signer },
    );
    const work = await mkdtemp(join(directory, 'etk-'));
    await writeFile(join(work, 'etk.der'), etk);
    await writeFile(join(work, 'root.pem'), toPem(ca.root.cert));
    const { stderr } = await execFileAsync('openssl', [
      'cms',
      '-verify',
      '-inform',
      'DER',
      '-in',
      join(work, 'etk.der'),
      '-binary',
      '-CAfile',
      join(work, 'root.pem'),
      '-purpose',
      'any',
      '-out',
      join(work, 'content.der'),
    ]);
    expect(stderr).toContain('Verification successful');
    expect((await readFile(join(work, 'content.der'))).equals(encryptionCertificate)).toBe(true);
    expect(parseEtk(etk).verify([ca.root.cert])).toEqual({ valid: true, problems: [] });
  });
});

function personDn(ssin: string) {
  return [
    { type: 'C', value: 'BE' },
    { type: 'O', value: 'Federal Government' },
    { type: 'OU', value: `SSIN=${ssin}` },
    { type: 'OU', value: 'eHealth-platform Belgium' },
    { type: 'CN', value: `SSIN=${ssin}` },
  ] as const;
}
