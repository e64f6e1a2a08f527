import { execFileSync } from 'node:child_process';
import { createHash, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLSerializer } from '@xmldom/xmldom';
import { createHierarchy, issueCertificate, testKeys, TEST_SSIN, type TestCredential, type TestHierarchy } from '../../../test/support/dsig-test-pki.js';
import { TrustStore } from '../../trust/index.js';
import { childElements, descendantsNamed, parseXmlStrict, type Document, type Element } from '../parse.js';
import { DSIG_NS, SIGNATURE_METHODS, type DigestMethodName, type SignatureMethodName } from './algorithms.js';
import { canonicalizeExclusive } from './canonicalize.js';
import { WsSecurityError } from './errors.js';
import { signCanonical } from './signing.js';
import { BASE64_BINARY, SOAP11_NS, WSSE_NS, WSU_NS, X509_SKI, X509V3_TOKEN } from './ws-security-constants.js';
import { signEnvelopeWsSecurity, signSoapPayload } from './ws-security-sign.js';
import { verifyWsSecurity, verifyWsSecurityXml, type WsSecurityVerifyOptions } from './ws-security-verify.js';

const ETKDEPOT = 'urn:be:fgov:ehealth:etkdepot:1_0:protocol';
const now = new Date();
const MINUTE = 60_000;

let rsa: TestHierarchy;
let trust: TrustStore;

beforeAll(async () => {
  rsa = await createHierarchy('rsa-2048');
  // WS-Security carries only the signer certificate: intermediates come from the configured pool.
  trust = new TrustStore({ anchors: [rsa.root.der], intermediates: [rsa.intermediate.der] });
});

const ENVELOPE =
  `<soapenv:Envelope xmlns:soapenv="${SOAP11_NS}"><soapenv:Header/><soapenv:Body>` +
  `<ns2:GetEtkRequest xmlns:ns2="${ETKDEPOT}"><SearchCriteria><Identifier><Type>CBE</Type><Value>0809394427</Value>` +
  `<ApplicationID/></Identifier></SearchCriteria></ns2:GetEtkRequest></soapenv:Body></soapenv:Envelope>`;

function signEnvelope(
  signer: TestCredential = rsa.leaf,
  options: {
    signatureMethod?: SignatureMethodName;
    digestMethod?: DigestMethodName;
    signBst?: boolean;
    now?: Date;
    ttl?: number;
    mustUnderstand?: boolean;
    xml?: string;
  } = {},
): string {
  return signEnvelopeWsSecurity(options.xml ?? ENVELOPE, {
    key: signer.privateKey,
    certificate: signer.der,
    signatureMethod: options.signatureMethod,
    digestMethod: options.digestMethod,
    signBinarySecurityToken: options.signBst,
    mustUnderstand: options.mustUnderstand ?? false,
    timestampTtlSeconds: options.ttl ?? 60,
    now: options.now,
  });
}

const verify = (xml: string, options: Partial<WsSecurityVerifyOptions> = {}) => verifyWsSecurityXml(xml, { trust, at: now, ...options });

async function expectReason(xml: string, reason: string, options: Partial<WsSecurityVerifyOptions> = {}): Promise<WsSecurityError> {
  try {
    await verify(xml, options);
  } catch (error) {
    if (!(error instanceof WsSecurityError)) throw error;
    expect({ reason: error.reason, detail: error.detail }).toEqual({ reason, detail: expect.any(String) });
    return error;
  }
  throw new Error(`expected ${reason}, the envelope verified`);
}

const one = (document: Document, ns: string, local: string): Element => descendantsNamed(document, ns, local)[0]!;

/**
 * Applies `mutate` to a signed envelope, then recomputes every resolvable DigestValue and the SignatureValue with
 * `key`: the result is validly signed, so a refusal can only come from the rule under test.
 */
function mutateAndResign(xml: string, key: KeyObject, mutate: (document: Document) => void): string {
  const document = parseXmlStrict(xml);
  mutate(document);
  const signedInfo = one(document, DSIG_NS, 'SignedInfo');
  for (const reference of descendantsNamed(signedInfo, DSIG_NS, 'Reference')) {
    const id = reference.getAttribute('URI')!.slice(1);
    const target = [
      ...descendantsNamed(document, SOAP11_NS, 'Body'),
      ...descendantsNamed(document, WSU_NS, 'Timestamp'),
      ...descendantsNamed(document, WSSE_NS, 'BinarySecurityToken'),
    ].find((e) => e.getAttributeNS(WSU_NS, 'Id') === id);
    if (!target) continue;
    const digestMethod = one(reference as unknown as Document, DSIG_NS, 'DigestMethod')
      .getAttribute('Algorithm')!
      .endsWith('sha1')
      ? 'sha1'
      : 'sha256';
    const digestValue = one(reference as unknown as Document, DSIG_NS, 'DigestValue');
    digestValue.textContent = createHash(digestMethod).update(canonicalizeExclusive(target)).digest('base64');
  }
  const uri = one(signedInfo as unknown as Document, DSIG_NS, 'SignatureMethod').getAttribute('Algorithm')!;
  const method = (Object.keys(SIGNATURE_METHODS) as SignatureMethodName[]).find((m) => SIGNATURE_METHODS[m].uri === uri) ?? 'rsa-sha256';
  one(document, DSIG_NS, 'SignatureValue').textContent = signCanonical(method, key, canonicalizeExclusive(signedInfo)).toString('base64');
  return new XMLSerializer().serializeToString(document);
}

describe('WS-Security: accepted envelopes', () => {
  test('rsa-sha256 / sha256: Body and Timestamp signed, the signed Body is returned', async () => {
    const result = await verify(signEnvelope());
    expect(result.signer.subjectSerialNumber).toBe(TEST_SSIN);
    expect(result.signer.chain).toEqual([rsa.intermediate.der, rsa.root.der]);
    expect(result.body.localName).toBe('Body');
    expect(result.bodyCanonical).toMatch(
      /^<soapenv:Body xmlns:soapenv="[^"]+" xmlns:wsu="[^"]+" wsu:Id="id-[^"]+"><ns2:GetEtkRequest xmlns:ns2="urn:be:fgov:ehealth:etkdepot:1_0:protocol">/,
    );
    expect(result.signedBinarySecurityToken).toBe(false);
    expect(Math.abs(result.timestamp.created.getTime() - now.getTime())).toBeLessThan(10_000);
    expect(result.timestamp.expires.getTime() - result.timestamp.created.getTime()).toBe(60_000);
  });

  test('rsa-sha1 / sha1 (Basic256, SHA1Feature)', async () => {
    const xml = signEnvelope(rsa.leaf, { signatureMethod: 'rsa-sha1', digestMethod: 'sha1' });
    expect(xml).toContain('xmldsig#rsa-sha1');
    await expect(verify(xml)).resolves.toBeDefined();
  });

  test('ecdsa-sha256 with a P-256 certificate', async () => {
    const ec = await createHierarchy('ec-p256');
    const ecTrust = new TrustStore({ anchors: [ec.root.der], intermediates: [ec.intermediate.der] });
    const result = await verify(signEnvelope(ec.leaf), { trust: ecTrust });
    expect(result.signer.subjectSerialNumber).toBe(TEST_SSIN);
  });

  test('signature over the BST too (WSS4J ProtectTokens)', async () => {
    const xml = signEnvelope(rsa.leaf, { signBst: true });
    expect((xml.match(/<ds:Reference /g) ?? []).length).toBe(3);
    expect((await verify(xml)).signedBinarySecurityToken).toBe(true);
  });

  test('mustUnderstand is set only on request; the header is Timestamp, BST, Signature', () => {
    const without = parseXmlStrict(signEnvelope());
    const security = one(without, WSSE_NS, 'Security');
    expect(security.getAttributeNS(SOAP11_NS, 'mustUnderstand')).toBeFalsy();
    expect(childElements(security).map((e) => e.localName)).toEqual(['Timestamp', 'BinarySecurityToken', 'Signature']);
    const withFlag = one(parseXmlStrict(signEnvelope(rsa.leaf, { mustUnderstand: true })), WSSE_NS, 'Security');
    expect(withFlag.getAttributeNS(SOAP11_NS, 'mustUnderstand')).toBe('1');
  });

  test('an envelope using SOAP as its default namespace, with mustUnderstand', async () => {
    const xml = signEnvelope(rsa.leaf, {
      mustUnderstand: true,
      xml: `<Envelope xmlns="${SOAP11_NS}"><Body><ns2:GetEtkRequest xmlns:ns2="${ETKDEPOT}"/></Body></Envelope>`,
    });
    expect(one(parseXmlStrict(xml), WSSE_NS, 'Security').getAttributeNS(SOAP11_NS, 'mustUnderstand')).toBe('1');
    await expect(verify(xml)).resolves.toBeDefined();
  });

  test('an envelope without Header gets one', async () => {
    const xml = signEnvelope(rsa.leaf, { xml: ENVELOPE.replace('<soapenv:Header/>', '') });
    await expect(verify(xml)).resolves.toBeDefined();
  });

  test('signature placed before the BST, wsu:Id with another prefix, line-wrapped base64', async () => {
    const renamed = signEnvelope(rsa.leaf, { signBst: true })
      .replace(/xmlns:wsu=/g, 'xmlns:ns3=')
      .replace(/wsu:(Id|Timestamp|Created|Expires)/g, 'ns3:$1');
    const xml = mutateAndResign(renamed, rsa.leaf.privateKey, (document) => {
      const security = one(document, WSSE_NS, 'Security');
      security.insertBefore(one(document, DSIG_NS, 'Signature'), security.firstChild); // where zeep puts it
      const token = one(document, WSSE_NS, 'BinarySecurityToken');
      token.textContent = token.textContent!.replace(/(.{64})/g, '$1\n');
    });
    expect(xml).not.toContain('wsu:');
    expect(xml).toMatch(/<wsse:Security[^>]*><ds:Signature/);
    const result = await verify(xml);
    expect(result.signedBinarySecurityToken).toBe(true);
    expect(result.bodyCanonical).toContain('ns3:Id=');
  });

  test.each([
    ['X509v3', X509V3_TOKEN],
    ['SubjectKeyIdentifier', X509_SKI],
  ])('KeyInfo as a %s KeyIdentifier designating the BST', async (_, valueType) => {
    const { parseCertificate } = await import('../../x509/certificate.js');
    const value = valueType === X509_SKI ? parseCertificate(rsa.leaf.der).subjectKeyIdentifier!.toString('base64') : rsa.leaf.der.toString('base64');
    const xml = signEnvelope().replace(
      /<wsse:Reference [^>]*\/>/,
      `<wsse:KeyIdentifier EncodingType="${BASE64_BINARY}" ValueType="${valueType}">${value}</wsse:KeyIdentifier>`,
    );
    expect(xml).toContain('KeyIdentifier');
    await expect(verify(xml)).resolves.toBeDefined();
  });
});

describe('WS-Security: interoperability', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'wss-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each([
    ['rsa-sha256', 'sha256'],
    ['rsa-sha1', 'sha1'],
  ] as const)('our envelope (%s / %s) verifies with xmlsec1, and a tampered copy does not', (signatureMethod, digestMethod) => {
    const cert = join(dir, 'server.pem');
    writeFileSync(cert, rsa.leaf.pem);
    const file = join(dir, 'response.xml');
    const args = ['--verify', '--id-attr:Id', `${SOAP11_NS}:Body`, '--id-attr:Id', `${WSU_NS}:Timestamp`, '--pubkey-cert-pem', cert, file];
    const xml = signEnvelope(rsa.leaf, { signatureMethod, digestMethod });
    writeFileSync(file, xml);
    execFileSync('xmlsec1', args, { stdio: 'pipe' });
    writeFileSync(file, xml.replace('0809394427', '0809394428'));
    expect(() => execFileSync('xmlsec1', args, { stdio: 'pipe' })).toThrow();
  });

  test.each([
    ['rsa-sha256', 'sha256'],
    ['rsa-sha1', 'sha1'],
  ] as const)('an envelope signed by zeep (%s / %s) verifies', async (signatureMethod, digestMethod) => {
    const key = join(dir, 'client.key.pem');
    const cert = join(dir, 'client.pem');
    writeFileSync(key, rsa.leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(cert, rsa.leaf.pem);
    const signed = execFileSync(
      '/usr/bin/python3',
      [join(process.cwd(), 'test/support/zeep-sign-envelope.py'), key, cert, signatureMethod, digestMethod, '300'],
      {
        input: ENVELOPE,
      },
    ).toString('utf8');
    expect(signed).toContain('<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">');
    expect(signed).toMatch(/ns\d:Id=/);
    const result = await verify(signed);
    expect(result.signer.subjectSerialNumber).toBe(TEST_SSIN);
    await expectReason(signed.replace('0809394427', '0809394428'), 'DIGEST_MISMATCH');
  });
});

describe('WS-Security: signSoapPayload (responses signed without re-parsing the envelope)', () => {
  // Unqualified children under a prefixed parent, a default namespace, escaped text and attributes, non-ASCII text,
  // a carriage return and a long base64 text (an ETK): every case c14n treats specially.
  const payload =
    `<dep:GetEtkResponse xmlns:dep="${ETKDEPOT}" xmlns:core="urn:be:fgov:ehealth:commons:1_0:core" Id="_r1">` +
    `<core:Status><Code>200</Code><Message Lang="EN">a &amp; b &lt; c &gt; d &#13; é "q"</Message></core:Status>` +
    `<x:Extra xmlns:x="urn:x" xmlns="urn:default" b="2" a="1 &amp; &quot;&#10;"><Inner/></x:Extra>` +
    `<dep:ETK>${Buffer.alloc(6000, 7).toString('base64')}</dep:ETK></dep:GetEtkResponse>`;
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'wss-payload-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each([
    ['rsa-sha256', 'sha256'],
    ['rsa-sha1', 'sha1'],
  ] as const)('verifies with our verifier and with xmlsec1 (%s / %s); tampering is caught', async (signatureMethod, digestMethod) => {
    const xml = signSoapPayload(payload, {
      key: rsa.leaf.privateKey,
      certificate: rsa.leaf.der,
      signatureMethod,
      digestMethod,
      mustUnderstand: false,
      timestampTtlSeconds: 60,
      now,
    });
    const result = await verify(xml);
    expect(result.signer.subjectSerialNumber).toBe(TEST_SSIN);
    expect(xml).not.toContain('mustUnderstand');
    expect(childElements(result.body)[0]!.getAttribute('Id')).toBe('_r1');
    // The payload is sent as built: a carriage return in text and a line feed in an attribute survive (a DOM
    // serialiser writes them raw, and the receiver's parser then normalises them away, breaking the digest).
    expect(result.bodyCanonical).toContain('d &#xD; é');
    expect(result.bodyCanonical).toContain('a="1 &amp; &quot;&#xA;"');
    const cert = join(dir, 'server.pem');
    writeFileSync(cert, rsa.leaf.pem);
    const file = join(dir, 'response.xml');
    const args = ['--verify', '--id-attr:Id', `${SOAP11_NS}:Body`, '--id-attr:Id', `${WSU_NS}:Timestamp`, '--pubkey-cert-pem', cert, file];
    writeFileSync(file, xml);
    execFileSync('xmlsec1', args, { stdio: 'pipe' });
    const tampered = xml.replace('<Code>200</Code>', '<Code>404</Code>');
    writeFileSync(file, tampered);
    expect(() => execFileSync('xmlsec1', args, { stdio: 'pipe' })).toThrow();
    await expectReason(tampered, 'DIGEST_MISMATCH');
  });

  it('signs with ECDSA P-256 keys', async () => {
    const ec = await createHierarchy('ec-p256');
    const ecTrust = new TrustStore({ anchors: [ec.root.der], intermediates: [ec.intermediate.der] });
    const xml = signSoapPayload(payload, { key: ec.leaf.privateKey, certificate: ec.leaf.der, mustUnderstand: false, timestampTtlSeconds: 60, now });
    expect(xml).toContain(SIGNATURE_METHODS['ecdsa-sha256'].uri);
    await expect(verifyWsSecurityXml(xml, { trust: ecTrust, at: now })).resolves.toMatchObject({ signer: { subjectSerialNumber: TEST_SSIN } });
  });
});

describe('WS-Security: refused envelopes', () => {
  let signed: string;
  beforeAll(() => {
    signed = signEnvelope();
  });

  test('stripped signature → MISSING', async () => {
    await expectReason(signed.replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, ''), 'MISSING');
  });

  test('no Security header → MISSING', async () => {
    await expectReason(ENVELOPE, 'MISSING');
  });

  test('tampered Body → DIGEST_MISMATCH', async () => {
    await expectReason(signed.replace('0809394427', '0809394428'), 'DIGEST_MISMATCH');
  });

  test('tampered Timestamp → DIGEST_MISMATCH', async () => {
    const expires = /<wsu:Expires>([^<]+)</.exec(signed)![1]!;
    await expectReason(signed.replace(expires, new Date(Date.parse(expires) + 3600_000).toISOString()), 'DIGEST_MISMATCH');
  });

  test('wrapping: the signed Body moved into a header wrapper and a new Body → MALFORMED', async () => {
    const document = parseXmlStrict(signed);
    const [header, body] = childElements(document.documentElement!);
    const wrapper = document.createElementNS('urn:attacker', 'x:Wrapper');
    header!.appendChild(wrapper);
    document.documentElement!.removeChild(body!);
    wrapper.appendChild(body!);
    const evil = parseXmlStrict(`<soapenv:Body xmlns:soapenv="${SOAP11_NS}"><ns2:GetEtkRequest xmlns:ns2="${ETKDEPOT}">EVIL</ns2:GetEtkRequest></soapenv:Body>`)
      .documentElement!;
    document.documentElement!.appendChild(document.importNode(evil, true));
    await expectReason(new XMLSerializer().serializeToString(document), 'MALFORMED');
  });

  test('wrapping: a second Body with the same wsu:Id → MALFORMED', async () => {
    const body = /<soapenv:Body[\s\S]*<\/soapenv:Body>/.exec(signed)![0];
    await expectReason(signed.replace('</wsse:Security>', `</wsse:Security><x:W xmlns:x="urn:x">${body}</x:W>`), 'MALFORMED');
  });

  test('two Signatures → MALFORMED', async () => {
    const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(signed)![0];
    await expectReason(signed.replace('</wsse:Security>', `${signature.replace(/Id="SIG-/, 'Id="SIG2-')}</wsse:Security>`), 'MALFORMED');
  });

  test('two Timestamps → MALFORMED', async () => {
    const xml = signed.replace(
      '</wsse:Security>',
      `<wsu:Timestamp><wsu:Created>2000-01-01T00:00:00Z</wsu:Created><wsu:Expires>2100-01-01T00:00:00Z</wsu:Expires></wsu:Timestamp></wsse:Security>`,
    );
    await expectReason(xml, 'MALFORMED');
  });

  test('no Timestamp → MALFORMED', async () => {
    await expectReason(signed.replace(/<wsu:Timestamp[\s\S]*<\/wsu:Timestamp>/, ''), 'MALFORMED');
  });

  test('a Signature or Timestamp outside the Security header → MALFORMED', async () => {
    for (const name of ['Signature', 'Timestamp'] as const) {
      const document = parseXmlStrict(signed);
      const element = one(document, name === 'Signature' ? DSIG_NS : WSU_NS, name);
      one(document, SOAP11_NS, 'Header').appendChild(element); // still in the Header, no longer in Security
      await expectReason(new XMLSerializer().serializeToString(document), 'MALFORMED');
    }
  });

  test('an unknown element in the Security header → MALFORMED', async () => {
    await expectReason(
      signed.replace('</wsse:Security>', '<wsse:UsernameToken><wsse:Username>x</wsse:Username></wsse:UsernameToken></wsse:Security>'),
      'MALFORMED',
    );
  });

  test('Body before Header → MALFORMED', async () => {
    const document = parseXmlStrict(signed);
    const [header] = childElements(document.documentElement!);
    document.documentElement!.appendChild(header!);
    await expectReason(new XMLSerializer().serializeToString(document), 'MALFORMED');
  });

  test('a validly signed envelope whose signature omits the Timestamp → BAD_REFERENCE', async () => {
    const xml = mutateAndResign(signed, rsa.leaf.privateKey, (document) => {
      const timestampId = one(document, WSU_NS, 'Timestamp').getAttributeNS(WSU_NS, 'Id');
      const reference = descendantsNamed(document, DSIG_NS, 'Reference').find((r) => r.getAttribute('URI') === `#${timestampId}`)!;
      reference.parentNode!.removeChild(reference);
    });
    await expectReason(xml, 'BAD_REFERENCE');
  });

  test('a validly signed envelope whose signature omits the Body → BAD_REFERENCE', async () => {
    const xml = mutateAndResign(signed, rsa.leaf.privateKey, (document) => {
      const bodyId = one(document, SOAP11_NS, 'Body').getAttributeNS(WSU_NS, 'Id');
      const reference = descendantsNamed(document, DSIG_NS, 'Reference').find((r) => r.getAttribute('URI') === `#${bodyId}`)!;
      reference.parentNode!.removeChild(reference);
    });
    await expectReason(xml, 'BAD_REFERENCE');
  });

  test('Reference to a non-existent Id → BAD_REFERENCE', async () => {
    const bodyId = /soapenv:Body [^>]*wsu:Id="([^"]+)"/.exec(signed)![1]!;
    await expectReason(signed.replace(`URI="#${bodyId}"`, 'URI="#id-nowhere"'), 'BAD_REFERENCE');
  });

  test('Reference to an element that is neither Body, Timestamp nor BST → BAD_REFERENCE', async () => {
    const xml = mutateAndResign(signed, rsa.leaf.privateKey, (document) => {
      const header = one(document, SOAP11_NS, 'Header');
      const extra = document.createElementNS('urn:x', 'x:To');
      extra.setAttributeNS(WSU_NS, 'wsu:Id', 'to-1');
      header.appendChild(extra);
      const reference = descendantsNamed(document, DSIG_NS, 'Reference')[0]!.cloneNode(true) as Element;
      reference.setAttribute('URI', '#to-1');
      one(document, DSIG_NS, 'SignedInfo').appendChild(reference);
    });
    await expectReason(xml, 'BAD_REFERENCE');
  });

  test('a duplicated Id → BAD_REFERENCE', async () => {
    const timestampId = /wsu:Timestamp [^>]*wsu:Id="([^"]+)"/.exec(signed)![1]!;
    await expectReason(signed.replace('<soapenv:Header>', `<soapenv:Header><x:Decoy xmlns:x="urn:x" Id="${timestampId}"/>`), 'BAD_REFERENCE');
  });

  test('the same Id referenced twice → BAD_REFERENCE', async () => {
    const xml = mutateAndResign(signed, rsa.leaf.privateKey, (document) => {
      const reference = descendantsNamed(document, DSIG_NS, 'Reference')[0]!;
      reference.parentNode!.appendChild(reference.cloneNode(true));
    });
    await expectReason(xml, 'BAD_REFERENCE');
  });

  test.each([
    ['hmac-sha1', 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'http://www.w3.org/2000/09/xmldsig#hmac-sha1'],
    ['rsa-md5', 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'http://www.w3.org/2001/04/xmldsig-more#rsa-md5'],
    ['md5 digest', 'http://www.w3.org/2001/04/xmlenc#sha256', 'http://www.w3.org/2001/04/xmldsig-more#md5'],
    ['ecdsa-sha384 (not in the WS-Security set)', 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384'],
  ])('disallowed algorithm %s → BAD_ALGORITHM', async (_, from, to) => {
    expect(signed).toContain(from);
    await expectReason(signed.replace(from, to), 'BAD_ALGORITHM');
  });

  test.each([
    ['an XPath transform', '<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>1</ds:XPath></ds:Transform>'],
    ['an XSLT transform', '<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116"/>'],
    ['an enveloped-signature transform', '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'],
  ])('%s → BAD_ALGORITHM', async (_, transform) => {
    await expectReason(signed.replace('<ds:Transforms>', `<ds:Transforms>${transform}`), 'BAD_ALGORITHM');
  });

  test('KeyInfo with X509Data instead of an STR → BAD_KEY_INFO', async () => {
    const xml = signed.replace(
      /<ds:KeyInfo>[\s\S]*<\/ds:KeyInfo>/,
      `<ds:KeyInfo><ds:X509Data><ds:X509Certificate>${rsa.leaf.der.toString('base64')}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>`,
    );
    await expectReason(xml, 'BAD_KEY_INFO');
  });

  test('an STR pointing outside this Security header → BAD_KEY_INFO', async () => {
    const xml = signed
      .replace(
        '<soapenv:Header>',
        `<soapenv:Header><x:Elsewhere xmlns:x="urn:x"><wsse:BinarySecurityToken xmlns:wsse="${WSSE_NS}" xmlns:wsu="${WSU_NS}" wsu:Id="X509-elsewhere" ValueType="${X509V3_TOKEN}">${rsa.leaf.der.toString('base64')}</wsse:BinarySecurityToken></x:Elsewhere>`,
      )
      .replace(/(<wsse:Reference [^>]*URI=")#X509-[^"]+"/, '$1#X509-elsewhere"');
    await expectReason(xml, 'BAD_KEY_INFO');
  });

  test('a KeyIdentifier that matches two BSTs → BAD_KEY_INFO', async () => {
    const token = /<wsse:BinarySecurityToken[\s\S]*?<\/wsse:BinarySecurityToken>/.exec(signed)![0];
    const xml = signed
      .replace(token, `${token}${token.replace(/wsu:Id="[^"]+"/, 'wsu:Id="X509-copy"')}`)
      .replace(/<wsse:Reference [^>]*\/>/, `<wsse:KeyIdentifier ValueType="${X509V3_TOKEN}">${rsa.leaf.der.toString('base64')}</wsse:KeyIdentifier>`);
    await expectReason(xml, 'BAD_KEY_INFO');
  });

  test('KeyInfo holding more than the STR → BAD_KEY_INFO', async () => {
    await expectReason(signed.replace('</wsse:SecurityTokenReference>', '</wsse:SecurityTokenReference><ds:KeyName>x</ds:KeyName>'), 'BAD_KEY_INFO');
  });

  test('a KeyIdentifier that matches no BST → BAD_KEY_INFO', async () => {
    const xml = signed.replace(
      /<wsse:Reference [^>]*\/>/,
      `<wsse:KeyIdentifier ValueType="${X509V3_TOKEN}">${rsa.intermediate.der.toString('base64')}</wsse:KeyIdentifier>`,
    );
    await expectReason(xml, 'BAD_KEY_INFO');
  });

  test('attacker re-signature with a self-signed certificate → UNTRUSTED', async () => {
    const mallory = await issueCertificate({ subject: `CN=Mallory, 2.5.4.5=${TEST_SSIN}, C=BE`, keys: await testKeys('rsa-2048', 20) });
    await expectReason(signEnvelope(mallory), 'UNTRUSTED');
  });

  test('a BST certificate swapped for another trusted one → BAD_SIGNATURE_VALUE', async () => {
    const bob = await issueCertificate({ subject: 'CN=Bob, C=BE', issuer: rsa.intermediate, keys: await testKeys('rsa-2048', 21) });
    await expectReason(signed.replace(rsa.leaf.der.toString('base64'), bob.der.toString('base64')), 'BAD_SIGNATURE_VALUE');
  });

  test('tampered SignedInfo → BAD_SIGNATURE_VALUE', async () => {
    await expectReason(signed.replace('<ds:SignedInfo>', '<ds:SignedInfo Id="added">'), 'BAD_SIGNATURE_VALUE');
  });

  test('expired signer certificate → EXPIRED', async () => {
    const at = new Date(now.getTime() + 400 * 24 * 60 * MINUTE);
    const error = await expectReason(signEnvelope(rsa.leaf, { now: at }), 'EXPIRED', { at });
    expect(error.trustReason).toBe('EXPIRED');
  });

  test('revoked signer certificate → REVOKED', async () => {
    await expectReason(signed, 'REVOKED', { revocation: async (cert) => (cert.der.equals(rsa.leaf.der) ? 'revoked' : 'good') });
  });

  test('revocation is only asked about once everything else verified', async () => {
    const asked: string[] = [];
    const revocation = async (cert: { subjectDn: string }) => {
      asked.push(cert.subjectDn);
      return 'good' as const;
    };
    await expectReason(signed.replace('0809394427', '0809394428'), 'DIGEST_MISMATCH', { revocation });
    await expectReason(signed.replace(/<ds:SignatureValue>[A-Za-z0-9+/]{8}/, '<ds:SignatureValue>AAAAAAAA'), 'BAD_SIGNATURE_VALUE', { revocation });
    expect(asked).toEqual([]);
    await expect(verify(signed, { revocation })).resolves.toBeDefined();
    expect(asked).toHaveLength(2); // leaf, then intermediate
  });

  test('expired Timestamp → TIMESTAMP_EXPIRED', async () => {
    await expectReason(signed, 'TIMESTAMP_EXPIRED', { at: new Date(now.getTime() + 3 * MINUTE) });
    await expect(verify(signed, { at: new Date(now.getTime() + 1.5 * MINUTE) })).resolves.toBeDefined(); // within skew
  });

  test('Created in the future beyond the skew → TIMESTAMP_IN_FUTURE', async () => {
    await expectReason(signEnvelope(rsa.leaf, { now: new Date(now.getTime() + 5 * MINUTE) }), 'TIMESTAMP_IN_FUTURE');
    await expect(verify(signEnvelope(rsa.leaf, { now: new Date(now.getTime() + 30_000) }))).resolves.toBeDefined();
  });

  test('maxTimestampAgeSeconds refuses an old Timestamp with a long lifetime', async () => {
    const old = signEnvelope(rsa.leaf, { now: new Date(now.getTime() - 20 * MINUTE), ttl: 3600 });
    await expect(verify(old)).resolves.toBeDefined();
    await expectReason(old, 'TIMESTAMP_EXPIRED', { maxTimestampAgeSeconds: 300 });
  });

  test('DigestValue comment payload (CVE-2025-29775 style) → DIGEST_MISMATCH', async () => {
    const tampered = signed.replace('0809394427', '0809394428');
    const body = one(parseXmlStrict(tampered), SOAP11_NS, 'Body');
    const forgedDigest = createHash('sha256').update(canonicalizeExclusive(body)).digest('base64');
    const original = /<ds:DigestValue>([^<]+)</.exec(signed)![1]!;
    await expectReason(tampered.replace(`>${original}<`, `><!--${forgedDigest}-->${original}<`), 'DIGEST_MISMATCH');
  });

  test('a DOCTYPE is refused by the parser → MALFORMED', async () => {
    await expectReason(signed.replace('<soapenv:Envelope', '<!DOCTYPE x [<!ENTITY e "x">]><soapenv:Envelope'), 'MALFORMED');
  });

  test('verifyWsSecurity on a parsed document gives the same answer', async () => {
    await expect(verifyWsSecurity(parseXmlStrict(signed), { trust, at: now })).resolves.toMatchObject({ signedBinarySecurityToken: false });
    await expect(verifyWsSecurity(parseXmlStrict(signed.replace('0809394427', '0809394428')), { trust, at: now })).rejects.toMatchObject({
      reason: 'DIGEST_MISMATCH',
    });
  });
});
