import { execFile } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { parseCertificate } from '../../x509/certificate.js';
import { issueHierarchyCertificate, loadOrCreateDevHierarchy, type CaMaterial } from '../hierarchy/index.js';
import { generatePrivateKey } from '../keys/file-key.js';
import { createKeyObjectSigner, type KeySigner } from '../keys/key-signer.js';
import { ehealthNaturalPerson } from '../profiles/builtin.js';
import { toPem } from '../x509/index.js';
import { SAMPLE_PERSON_SUBJECT } from '../issuance/testing.js';
import { buildEncryptionCertificate, buildEtk, parseEtk, type EtkContent } from './index.js';

const execFileAsync = promisify(execFile);

const PERSON_DN = SAMPLE_PERSON_SUBJECT;

describe('ETK (CMS SignedData)', () => {
  let directory: string;
  let ca: CaMaterial;
  let authSigner: KeySigner;
  let authCertificate: Buffer;
  let encryptionCertificate: Buffer;
  let content: EtkContent;
  let etk: Buffer;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'etk-test-'));
    ca = await loadOrCreateDevHierarchy(join(directory, 'data'));
    const authKey = generatePrivateKey('RSA');
    authSigner = createKeyObjectSigner(authKey, 'holder auth key');
    authCertificate = await issueHierarchyCertificate({
      profile: ehealthNaturalPerson,
      subject: PERSON_DN,
      subjectPublicKeySpki: authSigner.publicKeySpki,
      issuer: ca.issuing.fields,
      signer: ca.issuing.signer,
      notBefore: new Date(),
      crlUrl: ca.issuing.crlUrl,
      caIssuersUrl: ca.issuing.certificateUrl,
    });
    const encryptionKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
    encryptionCertificate = await buildEncryptionCertificate({
      authenticationCertificate: authCertificate,
      authenticationSigner: authSigner,
      encryptionPublicKeySpki: createPublicKey(encryptionKey.privateKey).export({ type: 'spki', format: 'der' }),
      serialNumber: Buffer.from('f1e2d3c4b5a697887766554433221100', 'hex'),
    });
    content = { encryptionCertificate, authenticationCertificate: authCertificate, authenticationChain: ca.issuingChain };
    etk = await buildEtk(content, { certificate: ca.etkRa.cert, signer: ca.etkRa.signer });
  });
  afterAll(async () => {
    await ca?.close();
    await rm(directory, { recursive: true, force: true });
  });

  async function opensslCms(etkDer: Buffer, caFile: Buffer[]): Promise<{ ok: boolean; output: string; content?: Buffer }> {
    const work = await mkdtemp(join(directory, 'cms-'));
    await writeFile(join(work, 'etk.der'), etkDer);
    await writeFile(join(work, 'ca.pem'), caFile.map((der) => toPem(der)).join(''));
    try {
      const { stdout, stderr } = await execFileAsync('openssl', [
        'cms',
        '-verify',
        '-inform',
        'DER',
        '-in',
        join(work, 'etk.der'),
        '-binary',
        '-CAfile',
        join(work, 'ca.pem'),
        '-purpose',
        'any',
        '-out',
        join(work, 'content.der'),
      ]);
      return { ok: true, output: `${stdout}${stderr}`, content: await readFile(join(work, 'content.der')) };
    } catch (error) {
      const failure = error as { stdout?: string; stderr?: string };
      return { ok: false, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
    }
  }

  it('openssl cms -verify accepts it against the root and outputs the encryption certificate', async () => {
    const result = await opensslCms(etk, [ca.root.cert]);
    expect(result.output).toContain('Verification successful');
    expect(result.ok).toBe(true);
    expect(result.content!.equals(encryptionCertificate)).toBe(true);
  });

  it('has the wire shape of §5: v1, sha256, id-data, ETK-RA + auth + chain, one SignerInfo without attributes, rsaEncryption', async () => {
    const work = await mkdtemp(join(directory, 'print-'));
    await writeFile(join(work, 'etk.der'), etk);
    const { stdout } = await execFileAsync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', join(work, 'etk.der')], {
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(stdout).toMatch(/contentType: pkcs7-signedData/);
    expect(stdout).toMatch(/d\.signedData:\s+version: 1/);
    expect(stdout).toMatch(/eContentType: pkcs7-data/);
    expect(stdout).toMatch(/signedAttrs:\s+<ABSENT>/);
    expect(stdout).toMatch(/unsignedAttrs:\s+<ABSENT>/);
    expect(stdout).toMatch(/crls:\s+<ABSENT>/);
    expect(stdout).toMatch(/signatureAlgorithm:\s+algorithm: rsaEncryption/);
    expect(stdout).toMatch(/digestAlgorithm:\s+algorithm: sha256/);
    expect(stdout).toMatch(/d\.issuerAndSerialNumber:/);
    // the same seen by an independent ASN.1 library
    const signedData = AsnConvert.parse(AsnConvert.parse(etk, ContentInfo).content, SignedData);
    expect(signedData.version).toBe(1);
    expect(signedData.digestAlgorithms.map((algorithm) => algorithm.algorithm)).toEqual(['2.16.840.1.101.3.4.2.1']);
    expect(signedData.certificates).toHaveLength(2 + ca.issuingChain.length);
    expect(signedData.signerInfos).toHaveLength(1);
    expect(signedData.signerInfos[0]!.signedAttrs).toBeUndefined();
    expect(signedData.signerInfos[0]!.unsignedAttrs).toBeUndefined();
    expect(signedData.signerInfos[0]!.signatureAlgorithm.algorithm).toBe('1.2.840.113549.1.1.1');
  });

  it('parseEtk round-trips: encryption, authentication (issuer of the encryption certificate), ETK-RA and chain', () => {
    const parsed = parseEtk(etk);
    expect(parsed.encryptionCertificate.equals(encryptionCertificate)).toBe(true);
    expect(parsed.authenticationCertificate.equals(authCertificate)).toBe(true);
    expect(parsed.etkRaCertificate.equals(ca.etkRa.cert)).toBe(true);
    expect(parsed.chain.map((der) => der.toString('hex'))).toEqual(ca.issuingChain.map((der) => der.toString('hex')));
    expect(parsed.certificates[0]!.equals(ca.etkRa.cert)).toBe(true);
    const auth = parseCertificate(authCertificate);
    expect(parsed.notBefore).toEqual(auth.notBefore); // §8: the ETK's validity is the authentication certificate's
    expect(parsed.notAfter).toEqual(auth.notAfter);
    expect(parsed.verify([ca.root.cert])).toEqual({ valid: true, problems: [] });
    // The real platform leaves the ETK-RA issuer out of the ETK; an anchor on that CA alone also works.
    expect(parsed.verify([ca.issuing.cert]).valid).toBe(true);
  });

  it('the encryption certificate is what the client builds: self-issued under the auth DN, KU keyEncipherment+dataEncipherment critical', async () => {
    const work = await mkdtemp(join(directory, 'enc-'));
    await writeFile(join(work, 'enc.pem'), toPem(encryptionCertificate));
    const { stdout } = await execFileAsync('openssl', ['x509', '-in', join(work, 'enc.pem'), '-noout', '-text', '-nameopt', 'RFC2253']);
    expect(stdout).toContain('Subject: CN=SSIN=85073003328,OU=eHealth-platform Belgium,OU=JAN TEST,OU=SSIN=85073003328,O=Federal Government,C=BE');
    expect(stdout).toContain('Issuer: CN=SSIN=85073003328,OU=eHealth-platform Belgium,OU=JAN TEST,OU=SSIN=85073003328,O=Federal Government,C=BE');
    expect(stdout).toMatch(/X509v3 Key Usage: critical\s+Key Encipherment, Data Encipherment/);
    // the challenge serial as a positive INTEGER: 0x00 || serial
    expect(parseCertificate(encryptionCertificate).serialNumberHex).toBe('00f1e2d3c4b5a697887766554433221100');
    const enc = parseCertificate(encryptionCertificate);
    const auth = parseCertificate(authCertificate);
    expect(enc.notBefore).toEqual(auth.notBefore);
    expect(enc.notAfter).toEqual(auth.notAfter);
    expect(enc.extensions?.map((extension) => extension.oid)).toEqual(['2.5.29.15']);
  });

  it('a tampered ETK fails openssl and verify()', async () => {
    const eContentAt = etk.indexOf(encryptionCertificate);
    const tamperedContent = Buffer.from(etk);
    tamperedContent[eContentAt + 200] ^= 0x01;
    expect((await opensslCms(tamperedContent, [ca.root.cert])).ok).toBe(false);
    const tamperedSignature = Buffer.from(etk);
    tamperedSignature[tamperedSignature.length - 10] ^= 0x01;
    const opensslResult = await opensslCms(tamperedSignature, [ca.root.cert]);
    expect(opensslResult.ok).toBe(false);
    expect(opensslResult.output).toMatch(/Verification failure|signature failure/i);
    const parsed = parseEtk(tamperedSignature);
    expect(parsed.verify([ca.root.cert])).toEqual({ valid: false, problems: ['the CMS signature does not verify with the ETK-RA certificate'] });
  });

  it('verify() refuses foreign anchors, expiry and an encryption certificate not signed by the authentication key', async () => {
    const parsed = parseEtk(etk);
    expect(parsed.verify([ca.citizenCa!.cert]).problems).toEqual([
      'ETK-RA certificate: no chain to a trust anchor',
      'authentication certificate: no chain to a trust anchor',
    ]);
    const later = new Date(parseCertificate(authCertificate).notAfter.getTime() + 1000);
    expect(parsed.verify([ca.root.cert], { now: later }).problems).toContain(`the encryption certificate is not valid at ${later.toISOString()}`);

    // same DN, but signed by some other key: the builder only checks the DN link, verify() checks the signature
    const impostor = createKeyObjectSigner(generatePrivateKey('RSA'), 'impostor');
    const forged = await buildEncryptionCertificate({
      authenticationCertificate: await issueHierarchyCertificate({
        profile: ehealthNaturalPerson,
        subject: PERSON_DN,
        subjectPublicKeySpki: impostor.publicKeySpki,
        issuer: ca.issuing.fields,
        signer: ca.issuing.signer,
        notBefore: new Date(),
        crlUrl: ca.issuing.crlUrl,
        caIssuersUrl: ca.issuing.certificateUrl,
      }),
      authenticationSigner: impostor,
      encryptionPublicKeySpki: impostor.publicKeySpki,
      serialNumber: randomBytes(16),
    });
    const forgedEtk = parseEtk(await buildEtk({ ...content, encryptionCertificate: forged }, { certificate: ca.etkRa.cert, signer: ca.etkRa.signer }));
    expect(forgedEtk.verify([ca.root.cert]).problems).toEqual(['the encryption certificate is not signed by the authentication key']);
  });

  it('does not repeat a certificate given twice', async () => {
    const repeated = await buildEtk(
      { ...content, authenticationChain: [...ca.issuingChain, authCertificate, ca.etkRa.cert] },
      { certificate: ca.etkRa.cert, signer: ca.etkRa.signer },
    );
    expect(parseEtk(repeated).certificates).toHaveLength(2 + ca.issuingChain.length);
  });

  it('buildEtk refuses mismatched inputs; parseEtk refuses what is not an ETK', async () => {
    await expect(buildEtk(content, { certificate: ca.etkRa.cert, signer: ca.issuing.signer })).rejects.toThrow(/does not hold the key/);
    await expect(buildEtk({ ...content, authenticationCertificate: ca.etkRa.cert }, { certificate: ca.etkRa.cert, signer: ca.etkRa.signer })).rejects.toThrow(
      /issuer is not the authentication certificate's subject/,
    );
    const ecSigner = createKeyObjectSigner(generatePrivateKey('EC-P256'), 'ec');
    await expect(buildEtk(content, { certificate: ca.etkRa.cert, signer: ecSigner })).rejects.toThrow(/must be RSA/);
    expect(() => parseEtk(encryptionCertificate)).toThrow(/not a CMS SignedData|not a valid ETK/);
    expect(() => parseEtk(Buffer.from('3000', 'hex'))).toThrow(/not a valid ETK/);
    // a SignerInfo naming a certificate the ETK does not carry
    const unknownSigner = Buffer.from(etk);
    unknownSigner[unknownSigner.lastIndexOf(ca.etkRa.fields.serialNumber) + 5] ^= 0xff; // the sid's copy of the serial
    expect(() => parseEtk(unknownSigner)).toThrow(/ETK-RA signer certificate named by the SignerInfo is not in the ETK/);
  });
});
