import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHierarchy, issueCertificate, testKeys, TEST_SSIN, type TestCredential, type TestHierarchy } from '../../../test/support/dsig-test-pki.js';
import { TrustStore } from '../../trust/index.js';
import { childElements, parseXmlStrict, XmlParseError, type Element } from '../parse.js';
import { canonicalizeExclusive } from './canonicalize.js';
import { verifyEnvelopedSignature, signEnveloped, type EnvelopedVerifyOptions } from './enveloped.js';
import { SignatureError } from './errors.js';
import type { DigestMethodName, SignatureMethodName } from './algorithms.js';

const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';
const CERTRA = 'urn:be:fgov:ehealth:certra:protocol:v2';
const now = new Date();

let rsa: TestHierarchy;
let trust: TrustStore;

beforeAll(async () => {
  rsa = await createHierarchy('rsa-2048');
  trust = new TrustStore({ anchors: [rsa.root.der] });
});

/** A CertRA-like request inside a SOAP envelope; the payload mixes prefixed, default-namespaced and unqualified content. */
function requestEnvelope(id = `_${randomUUID()}`, name = 'Alice'): string {
  return (
    `<SOAP-ENV:Envelope xmlns:SOAP-ENV="${SOAP}" xmlns:unused="urn:unused"><SOAP-ENV:Header/><SOAP-ENV:Body>` +
    `<ns2:GetCertificateInfoForCitizenRequest xmlns:ns2="${CERTRA}" xmlns="urn:be:fgov:ehealth:certra:core:v2" Id="${id}" IssueInstant="2026-11-22T10:00:00.000+01:00">` +
    `<ContactData><Name>${name} &amp; co &lt;x&gt;</Name><Email xmlns="">a@b.be</Email></ContactData>\n  ` +
    `<ns2:Ssin>${TEST_SSIN}</ns2:Ssin>` +
    `</ns2:GetCertificateInfoForCitizenRequest></SOAP-ENV:Body></SOAP-ENV:Envelope>`
  );
}

function payloadOf(xml: string): Element {
  const document = parseXmlStrict(xml);
  const body = childElements(document.documentElement!).find((e) => e.localName === 'Body')!;
  return childElements(body)[0]!;
}

function signRequest(
  signer: TestCredential,
  chain: TestCredential[],
  options: { signatureMethod?: SignatureMethodName; digestMethod?: DigestMethodName; xml?: string } = {},
): string {
  return signEnveloped(payloadOf(options.xml ?? requestEnvelope()), {
    key: signer.privateKey,
    certificateChain: [signer.der, ...chain.map((c) => c.der)],
    signatureMethod: options.signatureMethod,
    digestMethod: options.digestMethod,
  });
}

const verify = (xml: string, options: Partial<EnvelopedVerifyOptions> = {}) => verifyEnvelopedSignature(payloadOf(xml), { trust, at: now, ...options });

async function expectReason(xml: string, reason: string, options: Partial<EnvelopedVerifyOptions> = {}): Promise<SignatureError> {
  try {
    await verify(xml, options);
  } catch (error) {
    if (!(error instanceof SignatureError)) throw error;
    expect({ reason: error.reason, detail: error.detail }).toEqual({ reason, detail: expect.any(String) });
    return error;
  }
  throw new Error(`expected ${reason}, the signature verified`);
}

/** The digest a Reference would need for the request element as it stands in `xml` (an attacker can compute it). */
function digestOfRequest(xml: string, digest: 'sha256' | 'sha1' = 'sha256'): string {
  const payload = payloadOf(xml);
  const signature = childElements(payload).find((e) => e.localName === 'Signature');
  return createHash(digest)
    .update(canonicalizeExclusive(payload, { exclude: signature }))
    .digest('base64');
}

const digestValueOf = (xml: string): string => /<ds:DigestValue>([^<]*)<\/ds:DigestValue>/.exec(xml)![1]!;

describe('verifyEnvelopedSignature: accepted signatures', () => {
  test('rsa-sha256 / sha256 with the chain in X509Data (connector defaults)', async () => {
    const xml = signRequest(rsa.leaf, [rsa.intermediate, rsa.root]);
    const { signer, signedElement } = await verify(xml);
    expect(signer.subjectSerialNumber).toBe(TEST_SSIN);
    expect(signer.subjectDn).toContain(`SERIALNUMBER=${TEST_SSIN}`);
    expect(signer.certificate).toEqual(rsa.leaf.der);
    expect(signer.chain).toEqual([rsa.intermediate.der, rsa.root.der]);
    expect(signedElement.localName).toBe('GetCertificateInfoForCitizenRequest');
  });

  test('rsa-sha1 / sha1', async () => {
    const xml = signRequest(rsa.leaf, [rsa.intermediate], { signatureMethod: 'rsa-sha1', digestMethod: 'sha1' });
    expect(xml).toContain('xmldsig#rsa-sha1');
    await expect(verify(xml)).resolves.toBeDefined();
  });

  test.each([
    ['ec-p256', 'ecdsa-sha256'],
    ['ec-p384', 'ecdsa-sha384'],
  ] as const)('ECDSA %s / %s (eID cards with EC keys)', async (keyType, signatureMethod) => {
    const ec = await createHierarchy(keyType);
    const xml = signRequest(ec.leaf, [ec.intermediate], { signatureMethod });
    const { signer } = await verify(xml, { trust: new TrustStore({ anchors: [ec.root.der] }) });
    expect(signer.subjectSerialNumber).toBe(TEST_SSIN);
  });

  test('the signature is the last child, with an xmldsig- Id, and the request Id is generated when missing', async () => {
    const xml = signRequest(rsa.leaf, [rsa.intermediate], { xml: requestEnvelope().replace(/ Id="[^"]*"/, '') });
    const payload = payloadOf(xml);
    const id = payload.getAttribute('Id')!;
    expect(id).toMatch(/^_[0-9a-f-]{36}$/);
    const last = childElements(payload).at(-1)!;
    expect(last.localName).toBe('Signature');
    expect(last.getAttribute('Id')).toMatch(/^xmldsig-[0-9a-f-]{36}$/);
    expect(xml).toContain(`URI="#${id}"`);
    await expect(verify(xml)).resolves.toBeDefined();
  });

  test('a benign comment inside DigestValue that leaves the canonical SignedInfo unchanged is accepted', async () => {
    const xml = signRequest(rsa.leaf, [rsa.intermediate]);
    const digest = digestValueOf(xml);
    const split = xml.replace(digest, `${digest.slice(0, 10)}<!-- harmless -->${digest.slice(10)}`);
    await expect(verify(split)).resolves.toBeDefined();
  });

  test('base64 with line breaks and &#13; (Santuario style) is accepted', async () => {
    const xml = signRequest(rsa.leaf, [rsa.intermediate]);
    const wrapped = xml.replace(
      /(<ds:(?:SignatureValue|X509Certificate)>)([^<]+)</g,
      (_, open: string, b64: string) => `${open}${b64.replace(/(.{76})/g, '$1&#13;\n')}<`,
    );
    expect(wrapped).toContain('&#13;\n');
    await expect(verify(wrapped)).resolves.toBeDefined();
  });
});

describe('verifyEnvelopedSignature: interoperability', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dsig-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function pemFiles(credential: TestCredential, name: string): { key: string; cert: string } {
    const key = join(dir, `${name}.key.pem`);
    const cert = join(dir, `${name}.cert.pem`);
    writeFileSync(key, credential.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(cert, credential.pem);
    return { key, cert };
  }

  test.each([
    ['rsa-sha256', 'sha256'],
    ['rsa-sha1', 'sha1'],
  ] as const)('a request signed by python-xmlsec (%s / %s) verifies', async (signatureMethod, digestMethod) => {
    const leaf = pemFiles(rsa.leaf, 'leaf');
    const intermediate = pemFiles(rsa.intermediate, 'intermediate');
    const id = `_${randomUUID()}`;
    const signed = execFileSync(
      '/usr/bin/python3',
      [join(process.cwd(), 'test/support/xmlsec-sign-enveloped.py'), leaf.key, id, signatureMethod, digestMethod, leaf.cert, intermediate.cert],
      { input: requestEnvelope(id) },
    ).toString('utf8');
    expect(signed).toContain('<ds:X509Certificate>');
    const { signer } = await verify(signed);
    expect(signer.subjectSerialNumber).toBe(TEST_SSIN);
    // And the same bytes with one character of content changed do not.
    await expectReason(signed.replace('Alice', 'Alicf'), 'DIGEST_MISMATCH');
  });

  test('our enveloped signature verifies with xmlsec1', () => {
    const xml = signRequest(rsa.leaf, [rsa.intermediate]);
    const file = join(dir, 'signed.xml');
    writeFileSync(file, xml);
    const { cert } = pemFiles(rsa.leaf, 'leaf');
    const output = execFileSync('xmlsec1', ['--verify', '--id-attr:Id', `${CERTRA}:GetCertificateInfoForCitizenRequest`, '--pubkey-cert-pem', cert, file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(output.toString()).toBe('');
    writeFileSync(file, xml.replace('Alice', 'Alicf'));
    expect(() =>
      execFileSync('xmlsec1', ['--verify', '--id-attr:Id', `${CERTRA}:GetCertificateInfoForCitizenRequest`, '--pubkey-cert-pem', cert, file], {
        stdio: 'pipe',
      }),
    ).toThrow();
  });
});

describe('verifyEnvelopedSignature: refused signatures', () => {
  let signed: string;
  beforeAll(() => {
    signed = signRequest(rsa.leaf, [rsa.intermediate]);
  });

  test('stripped signature → MISSING', async () => {
    await expectReason(signed.replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, ''), 'MISSING');
  });

  test('tampered content → DIGEST_MISMATCH', async () => {
    await expectReason(signed.replace('Alice', 'Mallory'), 'DIGEST_MISMATCH');
    await expectReason(signed.replace(`<ns2:Ssin>${TEST_SSIN}`, '<ns2:Ssin>00000000097'), 'DIGEST_MISMATCH');
    await expectReason(signed.replace('IssueInstant="2026', 'IssueInstant="2027'), 'DIGEST_MISMATCH');
  });

  test('tampered content with a recomputed DigestValue → BAD_SIGNATURE_VALUE', async () => {
    const tampered = signed.replace('Alice', 'Mallory');
    await expectReason(tampered.replace(digestValueOf(signed), digestOfRequest(tampered)), 'BAD_SIGNATURE_VALUE');
  });

  test('DigestValue comment payload (CVE-2025-29775 style) → DIGEST_MISMATCH', async () => {
    const tampered = signed.replace('Alice', 'Mallory');
    const original = digestValueOf(signed);
    // The forged digest hides in a comment before the real text: a parser reading the first child would take it.
    await expectReason(tampered.replace(`>${original}<`, `><!--${digestOfRequest(tampered)}-->${original}<`), 'DIGEST_MISMATCH');
    // The other way round changes the canonical SignedInfo, so the SignatureValue breaks.
    await expectReason(tampered.replace(`>${original}<`, `><!--${original}-->${digestOfRequest(tampered)}<`), 'BAD_SIGNATURE_VALUE');
  });

  test('wrapping: the Signature moved into a forged request, the signed original hidden in a header → BAD_REFERENCE', async () => {
    const document = parseXmlStrict(signed);
    const original = payloadOf(signed);
    const [header, body] = childElements(document.documentElement!);
    const originalInDocument = childElements(body!)[0]!;
    const forged = originalInDocument.cloneNode(true) as Element;
    forged.setAttribute('Id', '_forged');
    const signature = childElements(originalInDocument).at(-1)!;
    originalInDocument.removeChild(signature);
    forged.removeChild(childElements(forged).at(-1)!);
    forged.appendChild(signature);
    body!.replaceChild(forged, originalInDocument);
    header!.appendChild(originalInDocument);
    expect(original.getAttribute('Id')).not.toBe('_forged');
    await expect(verifyEnvelopedSignature(forged, { trust, at: now })).rejects.toMatchObject({ reason: 'BAD_REFERENCE' });
  });

  test('wrapping: a forged request reusing the signed Id, the signed original (with its Signature) hidden in a header → MALFORMED', async () => {
    const document = parseXmlStrict(signed);
    const [header, body] = childElements(document.documentElement!);
    const original = childElements(body!)[0]!;
    const forged = original.cloneNode(true) as Element;
    forged.removeChild(childElements(forged).at(-1)!);
    body!.replaceChild(forged, original);
    header!.appendChild(original);
    await expect(verifyEnvelopedSignature(forged, { trust, at: now })).rejects.toMatchObject({ reason: 'MALFORMED' });
  });

  test('wrapping: the Signature moved into a forged request with the same Id, the original kept in a header → BAD_REFERENCE', async () => {
    const document = parseXmlStrict(signed);
    const [header, body] = childElements(document.documentElement!);
    const original = childElements(body!)[0]!;
    const forged = original.cloneNode(true) as Element;
    forged.removeChild(childElements(forged).at(-1)!);
    const signature = childElements(original).at(-1)!;
    original.removeChild(signature);
    forged.appendChild(signature);
    body!.replaceChild(forged, original);
    header!.appendChild(original); // same Id twice: the reference no longer designates one element
    await expect(verifyEnvelopedSignature(forged, { trust, at: now })).rejects.toMatchObject({ reason: 'BAD_REFERENCE' });
  });

  test('wrapping: the signed original nested inside a forged request → MALFORMED', async () => {
    const document = parseXmlStrict(signed);
    const body = childElements(document.documentElement!)[1]!;
    const original = childElements(body)[0]!;
    const forged = document.createElementNS(CERTRA, 'ns2:GetCertificateInfoForCitizenRequest');
    forged.setAttribute('Id', '_forged');
    body.replaceChild(forged, original);
    forged.appendChild(original);
    await expect(verifyEnvelopedSignature(forged, { trust, at: now })).rejects.toMatchObject({ reason: 'MALFORMED' });
  });

  test('two signatures → MALFORMED', async () => {
    const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(signed)![0];
    await expectReason(
      signed.replace('<SOAP-ENV:Header/>', `<SOAP-ENV:Header>${signature.replace(/Id="xmldsig-/, 'Id="other-')}</SOAP-ENV:Header>`),
      'MALFORMED',
    );
  });

  test('a second Signature anywhere, even after the Body → MALFORMED', async () => {
    const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(signed)![0];
    await expectReason(signed.replace('</SOAP-ENV:Body>', `</SOAP-ENV:Body>${signature.replace(/Id="xmldsig-/, 'Id="other-')}`), 'MALFORMED');
  });

  test('a signature that is not the last child → MALFORMED', async () => {
    await expectReason(signed.replace('</ds:Signature>', '</ds:Signature><Extra/>'), 'MALFORMED');
  });

  test('Reference to another Id → BAD_REFERENCE', async () => {
    const id = payloadOf(signed).getAttribute('Id')!;
    await expectReason(signed.replace(`URI="#${id}"`, 'URI="#_nowhere"'), 'BAD_REFERENCE');
    await expectReason(signed.replace(`URI="#${id}"`, 'URI=""'), 'BAD_REFERENCE');
    await expectReason(signed.replace(`URI="#${id}"`, `URI="#xpointer(id('${id}'))"`), 'BAD_REFERENCE');
  });

  test('an Id duplicated elsewhere in the document → BAD_REFERENCE', async () => {
    const id = payloadOf(signed).getAttribute('Id')!;
    await expectReason(signed.replace('<SOAP-ENV:Header/>', `<SOAP-ENV:Header><x:Other xmlns:x="urn:x" ID="${id}"/></SOAP-ENV:Header>`), 'BAD_REFERENCE');
  });

  test('a request element without Id → BAD_REFERENCE', async () => {
    await expectReason(signed.replace(/ Id="_[^"]*"/, ''), 'BAD_REFERENCE');
  });

  test.each([
    ['hmac-sha1 SignatureMethod', 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'http://www.w3.org/2000/09/xmldsig#hmac-sha1'],
    ['rsa-md5 SignatureMethod', 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'http://www.w3.org/2001/04/xmldsig-more#rsa-md5'],
    ['md5 DigestMethod', 'http://www.w3.org/2001/04/xmlenc#sha256', 'http://www.w3.org/2001/04/xmldsig-more#md5'],
    [
      'inclusive c14n',
      'CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"',
      'CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"',
    ],
    [
      'exc-c14n WithComments',
      'CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"',
      'CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#WithComments"',
    ],
  ])('disallowed algorithm (%s) → BAD_ALGORITHM', async (_, from, to) => {
    expect(signed).toContain(from);
    await expectReason(signed.replace(from, to), 'BAD_ALGORITHM');
  });

  test('a signature method outside allowedSignatureMethods → BAD_ALGORITHM', async () => {
    const sha1 = signRequest(rsa.leaf, [rsa.intermediate], { signatureMethod: 'rsa-sha1' });
    await expectReason(sha1, 'BAD_ALGORITHM', { allowedSignatureMethods: ['rsa-sha256'] });
  });

  test('a signature method that does not match the key type → BAD_ALGORITHM', async () => {
    const xml = signed.replace('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256');
    await expectReason(xml, 'BAD_ALGORITHM');
  });

  const ENVELOPED = '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>';
  const EXC = '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>';
  test.each([
    [
      'an XPath transform',
      `${ENVELOPED}${EXC}`,
      `<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>not(ancestor-or-self::x)</ds:XPath></ds:Transform>${ENVELOPED}${EXC}`,
    ],
    ['an XSLT transform', `${ENVELOPED}${EXC}`, `${ENVELOPED}<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116"/>${EXC}`],
    ['exc-c14n alone', `${ENVELOPED}${EXC}`, EXC],
    ['the transforms reversed', `${ENVELOPED}${EXC}`, `${EXC}${ENVELOPED}`],
    ['no Transforms at all', `<ds:Transforms>${ENVELOPED}${EXC}</ds:Transforms>`, ''],
  ])('%s → BAD_ALGORITHM or MALFORMED', async (name, from, to) => {
    expect(signed).toContain(from);
    await expectReason(signed.replace(from, to), name === 'no Transforms at all' ? 'MALFORMED' : 'BAD_ALGORITHM');
  });

  test('an Object inside the Signature → MALFORMED', async () => {
    await expectReason(signed.replace('</ds:KeyInfo>', '</ds:KeyInfo><ds:Object>x</ds:Object>'), 'MALFORMED');
  });

  test('KeyInfo without X509Data (KeyName) → MALFORMED', async () => {
    await expectReason(signed.replace(/<ds:KeyInfo>[\s\S]*<\/ds:KeyInfo>/, '<ds:KeyInfo><ds:KeyName>alice</ds:KeyName></ds:KeyInfo>'), 'MALFORMED');
  });

  test('KeyInfo holding more than one X509Data → MALFORMED', async () => {
    await expectReason(signed.replace('</ds:X509Data>', '</ds:X509Data><ds:KeyName>alice</ds:KeyName>'), 'MALFORMED');
  });

  test('SignatureValue that is not base64 → MALFORMED', async () => {
    await expectReason(signed.replace(/<ds:SignatureValue>[^<]*/, '<ds:SignatureValue>!!!notbase64'), 'MALFORMED');
  });

  test('an attribute hidden from canonicalisation (xmlns-like name) → MALFORMED', async () => {
    await expectReason(signed.replace('<ContactData>', '<ContactData xmlnsevil="1">'), 'MALFORMED');
  });

  test('attacker re-signature with a self-signed certificate → UNTRUSTED', async () => {
    const mallory = await issueCertificate({ subject: 'CN=Mallory, 2.5.4.5=85073003328, C=BE', keys: await testKeys('rsa-2048', 20) });
    const xml = signRequest(mallory, []);
    const error = await expectReason(xml, 'UNTRUSTED');
    expect(error.trustReason).toBe('UNTRUSTED');
    // Carrying the real chain after the attacker certificate does not help.
    await expectReason(signRequest(mallory, [rsa.intermediate, rsa.root]), 'UNTRUSTED');
  });

  test('a different trusted certificate put first in X509Data cannot be substituted for the signer', async () => {
    const bob = await issueCertificate({ subject: 'CN=Bob, 2.5.4.5=71010100163, C=BE', issuer: rsa.intermediate, keys: await testKeys('rsa-2048', 21) });
    const xml = signed.replace('<ds:X509Data>', `<ds:X509Data><ds:X509Certificate>${bob.der.toString('base64')}</ds:X509Certificate>`);
    await expectReason(xml, 'BAD_SIGNATURE_VALUE');
  });

  test('expired signer certificate → EXPIRED', async () => {
    const error = await expectReason(signed, 'EXPIRED', { at: new Date(now.getTime() + 400 * 24 * 3600_000) });
    expect(error.trustReason).toBe('EXPIRED');
    await expectReason(signed, 'EXPIRED', { at: new Date(now.getTime() - 2 * 24 * 3600_000) });
  });

  test('revoked signer certificate → REVOKED', async () => {
    await expectReason(signed, 'REVOKED', { revocation: async (cert) => (cert.der.equals(rsa.leaf.der) ? 'revoked' : 'good') });
  });

  test('requiredKeyUsage is passed to path validation → UNTRUSTED', async () => {
    const error = await expectReason(signed, 'UNTRUSTED', { requiredKeyUsage: ['keyEncipherment'] });
    expect(error.trustReason).toBe('KEY_USAGE');
  });

  test('a DOCTYPE is refused by the parser before any signature work', () => {
    const withDoctype = signed.replace('<SOAP-ENV:Envelope', '<!DOCTYPE x [<!ENTITY e "Alice">]><SOAP-ENV:Envelope');
    expect(() => parseXmlStrict(withDoctype)).toThrow(XmlParseError);
  });
});
