import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEtk } from '../../src/ca/etk/index.js';
import { toPem } from '../../src/ca/x509/index.js';
import { formatKeyId } from '../../src/domain/key-id.js';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { certificateRegistry } from '../../src/storage/certificate-registry.js';
import { etkRepository } from '../../src/storage/etk-repository.js';
import { CertRaClient, certificateChainOf, contractOf, mintPerson, runAdmin, signerOf } from '../support/certra-client.js';
import { getEtk, register, testSsin, type Holder } from '../support/etk-client.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

/**
 * Acceptance (issue #5): a fresh identity gets an eHealth authentication certificate from CertRA over SOAP (contract,
 * CSR signed with the citizen's eID, getCertificate), registers its ETK with EtkRA, is found by GetEtk over SOAP and
 * REST, receives a message encrypted with `openssl cms` to the ETK's certificate that only its key decrypts; after
 * CertRA revocation (revocation contract + revoke) GetEtk answers 404.
 */
describe('ETK lifecycle, end to end', () => {
  let t: TestPlatform;
  let dir: string;
  beforeAll(async () => {
    t = await startTestPlatform();
    dir = mkdtempSync(join(tmpdir(), 'etk-lifecycle-'));
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('certificate → EtkRA → GetEtk (SOAP, REST) → openssl cms encrypt / decrypt → revoke → 404', async () => {
    const ssin = testSsin(601);
    const person = await mintPerson(t, ssin, 'Marie', 'Lifecycle');
    // Acceptance: a registered test case makes CertRA validate the request automatically.
    await runAdmin(t, 'certra:test-case:add', { type: 'SSIN', id: ssin, 'responsible-ssin': ssin, description: 'ETK lifecycle' });
    const certRa = new CertRaClient(t);
    const requested = await certRa.requestCertificate(person, signerOf(person));
    expect(requested.response.outcome).toBe('Success');
    const issued = await certRa.getCertificate(requested.publicKeyIdentifier!);
    expect(issued.outcome).toBe('Success');
    const chain = certificateChainOf(issued);
    const leaf = new X509Certificate(chain[0]!);
    expect(leaf.publicKey.export({ type: 'spki', format: 'der' })).toEqual(createPublicKey(requested.key).export({ type: 'spki', format: 'der' }));
    const issuingKeyId = formatKeyId(t.platform.services.ca.issuing.fields.subjectKeyIdentifier);
    const record = await certificateRegistry.findBySerial(t.database.db, issuingKeyId, leaf.serialNumber);
    const holder: Holder = {
      dn: { type: 'SSIN', id: ssin, name: 'Marie Lifecycle' },
      dnString: requested.contract.dn,
      key: requested.key,
      certificate: chain[0]!,
      issued: {
        id: record!.id,
        der: leaf.raw,
        serialHex: record!.serialHex,
        subjectKeyIdentifierHex: record!.subjectKeyId,
        subjectDn: record!.subjectDn,
        notBefore: record!.notBefore,
        notAfter: record!.notAfter,
      },
      chain,
    };
    const registration = await register(t, holder);
    expect(registration.toBeActivated).toBe(false);

    const soap = await getEtk(t, [{ type: 'SSIN', value: ssin }]);
    expect({ code: soap.code, etk: soap.etk }).toEqual({ code: '200', etk: registration.etk });
    const rest = await t.app.inject({ method: 'GET', url: `/etkdepot/v1/etks?type=SSIN&value=${ssin}` });
    expect(rest.statusCode).toBe(200);
    expect(Buffer.from(rest.json().etk, 'base64')).toEqual(registration.etk);

    // OpenSSL reads the ETK as CMS SignedData, verifies it up to our root and hands back the encryption certificate.
    const file = (name: string, content: string | Buffer) => {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    };
    const etkFile = file('etk.der', soap.etk!);
    const root = file('root.pem', toPem(t.platform.services.ca.root.cert));
    const eContent = join(dir, 'econtent.der');
    execFileSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', etkFile, '-CAfile', root, '-purpose', 'any', '-out', eContent], {
      stdio: 'pipe',
    });
    const encryptionCertificate = parseEtk(soap.etk!).encryptionCertificate;
    expect(readFileSync(eContent)).toEqual(encryptionCertificate);

    const message = 'Résultat de laboratoire: confidentiel.\n';
    const recipient = file('recipient.pem', toPem(encryptionCertificate));
    const plain = file('message.txt', message);
    const encrypted = join(dir, 'message.p7m');
    execFileSync('openssl', ['cms', '-encrypt', '-binary', '-aes-256-cbc', '-in', plain, '-outform', 'DER', '-out', encrypted, recipient], { stdio: 'pipe' });
    const key = file('encryption.key.pem', registration.encryptionKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    const decrypted = execFileSync('openssl', ['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', encrypted, '-inkey', key, '-recip', recipient], {
      stdio: 'pipe',
    });
    expect(decrypted.toString('utf8')).toBe(message);
    // The authentication key is not the recipient: it cannot decrypt. OpenSSL's countermeasure against the
    // Bleichenbacher attack decrypts with a random key when the RSA unwrap fails, so about 1 time in 256 the CBC padding
    // happens to be valid and openssl exits 0 with garbage: what must never come out is the message.
    const wrongKey = file('auth.key.pem', holder.key.export({ type: 'pkcs8', format: 'pem' }) as string);
    let withWrongKey: Buffer | undefined;
    try {
      withWrongKey = execFileSync('openssl', ['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', encrypted, '-inkey', wrongKey], { stdio: 'pipe' });
    } catch {
      withWrongKey = undefined;
    }
    expect(withWrongKey?.toString('utf8')).not.toBe(message);

    const revocationContract = await certRa.generateRevocationContract(person, requested.publicKeyIdentifier!, 'keyCompromise');
    expect(revocationContract.outcome).toBe('Success');
    expect((await certRa.revoke(person, requested.publicKeyIdentifier!, contractOf(revocationContract))).outcome).toBe('Success');
    expect(await etkRepository.statusForCertificate(t.database.db, holder.issued.id, t.clock.now())).toBe('REVOKED');
    expect((await getEtk(t, [{ type: 'SSIN', value: ssin }])).code).toBe('404');
    expect((await t.app.inject({ method: 'GET', url: `/etkdepot/v1/etks?type=SSIN&value=${ssin}` })).statusCode).toBe(404);
  });
});
