import { issue, prepareFromTemplate } from '../../src/ca/issuance/index.js';
import { createTestHierarchy, sharedTestKey, spkiOf, type TestCa } from '../../src/ca/issuance/testing.js';
import { organisationAuthentication } from '../../src/ca/profiles/builtin.js';
import { toPem } from '../../src/ca/x509/index.js';
import { certtoolVerify, opensslVerify } from './pki-tools.js';

/** The verification helpers must refuse what the tools refuse, or every test built on them proves nothing. */
describe('pki-tools', () => {
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  let root: TestCa;
  let issuing: TestCa;
  let otherRoot: TestCa;
  let leaf: Buffer;

  beforeAll(async () => {
    ({ root, issuing } = await createTestHierarchy({ now }));
    ({ root: otherRoot } = await createTestHierarchy({ now, rootKey: sharedTestKey('RSA-2048', 200) }));
    leaf = (
      await issue(
        await prepareFromTemplate({
          profile: organisationAuthentication,
          environment: 'acceptance',
          now,
          subject: [
            { type: 'C', value: 'BE' },
            { type: 'O', value: 'Federal Government' },
            { type: 'OU', value: 'CBE=0820563481' },
            { type: 'OU', value: 'eHealth-platform Belgium' },
            { type: 'CN', value: 'CBE=0820563481' },
          ],
          subjectPublicKeySpki: spkiOf(sharedTestKey('P-256')),
          issuer: issuing.issuer,
        }),
      )
    ).der;
  });

  it('accept a good chain given as DER or PEM', async () => {
    await expect(opensslVerify(toPem(leaf), toPem(root.certificateDer), { untrusted: [toPem(issuing.certificateDer)], purpose: 'sslclient' })).resolves.toMatch(
      /OK/,
    );
    await expect(certtoolVerify([leaf, issuing.certificateDer], root.certificateDer, { purposeOid: '1.3.6.1.5.5.7.3.2' })).resolves.toMatch(/Verified/);
  });

  it('openssl: refuses an untrusted root, a missing intermediate, a wrong purpose and an expired certificate', async () => {
    await expect(opensslVerify(leaf, otherRoot.certificateDer, { untrusted: [issuing.certificateDer] })).rejects.toThrow(
      /unable to get local issuer|verification failed/,
    );
    await expect(opensslVerify(leaf, root.certificateDer)).rejects.toThrow(/unable to get local issuer certificate/);
    await expect(opensslVerify(leaf, root.certificateDer, { untrusted: [issuing.certificateDer], purpose: 'sslserver' })).rejects.toThrow(
      /unsuitable certificate purpose/,
    );
    const later = new Date(now.getTime() + 13 * 31 * 86_400_000);
    await expect(opensslVerify(leaf, root.certificateDer, { untrusted: [issuing.certificateDer], at: later })).rejects.toThrow(/certificate has expired/);
  });

  it('openssl: every certificate passed must verify', async () => {
    await expect(opensslVerify([issuing.certificateDer, leaf], root.certificateDer)).rejects.toThrow(/refused/);
  });

  it('certtool: refuses an untrusted root and a wrong purpose', async () => {
    await expect(certtoolVerify([leaf, issuing.certificateDer], otherRoot.certificateDer)).rejects.toThrow(/refused/);
    await expect(certtoolVerify([leaf, issuing.certificateDer], root.certificateDer, { purposeOid: '1.3.6.1.5.5.7.3.1' })).rejects.toThrow(/refused/);
  });
});
