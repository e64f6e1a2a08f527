import { createHierarchy, issueCertificate, testKeys, TEST_SSIN, x509, type TestHierarchy } from '../../test/support/dsig-test-pki.js';
import { parseCertificate } from '../x509/certificate.js';
import { TrustStore, type RevocationChecker } from './trust-store.js';

const now = new Date();
const DAY = 24 * 3600_000;

let rsa: TestHierarchy;

beforeAll(async () => {
  rsa = await createHierarchy('rsa-2048');
});

const storeOf = (h: TestHierarchy, options: Partial<ConstructorParameters<typeof TrustStore>[0]> = {}) => new TrustStore({ anchors: [h.root.der], ...options });

function expectFailure(result: Awaited<ReturnType<TrustStore['validate']>>, reason: string): void {
  if (result.ok) throw new Error(`expected ${reason}, the path validated`);
  expect(result.reason).toBe(reason);
}

describe('TrustStore path building', () => {
  test('leaf → intermediate (from the message) → anchor validates', async () => {
    const result = await storeOf(rsa).validate(rsa.leaf.der, { chain: [rsa.intermediate.der], at: now });
    if (!result.ok) throw new Error(result.detail);
    expect(result.path.map((c) => c.der)).toEqual([rsa.leaf.der, rsa.intermediate.der, rsa.root.der]);
    expect(result.anchor.der).toEqual(rsa.root.der);
    expect(result.leaf.subjectSerialNumber).toBe(TEST_SSIN);
  });

  test('the intermediate may come from the configured pool', async () => {
    const store = storeOf(rsa, { intermediates: [rsa.intermediate.pem] });
    expect((await store.validate(rsa.leaf.der, { at: now })).ok).toBe(true);
  });

  test('an anchor presented in the message is fine', async () => {
    const result = await storeOf(rsa).validate(rsa.leaf.der, { chain: [rsa.intermediate.der, rsa.root.der], at: now });
    expect(result.ok).toBe(true);
  });

  test('anchors can be given as a PEM bundle', async () => {
    const other = await issueCertificate({ subject: 'CN=Other Root, C=BE', keys: await testKeys('rsa-2048', 5), ca: true });
    const store = new TrustStore({ anchors: [other.pem + rsa.root.pem] });
    expect(store.anchors).toHaveLength(2);
    expect((await store.validate(rsa.leaf.der, { chain: [rsa.intermediate.der], at: now })).ok).toBe(true);
  });

  test('without the intermediate there is no path', async () => {
    expectFailure(await storeOf(rsa).validate(rsa.leaf.der, { at: now }), 'UNTRUSTED');
  });

  test('a self-signed certificate that is not an anchor is untrusted, even when it carries itself as chain', async () => {
    const selfSigned = await issueCertificate({ subject: 'CN=Mallory, C=BE', keys: await testKeys('rsa-2048', 6) });
    expectFailure(await storeOf(rsa).validate(selfSigned.der, { chain: [selfSigned.der], at: now }), 'UNTRUSTED');
  });

  test('a look-alike root and intermediate (same names, attacker keys) do not reach the anchor', async () => {
    const fakeRoot = await issueCertificate({ subject: rsa.root.certificate.subject, keys: await testKeys('rsa-2048', 7), ca: true });
    const fakeIntermediate = await issueCertificate({
      subject: rsa.intermediate.certificate.subject,
      issuer: fakeRoot,
      keys: await testKeys('rsa-2048', 8),
      ca: true,
    });
    const fakeLeaf = await issueCertificate({ subject: rsa.leaf.certificate.subject, issuer: fakeIntermediate, keys: await testKeys('rsa-2048', 9) });
    const result = await storeOf(rsa).validate(fakeLeaf.der, { chain: [fakeIntermediate.der, fakeRoot.der], at: now });
    expectFailure(result, 'UNTRUSTED');
  });

  test('a look-alike issuer without key identifiers is refused on its signature', async () => {
    const fakeIntermediate = await issueCertificate({
      subject: rsa.intermediate.certificate.subject,
      keys: await testKeys('rsa-2048', 8),
      ca: true,
      omitKeyIdentifiers: true,
    });
    const fakeLeaf = await issueCertificate({
      subject: 'CN=Mallory, C=BE',
      issuer: fakeIntermediate,
      keys: await testKeys('rsa-2048', 9),
      omitKeyIdentifiers: true,
    });
    // fakeIntermediate is self-signed under the intermediate's name: the real root must not verify it.
    const result = await storeOf(rsa, { intermediates: [rsa.intermediate.der] }).validate(fakeLeaf.der, { chain: [fakeIntermediate.der], at: now });
    expectFailure(result, 'BAD_SIGNATURE');
  });

  test('a certificate claiming the anchor as issuer (name and key identifier) but signed by another key is refused', async () => {
    const attacker = await testKeys('rsa-2048', 9);
    // AKI computed from the real root key, signature made with the attacker's key.
    const forger = { ...rsa.root, keys: { publicKey: rsa.root.keys.publicKey, privateKey: attacker.privateKey } };
    const forged = await issueCertificate({ subject: 'CN=Forged, C=BE', issuer: forger, keys: await testKeys('rsa-2048', 8) });
    expect(parseCertificate(forged.der).authorityKeyIdentifier).toEqual(parseCertificate(rsa.root.der).subjectKeyIdentifier);
    expectFailure(await storeOf(rsa).validate(forged.der, { at: now }), 'BAD_SIGNATURE');
  });

  test('a certificate whose signature was altered is refused', async () => {
    const tampered = Buffer.from(rsa.leaf.der);
    tampered[tampered.length - 5] ^= 0x01;
    expectFailure(await storeOf(rsa).validate(tampered, { chain: [rsa.intermediate.der], at: now }), 'BAD_SIGNATURE');
  });

  test('key identifiers pick the right issuer among same-name CAs (key rollover)', async () => {
    const oldIntermediate = await issueCertificate({
      subject: rsa.intermediate.certificate.subject,
      issuer: rsa.root,
      keys: await testKeys('rsa-2048', 10),
      ca: true,
    });
    const result = await storeOf(rsa).validate(rsa.leaf.der, { chain: [oldIntermediate.der, rsa.intermediate.der], at: now });
    if (!result.ok) throw new Error(result.detail);
    expect(result.path[1]!.der).toEqual(rsa.intermediate.der);
  });

  test('the leaf may not be an anchor itself', async () => {
    expectFailure(await storeOf(rsa).validate(rsa.root.der, { at: now }), 'UNTRUSTED');
  });

  test('garbage is MALFORMED', async () => {
    expectFailure(await storeOf(rsa).validate(Buffer.from('not a certificate'), { at: now }), 'MALFORMED');
  });

  test('an anchor that is not a CA is a configuration error', async () => {
    expect(() => new TrustStore({ anchors: [rsa.leaf.der] })).toThrow(/not a CA/);
  });

  test('too many certificates in the message are refused', async () => {
    const chain = Array.from({ length: 11 }, () => rsa.intermediate.der);
    expectFailure(await storeOf(rsa).validate(rsa.leaf.der, { chain, at: now }), 'MALFORMED');
  });
});

describe('TrustStore path checks', () => {
  test('validity is checked at the given instant, for every certificate', async () => {
    const store = storeOf(rsa);
    const chain = [rsa.intermediate.der];
    expectFailure(await store.validate(rsa.leaf.der, { chain, at: new Date(now.getTime() + 400 * DAY) }), 'EXPIRED');
    expectFailure(await store.validate(rsa.leaf.der, { chain, at: new Date(now.getTime() - 2 * DAY) }), 'NOT_YET_VALID');
  });

  test('an expired intermediate fails the path although the leaf is valid', async () => {
    const expiredIntermediate = await issueCertificate({
      subject: 'CN=Expired CA, C=BE',
      issuer: rsa.root,
      keys: await testKeys('rsa-2048', 11),
      ca: true,
      notBefore: new Date(now.getTime() - 30 * DAY),
      notAfter: new Date(now.getTime() - DAY),
    });
    const leaf = await issueCertificate({ subject: 'CN=Bob, C=BE', issuer: expiredIntermediate, keys: await testKeys('rsa-2048', 12) });
    expectFailure(await storeOf(rsa).validate(leaf.der, { chain: [expiredIntermediate.der], at: now }), 'EXPIRED');
  });

  test('an issuer that is not a CA cannot extend the path', async () => {
    const notCa = await issueCertificate({ subject: 'CN=Not a CA, C=BE', issuer: rsa.root, keys: await testKeys('rsa-2048', 11), ca: false });
    const leaf = await issueCertificate({ subject: 'CN=Bob, C=BE', issuer: notCa, keys: await testKeys('rsa-2048', 12) });
    expectFailure(await storeOf(rsa).validate(leaf.der, { chain: [notCa.der], at: now }), 'NOT_A_CA');
  });

  test('an intermediate without basicConstraints is not a CA', async () => {
    const noBc = await issueCertificate({
      subject: 'CN=No BC, C=BE',
      issuer: rsa.root,
      keys: await testKeys('rsa-2048', 11),
      omitBasicConstraints: true,
      keyUsage: x509.KeyUsageFlags.keyCertSign,
    });
    const leaf = await issueCertificate({ subject: 'CN=Bob, C=BE', issuer: noBc, keys: await testKeys('rsa-2048', 12) });
    expectFailure(await storeOf(rsa).validate(leaf.der, { chain: [noBc.der], at: now }), 'NOT_A_CA');
  });

  test('a CA without keyCertSign cannot sign certificates', async () => {
    const crlOnly = await issueCertificate({
      subject: 'CN=CRL only, C=BE',
      issuer: rsa.root,
      keys: await testKeys('rsa-2048', 11),
      ca: true,
      keyUsage: x509.KeyUsageFlags.cRLSign,
    });
    const leaf = await issueCertificate({ subject: 'CN=Bob, C=BE', issuer: crlOnly, keys: await testKeys('rsa-2048', 12) });
    expectFailure(await storeOf(rsa).validate(leaf.der, { chain: [crlOnly.der], at: now }), 'NOT_A_CA');
  });

  test('pathLenConstraint is enforced', async () => {
    // rsa.intermediate has pathLength 0: a second intermediate below it is one too many.
    const sub = await issueCertificate({ subject: 'CN=Sub CA, C=BE', issuer: rsa.intermediate, keys: await testKeys('rsa-2048', 11), ca: true });
    const leaf = await issueCertificate({ subject: 'CN=Bob, C=BE', issuer: sub, keys: await testKeys('rsa-2048', 12) });
    expectFailure(await storeOf(rsa).validate(leaf.der, { chain: [sub.der, rsa.intermediate.der], at: now }), 'PATH_TOO_LONG');
  });

  test('the anchor pathLenConstraint applies too', async () => {
    const root = await issueCertificate({ subject: 'CN=Strict Root, C=BE', keys: await testKeys('rsa-2048', 13), ca: true, pathLength: 0 });
    const intermediate = await issueCertificate({ subject: 'CN=Strict CA, C=BE', issuer: root, keys: await testKeys('rsa-2048', 11), ca: true });
    const leaf = await issueCertificate({ subject: 'CN=Bob, C=BE', issuer: intermediate, keys: await testKeys('rsa-2048', 12) });
    const store = new TrustStore({ anchors: [root.der] });
    expectFailure(await store.validate(leaf.der, { chain: [intermediate.der], at: now }), 'PATH_TOO_LONG');
    const direct = await issueCertificate({ subject: 'CN=Carol, C=BE', issuer: root, keys: await testKeys('rsa-2048', 12) });
    expect((await store.validate(direct.der, { at: now })).ok).toBe(true);
  });

  test('maxIntermediates bounds path building', async () => {
    const store = storeOf(rsa, { maxIntermediates: 0 });
    expectFailure(await store.validate(rsa.leaf.der, { chain: [rsa.intermediate.der], at: now }), 'PATH_TOO_LONG');
  });

  test('requiredKeyUsage applies to the leaf', async () => {
    const store = storeOf(rsa);
    const chain = [rsa.intermediate.der];
    expect((await store.validate(rsa.leaf.der, { chain, at: now, requiredKeyUsage: ['nonRepudiation'] })).ok).toBe(true);
    expectFailure(await store.validate(rsa.leaf.der, { chain, at: now, requiredKeyUsage: ['keyEncipherment'] }), 'KEY_USAGE');
    const noKu = await issueCertificate({ subject: 'CN=No KU, C=BE', issuer: rsa.intermediate, keys: await testKeys('rsa-2048', 12), omitKeyUsage: true });
    expectFailure(await store.validate(noKu.der, { chain, at: now, requiredKeyUsage: ['digitalSignature'] }), 'KEY_USAGE');
  });

  test('an unknown critical extension is refused', async () => {
    const leaf = await issueCertificate({
      subject: 'CN=Bob, C=BE',
      issuer: rsa.intermediate,
      keys: await testKeys('rsa-2048', 12),
      extraExtensions: [new x509.Extension('1.3.6.1.4.1.99999.1', true, new Uint8Array([0x05, 0x00]))],
    });
    expectFailure(await storeOf(rsa).validate(leaf.der, { chain: [rsa.intermediate.der], at: now }), 'UNSUPPORTED_CRITICAL_EXTENSION');
  });

  test('RSA keys below 2048 bits are refused', async () => {
    const weak = await issueCertificate({ subject: 'CN=Weak, C=BE', issuer: rsa.intermediate, keyType: 'rsa-1024', keys: await testKeys('rsa-1024', 0) });
    expectFailure(await storeOf(rsa).validate(weak.der, { chain: [rsa.intermediate.der], at: now }), 'WEAK_KEY');
  });

  test('SHA-1 and SHA-512 RSA certificate signatures verify', async () => {
    for (const hash of ['SHA-1', 'SHA-512'] as const) {
      const leaf = await issueCertificate({ subject: `CN=${hash}, C=BE`, issuer: rsa.intermediate, keys: await testKeys('rsa-2048', 12), hash });
      const result = await storeOf(rsa).validate(leaf.der, { chain: [rsa.intermediate.der], at: now });
      expect(result.ok).toBe(true);
    }
  });

  test.each(['ec-p256', 'ec-p384'] as const)('an ECDSA %s hierarchy validates', async (keyType) => {
    const ec = await createHierarchy(keyType);
    const result = await storeOf(ec).validate(ec.leaf.der, { chain: [ec.intermediate.der], at: now });
    if (!result.ok) throw new Error(result.detail);
  });

  test('an EC key on a curve outside the allowed set is refused', async () => {
    const p521 = await issueCertificate({ subject: 'CN=P521, C=BE', issuer: rsa.intermediate, keyType: 'ec-p521', keys: await testKeys('ec-p521', 0) });
    expectFailure(await storeOf(rsa).validate(p521.der, { chain: [rsa.intermediate.der], at: now }), 'WEAK_KEY');
  });
});

describe('TrustStore revocation', () => {
  test('the checker is asked for every certificate below the anchor, leaf first, with its issuer', async () => {
    const asked: string[] = [];
    const revocation: RevocationChecker = async (cert, issuer) => {
      asked.push(`${cert.subjectDn} <- ${issuer.subjectDn}`);
      return 'good';
    };
    const result = await storeOf(rsa).validate(rsa.leaf.der, { chain: [rsa.intermediate.der], at: now, revocation });
    expect(result.ok).toBe(true);
    expect(asked).toEqual([
      `${parseCertificate(rsa.leaf.der).subjectDn} <- ${parseCertificate(rsa.intermediate.der).subjectDn}`,
      `${parseCertificate(rsa.intermediate.der).subjectDn} <- ${parseCertificate(rsa.root.der).subjectDn}`,
    ]);
  });

  test.each([
    ['revoked', 'REVOKED'],
    ['unknown', 'REVOCATION_UNKNOWN'],
  ] as const)('%s → %s', async (status, reason) => {
    const revocation: RevocationChecker = async (cert) => (cert.der.equals(rsa.intermediate.der) ? status : 'good');
    expectFailure(await storeOf(rsa).validate(rsa.leaf.der, { chain: [rsa.intermediate.der], at: now, revocation }), reason);
  });

  test('a failing checker fails closed', async () => {
    const revocation: RevocationChecker = async () => {
      throw new Error('OCSP responder down');
    };
    expectFailure(await storeOf(rsa).validate(rsa.leaf.der, { chain: [rsa.intermediate.der], at: now, revocation }), 'REVOCATION_UNKNOWN');
  });
});
