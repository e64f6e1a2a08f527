import { execFile } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { certtoolVerify, opensslVerify } from '../../../test/support/pki-tools.js';
import { toPem } from '../x509/index.js';
import type { CaMaterial } from './ca-material.js';
import { parseCertificate } from '../../x509/certificate.js';
import { mintCitizenIdentity, type CitizenIdentity } from './citizen-identity.js';
import { loadOrCreateDevHierarchy } from './dev-hierarchy.js';

const execFileAsync = promisify(execFile);

describe('test citizen (eID-like) identities', () => {
  let directory: string;
  let ca: CaMaterial;
  let identity: CitizenIdentity;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'citizen-'));
    ca = await loadOrCreateDevHierarchy(join(directory, 'data'));
    identity = await mintCitizenIdentity({ ssin: '85073003328', givenName: 'Jan Pieter', surname: 'Van den Berg' }, ca.citizenCa!);
  });
  afterAll(async () => {
    await ca?.close();
    await rm(directory, { recursive: true, force: true });
  });

  async function describeCertificate(der: Buffer): Promise<string> {
    const path = join(directory, `${Math.random().toString(36).slice(2)}.pem`);
    await writeFile(path, toPem(der));
    const { stdout } = await execFileAsync('openssl', [
      'x509',
      '-in',
      path,
      '-noout',
      '-subject',
      '-issuer',
      '-ext',
      'keyUsage,extendedKeyUsage,basicConstraints,crlDistributionPoints',
      '-nameopt',
      'RFC2253',
    ]);
    return stdout;
  }

  it('issues Signature and Authentication certificates with eID subjects under the test citizen CA', async () => {
    const signature = await describeCertificate(identity.signature.certificate);
    expect(signature).toContain('subject=serialNumber=85073003328,GN=Jan Pieter,SN=Van den Berg,CN=Jan Pieter Van den Berg (Signature),C=BE');
    expect(signature).toContain('issuer=CN=Test Citizen CA,O=eHealth Platform Dev,C=BE');
    expect(signature).toMatch(/Key Usage: critical\s+Non Repudiation\n/);
    expect(signature).toContain('URI:http://localhost:8080/crl/citizen-ca.crl');
    const authentication = await describeCertificate(identity.authentication.certificate);
    expect(authentication).toContain('subject=serialNumber=85073003328,GN=Jan Pieter,SN=Van den Berg,CN=Jan Pieter Van den Berg (Authentication),C=BE');
    expect(authentication).toMatch(/Key Usage: critical\s+Digital Signature\n/);
    expect(authentication).toMatch(/Extended Key Usage:\s+TLS Web Client Authentication/);
    expect(identity.chain).toEqual([ca.citizenCa!.cert]);
  });

  it('chains to the citizen CA for openssl and certtool', async () => {
    await opensslVerify([identity.signature.certificate, identity.authentication.certificate], ca.citizenCa!.cert);
    await opensslVerify(identity.authentication.certificate, ca.citizenCa!.cert, { purpose: 'sslclient' });
    await certtoolVerify([identity.signature.certificate], ca.citizenCa!.cert);
    await expect(opensslVerify(identity.signature.certificate, ca.root.cert)).rejects.toThrow(/unable to get local issuer certificate/);
  });

  it('has one key per certificate, as on an eID card, and each key belongs to its certificate', () => {
    const signatureSpki = parseCertificate(identity.signature.certificate).spkiDer;
    const authenticationSpki = parseCertificate(identity.authentication.certificate).spkiDer;
    expect(signatureSpki.equals(authenticationSpki)).toBe(false);
    expect(createPublicKey(identity.signature.privateKey).export({ type: 'spki', format: 'der' }).equals(signatureSpki)).toBe(true);
    expect(identity.authentication.signer.publicKeySpki.equals(authenticationSpki)).toBe(true);
    expect(identity.signature.privateKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it('refuses an invalid SSIN and empty names', async () => {
    await expect(mintCitizenIdentity({ ssin: '85073003329', givenName: 'A', surname: 'B' }, ca.citizenCa!)).rejects.toThrow(/not a valid SSIN/);
    await expect(mintCitizenIdentity({ ssin: '85073003328', givenName: ' ', surname: 'B' }, ca.citizenCa!)).rejects.toThrow(/given name and surname/);
  });
});
