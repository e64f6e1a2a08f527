import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createSoftHsmToken, type SoftHsmToken } from '../../../test/support/softhsm.js';
import { type CaMaterial, DEV_TSL_SIGNER_SUBJECT, issueHierarchyCertificate, loadOrCreateDevHierarchy } from '../../ca/hierarchy/index.js';
import { generateTokenKeyPair, openPkcs11KeySigner, type Pkcs11KeySigner } from '../../ca/keys/pkcs11-key.js';
import { tslSigner } from '../../ca/profiles/builtin.js';
import { toPem } from '../../ca/x509/index.js';
import { parseCertificate } from '../../x509/certificate.js';
import { signEnveloped } from './xades-signature.js';

const run = promisify(execFile);
const env = { HSM_PIN: '9753' };

/** A trusted list signed on a PKCS#11 token (SoftHSM) with an EC P-256 key: xmlsec1 verifies the XAdES signature. */
describe('XAdES enveloped signature with the TSL signer key on a PKCS#11 token', () => {
  let directory: string;
  let token: SoftHsmToken;
  let ca: CaMaterial;
  let signer: Pkcs11KeySigner;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'xades-p11-'));
    token = await createSoftHsmToken({ label: 'tsl', pin: '9753' });
    const location = { module: token.modulePath, tokenLabel: 'tsl', pinEnv: 'HSM_PIN' };
    await generateTokenKeyPair(location, { algorithm: 'EC-P256', keyId: '07', keyLabel: 'tsl-signer' }, env);
    signer = await openPkcs11KeySigner({ ...location, keyLabel: 'tsl-signer' }, env);
    ca = await loadOrCreateDevHierarchy(join(directory, 'data'));
  }, 60_000);

  afterAll(async () => {
    await signer?.close();
    await ca?.close();
    await token?.cleanup();
    await rm(directory, { recursive: true, force: true });
  });

  it('signs on the token (ECDSA r||s in SignatureValue) and xmlsec1 verifies; a changed byte does not', async () => {
    const certificate = await issueHierarchyCertificate({
      profile: tslSigner,
      subject: DEV_TSL_SIGNER_SUBJECT,
      subjectPublicKeySpki: signer.publicKeySpki,
      issuer: parseCertificate(ca.issuing.cert),
      signer: ca.issuing.signer,
      notBefore: new Date(Date.now() - 60_000),
    });
    const xml =
      '<tsl:TrustServiceStatusList xmlns:tsl="http://uri.etsi.org/02231/v2#" TSLTag="http://uri.etsi.org/19612/TSLTag"><tsl:SchemeInformation><tsl:TSLSequenceNumber>3</tsl:TSLSequenceNumber></tsl:SchemeInformation></tsl:TrustServiceStatusList>';
    const signed = await signEnveloped(xml, { certificate, signer }, new Date());
    expect(signed).toContain('http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256');
    const certificateFile = join(directory, 'signer.pem');
    await writeFile(certificateFile, toPem(certificate));
    const verify = async (content: string) => {
      const file = join(directory, `list-${Math.random().toString(16).slice(2)}.xml`);
      await writeFile(file, content);
      return run('xmlsec1', ['--verify', '--pubkey-cert-pem', certificateFile, '--id-attr:Id', 'http://uri.etsi.org/01903/v1.3.2#:SignedProperties', file]);
    };
    expect((await verify(signed)).stderr).toContain('OK');
    await expect(verify(signed.replace('>3<', '>4<'))).rejects.toThrow(/verification failed|FAIL/i);
  });
});
