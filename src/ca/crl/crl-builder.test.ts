import { execFile } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { X509Crl } from '@peculiar/x509';
import { certtoolVerify, opensslVerify } from '../../../test/support/pki-tools.js';
import { parseCertificate } from '../../x509/certificate.js';
import { loadOrCreateDevHierarchy, mintCitizenIdentity, type CaMaterial, type CitizenIdentity } from '../hierarchy/index.js';
import { generatePrivateKey } from '../keys/file-key.js';
import { createKeyObjectSigner } from '../keys/key-signer.js';
import { toPem } from '../x509/index.js';
import { buildCrl, crlToPem, type RevokedCertificateEntry } from './crl-builder.js';

const execFileAsync = promisify(execFile);

describe('CRL builder', () => {
  let directory: string;
  let ca: CaMaterial;
  let alice: CitizenIdentity;
  let bob: CitizenIdentity;
  const thisUpdate = new Date();
  const nextUpdate = new Date(thisUpdate.getTime() + 7 * 24 * 3600 * 1000);

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'crl-test-'));
    ca = await loadOrCreateDevHierarchy(join(directory, 'data'));
    [alice, bob] = await Promise.all([
      mintCitizenIdentity({ ssin: '85073003328', givenName: 'Alice', surname: 'Peeters' }, ca.citizenCa!),
      mintCitizenIdentity({ ssin: '04031800277', givenName: 'Bob', surname: 'Janssens' }, ca.citizenCa!),
    ]);
  });
  afterAll(async () => {
    await ca?.close();
    await rm(directory, { recursive: true, force: true });
  });

  async function openssl(args: string[], files: Record<string, Buffer | string> = {}): Promise<string> {
    const work = await mkdtemp(join(directory, 'openssl-'));
    for (const [name, content] of Object.entries(files)) await writeFile(join(work, name), content);
    const { stdout, stderr } = await execFileAsync(
      'openssl',
      args.map((arg) => (arg.startsWith('@') ? join(work, arg.slice(1)) : arg)),
      { maxBuffer: 64 * 1024 * 1024 },
    );
    return `${stdout}${stderr}`;
  }

  const citizenCrl = (entries: RevokedCertificateEntry[], crlNumber: bigint | number = 42) =>
    buildCrl({ certificate: ca.citizenCa!.cert, signer: ca.citizenCa!.signer }, { thisUpdate, nextUpdate, crlNumber, entries });

  it('is a v2 CRL with CRL number, AKI, reason codes and invalidity date, signed by the issuer (openssl crl -text)', async () => {
    const alicesSerial = parseCertificate(alice.authentication.certificate).serialNumberHex;
    const der = await citizenCrl([
      { serialNumber: alicesSerial, revocationDate: thisUpdate, reason: 'keyCompromise', invalidityDate: new Date(thisUpdate.getTime() - 3600_000) },
      { serialNumber: 0x0abcdefn, revocationDate: thisUpdate, reason: 'affiliationChanged' },
      { serialNumber: Buffer.from('0102', 'hex'), revocationDate: thisUpdate, reason: 'superseded' },
      { serialNumber: '03', revocationDate: thisUpdate, reason: 'cessationOfOperation' },
      { serialNumber: '04', revocationDate: thisUpdate, reason: 'unspecified' },
    ]);
    const text = await openssl(['crl', '-inform', 'DER', '-in', '@crl.der', '-noout', '-text', '-CAfile', '@ca.pem', '-verify'], {
      'crl.der': der,
      'ca.pem': toPem(ca.citizenCa!.cert),
    });
    expect(text).toContain('verify OK');
    expect(text).toContain('Version 2 (0x1)');
    expect(text).toMatch(/X509v3 CRL Number:\s+42/);
    const ski = ca.citizenCa!.fields.subjectKeyIdentifier.toString('hex').toUpperCase().match(/../g)!.join(':');
    expect(text).toMatch(new RegExp(`X509v3 Authority Key Identifier:\\s+(keyid:)?${ski}`));
    expect(text).toContain('Issuer: C = BE, O = eHealth Platform Dev, CN = Test Citizen CA');
    expect(text).toContain(`Serial Number: ${alicesSerial.toUpperCase()}`);
    for (const reason of ['Key Compromise', 'Affiliation Changed', 'Superseded', 'Cessation Of Operation']) expect(text).toContain(reason);
    expect(text).toContain('Invalidity Date');
    expect(text).not.toContain('Unspecified'); // RFC 5280: the unspecified reason is left out
    expect(text).toMatch(/Serial Number: ABCDEF\n/);
    expect(der.includes(Buffer.from('020400abcdef', 'hex'))).toBe(true); // top bit set: a sign octet keeps it positive
    expect(text).toContain('Signature Algorithm: sha256WithRSAEncryption');
  });

  it('openssl verify -crl_check reports the revoked certificate as revoked and passes the other', async () => {
    const revokedSerial = parseCertificate(alice.signature.certificate).serialNumberHex;
    const der = await citizenCrl([{ serialNumber: revokedSerial, revocationDate: thisUpdate, reason: 'keyCompromise' }]);
    await expect(opensslVerify(alice.signature.certificate, ca.citizenCa!.cert, { crls: [der], crlCheck: 'leaf' })).rejects.toThrow(/certificate revoked/);
    await expect(opensslVerify(bob.signature.certificate, ca.citizenCa!.cert, { crls: [der], crlCheck: 'leaf' })).resolves.toMatch(/OK/);
    // the same CRL as PEM: the X509 CRL label is what openssl loads
    await expect(opensslVerify(alice.signature.certificate, ca.citizenCa!.cert, { crls: [crlToPem(der)], crlCheck: 'leaf' })).rejects.toThrow(
      /certificate revoked/,
    );
  });

  it('crl_check_all over root → issuing CA → ETK-RA with the root CRL and the issuing CA CRL', async () => {
    const rootCrl = await buildCrl({ certificate: ca.root.cert, signer: ca.root.signer! }, { thisUpdate, nextUpdate, crlNumber: 1, entries: [] });
    const issuingCrl = await buildCrl({ certificate: ca.issuing.cert, signer: ca.issuing.signer }, { thisUpdate, nextUpdate, crlNumber: 1, entries: [] });
    await expect(opensslVerify(ca.etkRa.cert, ca.root.cert, { untrusted: [ca.issuing.cert], crls: [rootCrl, issuingCrl], crlCheck: 'all' })).resolves.toMatch(
      /OK/,
    );
    const revoking = await buildCrl(
      { certificate: ca.issuing.cert, signer: ca.issuing.signer },
      { thisUpdate, nextUpdate, crlNumber: 2, entries: [{ serialNumber: ca.etkRa.fields.serialNumber, revocationDate: thisUpdate, reason: 'superseded' }] },
    );
    await expect(opensslVerify(ca.etkRa.cert, ca.root.cert, { untrusted: [ca.issuing.cert], crls: [rootCrl, revoking], crlCheck: 'all' })).rejects.toThrow(
      /certificate revoked/,
    );
  });

  it('certtool --crl-info and --verify-crl accept it, and certtool sees the revocation', async () => {
    const revokedSerial = parseCertificate(bob.authentication.certificate).serialNumberHex;
    const der = await citizenCrl([{ serialNumber: revokedSerial, revocationDate: thisUpdate, reason: 'affiliationChanged' }], 7);
    const work = await mkdtemp(join(directory, 'certtool-'));
    await writeFile(join(work, 'crl.pem'), crlToPem(der));
    await writeFile(join(work, 'ca.pem'), toPem(ca.citizenCa!.cert));
    const info = await execFileAsync('certtool', ['--crl-info', '--infile', join(work, 'crl.pem')]);
    expect(info.stdout).toMatch(/Version: 2/);
    expect(info.stdout).toMatch(/CRL Number \(not critical\):\s+07/);
    expect(info.stdout).toMatch(/Revoked certificates \(1\)/);
    const verified = await execFileAsync('certtool', ['--verify-crl', '--load-ca-certificate', join(work, 'ca.pem'), '--infile', join(work, 'crl.pem')]);
    expect(`${verified.stdout}${verified.stderr}`).toMatch(/Verified/);
    await expect(certtoolVerify([bob.authentication.certificate], ca.citizenCa!.cert, { crls: [der] })).rejects.toThrow(/revoked/i);
    await expect(certtoolVerify([alice.authentication.certificate], ca.citizenCa!.cert, { crls: [der] })).resolves.toMatch(/Verified/);
  });

  it('an empty CRL omits revokedCertificates and @peculiar/x509 parses and verifies it', async () => {
    const der = await citizenCrl([], 1);
    const crl = new X509Crl(der);
    expect(crl.entries).toHaveLength(0);
    expect(await crl.verify({ publicKey: await crlIssuerKey() })).toBe(true);
    const text = await openssl(['crl', '-inform', 'DER', '-in', '@crl.der', '-noout', '-text'], { 'crl.der': der });
    expect(text).toContain('No Revoked Certificates');
    expect(crlToPem(der)).toMatch(/^-----BEGIN X509 CRL-----\n[A-Za-z0-9+/=\n]+-----END X509 CRL-----\n$/);
  });

  it('builds a 100,000-entry CRL that openssl verifies and lists in full', async () => {
    const entries = (function* () {
      for (let index = 1; index <= 100_000; index += 1) {
        yield { serialNumber: BigInt(index) * 1_000_003n, revocationDate: thisUpdate, reason: index % 2 ? 'keyCompromise' : 'superseded' } as const;
      }
    })();
    const der = await citizenCrl([...entries], 100);
    const out = await openssl(['crl', '-inform', 'DER', '-in', '@crl.der', '-noout', '-text', '-crlnumber', '-CAfile', '@ca.pem', '-verify'], {
      'crl.der': der,
      'ca.pem': toPem(ca.citizenCa!.cert),
    });
    expect(out).toContain('verify OK');
    expect(out).toMatch(/crlNumber=0x64/);
    expect(out.match(/Serial Number: /g)).toHaveLength(100_000);
    expect(out).toContain(`Serial Number: ${(77_777n * 1_000_003n).toString(16).toUpperCase()}\n`);
  });

  it('refuses a signer that is not the issuer key, bad update times and oversized numbers', async () => {
    const stranger = createKeyObjectSigner(generatePrivateKey('RSA'), 'stranger');
    await expect(buildCrl({ certificate: ca.citizenCa!.cert, signer: stranger }, { thisUpdate, nextUpdate, crlNumber: 1, entries: [] })).rejects.toThrow(
      /does not hold the key/,
    );
    await expect(
      citizenCrl([], 1).then(() =>
        buildCrl({ certificate: ca.citizenCa!.cert, signer: ca.citizenCa!.signer }, { thisUpdate, nextUpdate: thisUpdate, crlNumber: 1, entries: [] }),
      ),
    ).rejects.toThrow(/nextUpdate/);
    await expect(citizenCrl([], 2n ** 160n)).rejects.toThrow(/20 octets/);
    await expect(citizenCrl([{ serialNumber: 'xyz', revocationDate: thisUpdate }])).rejects.toThrow(/hex/);
    await expect(citizenCrl([{ serialNumber: '01', revocationDate: thisUpdate, reason: 'bogus' as never }])).rejects.toThrow(/unknown revocation reason/);
    // an end-entity certificate (no cRLSign) cannot issue CRLs
    await expect(
      buildCrl({ certificate: alice.signature.certificate, signer: alice.signature.signer }, { thisUpdate, nextUpdate, crlNumber: 1, entries: [] }),
    ).rejects.toThrow(/cRLSign/);
  });

  async function crlIssuerKey(): Promise<webcrypto.CryptoKey> {
    return webcrypto.subtle.importKey('spki', ca.citizenCa!.fields.spkiDer, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['verify']);
  }
});
