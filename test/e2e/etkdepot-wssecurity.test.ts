import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toPem } from '../../src/ca/x509/index.js';
import { TrustStore } from '../../src/trust/index.js';
import { DSIG_NS } from '../../src/xml/dsig/algorithms.js';
import { SOAP11_NS, WSSE_NS, WSU_NS, X509_SKI, BASE64_BINARY, X509V3_TOKEN } from '../../src/xml/dsig/ws-security-constants.js';
import { verifyWsSecurityXml } from '../../src/xml/dsig/ws-security-verify.js';
import { childElements, descendantsNamed, type Document } from '../../src/xml/parse.js';
import { createHierarchy, issueCertificate, testKeys, x509, type TestHierarchy } from '../support/dsig-test-pki.js';
import { getEtkEnvelope, mintHolder, readGetEtkResponse, register, revokeHolder, testSsin, type Holder, type Registration } from '../support/etk-client.js';
import { etkState } from '../support/etk-state.js';
import { first, readFault, signRequest, tamper, tamperAndResign, type WssSigner } from '../support/etk-wss.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { expectValidAgainstBothSchemaSets } from '../support/schemas.js';

const PERSON = testSsin(401);
const REQUEST = getEtkEnvelope([{ type: 'SSIN', value: PERSON }]);

let t: TestPlatform;
let registration: Registration;
/** A WS-Security client certificate issued by our CA (trusted through the wsSecurity store). */
let client: Holder;
let signer: WssSigner;
let foreignAnchored: TestHierarchy;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'etkdepot-wss-'));
  foreignAnchored = await createHierarchy('rsa-2048');
  // A configured foreign anchor: its intermediate (BSTs carry the leaf only).
  writeFileSync(join(dir, 'anchor.pem'), foreignAnchored.intermediate.pem);
  t = await startTestPlatform({ WSS_TRUST_ANCHOR_FILES: join(dir, 'anchor.pem') });
  registration = await register(t, await mintHolder(t, { type: 'SSIN', id: PERSON, name: 'Jan Test' }));
  client = await mintHolder(t, { type: 'SSIN', id: testSsin(402), name: 'Ws Client' });
  signer = { key: client.key, certificate: client.certificate };
});
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

async function expectEtk(envelope: string): Promise<void> {
  const { status, body } = await t.soap('/EtkDepot/v1', envelope);
  const result = readGetEtkResponse(status, body);
  expect({ code: result.code, etk: result.etk }).toEqual({ code: '200', etk: registration.etk });
}

/** A Client fault with the expected code, whose message names `reason`, valid against both schema sets; nothing changed. */
async function expectRefused(envelope: string, code: string, reason?: string): Promise<void> {
  const before = await etkState(t.database.db);
  const { status, body } = await t.soap('/EtkDepot/v1', envelope);
  expect(status).toBe(500);
  expectValidAgainstBothSchemaSets(body);
  const fault = readFault(body);
  expect({ faultcode: fault.faultcode, code: fault.code }).toEqual({ faultcode: 'soapenv:Client', code });
  if (reason) expect(fault.message).toMatch(new RegExp(`^${reason}:`));
  expect(await etkState(t.database.db)).toEqual(before);
}

describe('ETKDepot accepts WS-Security X.509 requests', () => {
  it.each([
    ['rsa-sha256', 'sha256'],
    ['rsa-sha1', 'sha1'],
  ] as const)('%s / %s, STR Reference to the BST', async (signatureMethod, digestMethod) => {
    await expectEtk(signRequest(REQUEST, signer, { signatureMethod, digestMethod }));
  });

  it('with mustUnderstand="1" on wsse:Security (WSS4J, zeep)', async () => {
    const signed = signRequest(REQUEST, signer, { mustUnderstand: true });
    expect(signed).toMatch(/mustUnderstand="1"/);
    await expectEtk(signed);
  });

  it('with the BST signed too (WSS4J ProtectTokens)', async () => {
    await expectEtk(signRequest(REQUEST, signer, { signBinarySecurityToken: true }));
  });

  it.each([
    ['X509SubjectKeyIdentifier', X509_SKI],
    ['X509v3', X509V3_TOKEN],
  ])('with a KeyIdentifier (%s) selecting the BST', async (_name, valueType) => {
    const skiOrCert = valueType === X509_SKI ? descendantsSki(client.certificate) : client.certificate;
    const signed = tamper(signRequest(REQUEST, signer), (document) => {
      const reference = first(document, WSSE_NS, 'Reference');
      const keyIdentifier = document.createElementNS(WSSE_NS, 'wsse:KeyIdentifier');
      keyIdentifier.setAttribute('ValueType', valueType);
      keyIdentifier.setAttribute('EncodingType', BASE64_BINARY);
      keyIdentifier.appendChild(document.createTextNode(skiOrCert.toString('base64')));
      reference.parentNode!.replaceChild(keyIdentifier, reference);
    });
    await expectEtk(signed);
  });

  it('from a certificate under a configured foreign anchor (WSS_TRUST_ANCHOR_FILES)', async () => {
    await expectEtk(signRequest(REQUEST, { key: foreignAnchored.leaf.privateKey, certificate: foreignAnchored.leaf.der }));
  });

  it.each([
    ['rsa-sha256', 'sha256'],
    ['rsa-sha1', 'sha1'],
  ] as const)('signed by zeep 4.2 (%s / %s)', async (signatureMethod, digestMethod) => {
    const key = join(dir, 'client.key.pem');
    const cert = join(dir, 'client.pem');
    writeFileSync(key, client.key.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(cert, toPem(client.certificate));
    const signed = execFileSync(
      '/usr/bin/python3',
      [join(process.cwd(), 'test/support/zeep-sign-envelope.py'), key, cert, signatureMethod, digestMethod, '120'],
      { input: REQUEST },
    ).toString('utf8');
    expect(signed).toMatch(/ns\d:Id=/);
    await expectEtk(signed);
  });

  it('and tolerates an unsigned Security header (a lone Timestamp) when signatures are optional', async () => {
    const envelope = REQUEST.replace(
      '<soapenv:Body>',
      `<soapenv:Header><wsse:Security xmlns:wsse="${WSSE_NS}" xmlns:wsu="${WSU_NS}" soapenv:mustUnderstand="1"><wsu:Timestamp><wsu:Created>${new Date().toISOString()}</wsu:Created><wsu:Expires>${new Date(Date.now() + 60_000).toISOString()}</wsu:Expires></wsu:Timestamp></wsse:Security></soapenv:Header><soapenv:Body>`,
    );
    await expectEtk(envelope);
  });
});

describe('ETKDepot refuses every WS-Security tamper and wrapping case (hardened order), changing nothing', () => {
  const signed = () => signRequest(REQUEST, signer);
  const body = (document: Document) => first(document, SOAP11_NS, 'Body');
  const securityOf = (document: Document) => first(document, WSSE_NS, 'Security');

  it('a Body altered after signing: DIGEST_MISMATCH', async () => {
    await expectRefused(signed().replace(PERSON, testSsin(403)), 'WS_SECURITY_INVALID', 'DIGEST_MISMATCH');
  });

  it('a Timestamp altered after signing: DIGEST_MISMATCH', async () => {
    await expectRefused(
      tamper(signed(), (d) => {
        first(d, WSU_NS, 'Expires').textContent = new Date(Date.now() + 3_600_000).toISOString();
      }),
      'WS_SECURITY_INVALID',
      'DIGEST_MISMATCH',
    );
  });

  it('a SignatureValue altered: BAD_SIGNATURE_VALUE', async () => {
    await expectRefused(
      tamper(signed(), (d) => {
        const value = first(d, DSIG_NS, 'SignatureValue');
        const bytes = Buffer.from(value.textContent!, 'base64');
        bytes[10] ^= 0xff;
        value.textContent = bytes.toString('base64');
      }),
      'WS_SECURITY_INVALID',
      'BAD_SIGNATURE_VALUE',
    );
  });

  it('wrapping: the signed Body moved into a header wrapper, a new Body in its place', async () => {
    const wrapped = tamper(signed(), (d) => {
      const original = body(d);
      const wrapper = d.createElementNS('urn:attacker', 'x:Wrapper');
      first(d, SOAP11_NS, 'Header').appendChild(wrapper);
      const evil = original.cloneNode(true) as typeof original;
      evil.removeAttributeNS(WSU_NS, 'Id');
      first(evil as never, 'urn:be:fgov:ehealth:etkdepot:1_0:protocol', 'Value').textContent = testSsin(404);
      original.parentNode!.replaceChild(evil, original);
      wrapper.appendChild(original);
    });
    await expectRefused(wrapped, 'MALFORMED_REQUEST');
  });

  it('wrapping: the reference points at a signed copy in a header wrapper (same wsu:Id), the Body is new', async () => {
    const wrapped = tamper(signed(), (d) => {
      const original = body(d);
      const id = original.getAttributeNS(WSU_NS, 'Id')!;
      const wrapper = d.createElementNS('urn:attacker', 'x:Wrapper');
      wrapper.setAttributeNS(WSU_NS, 'wsu:Id', id);
      for (const child of childElements(original)) wrapper.appendChild(child.cloneNode(true));
      first(d, SOAP11_NS, 'Header').appendChild(wrapper);
      original.setAttributeNS(WSU_NS, 'wsu:Id', 'id-evil');
      first(original, 'urn:be:fgov:ehealth:etkdepot:1_0:protocol', 'Value').textContent = testSsin(404);
    });
    await expectRefused(wrapped, 'WS_SECURITY_INVALID', 'BAD_REFERENCE');
  });

  it('two elements with the Body wsu:Id', async () => {
    const duplicated = tamper(signed(), (d) => {
      const id = body(d).getAttributeNS(WSU_NS, 'Id')!;
      const decoy = d.createElementNS('urn:attacker', 'x:Decoy');
      decoy.setAttributeNS(WSU_NS, 'wsu:Id', id);
      first(d, SOAP11_NS, 'Header').appendChild(decoy);
    });
    await expectRefused(duplicated, 'WS_SECURITY_INVALID');
  });

  it('a Body the signature does not cover: BAD_REFERENCE', async () => {
    const unsignedBody = tamperAndResign(signed(), client.key, (d) => {
      const id = body(d).getAttributeNS(WSU_NS, 'Id');
      for (const reference of descendantsNamed(d, DSIG_NS, 'Reference'))
        if (reference.getAttribute('URI') === `#${id}`) reference.parentNode!.removeChild(reference);
    });
    await expectRefused(unsignedBody, 'WS_SECURITY_INVALID', 'BAD_REFERENCE');
  });

  it('a Timestamp the signature does not cover: BAD_REFERENCE', async () => {
    const unsignedTimestamp = tamperAndResign(signed(), client.key, (d) => {
      const id = first(d, WSU_NS, 'Timestamp').getAttributeNS(WSU_NS, 'Id');
      for (const reference of descendantsNamed(d, DSIG_NS, 'Reference'))
        if (reference.getAttribute('URI') === `#${id}`) reference.parentNode!.removeChild(reference);
    });
    await expectRefused(unsignedTimestamp, 'WS_SECURITY_INVALID', 'BAD_REFERENCE');
  });

  it('no Timestamp at all', async () => {
    const noTimestamp = tamperAndResign(signed(), client.key, (d) => {
      const timestamp = first(d, WSU_NS, 'Timestamp');
      const id = timestamp.getAttributeNS(WSU_NS, 'Id');
      for (const reference of descendantsNamed(d, DSIG_NS, 'Reference'))
        if (reference.getAttribute('URI') === `#${id}`) reference.parentNode!.removeChild(reference);
      timestamp.parentNode!.removeChild(timestamp);
    });
    await expectRefused(noTimestamp, 'WS_SECURITY_INVALID', 'MALFORMED');
  });

  it('an expired Timestamp: TIMESTAMP_EXPIRED', async () => {
    await expectRefused(
      signRequest(REQUEST, signer, { now: new Date(t.clock.now().getTime() - 30 * 60_000), ttlSeconds: 60 }),
      'WS_SECURITY_INVALID',
      'TIMESTAMP_EXPIRED',
    );
  });

  it('a Timestamp created too long ago, however long its Expires: TIMESTAMP_EXPIRED', async () => {
    await expectRefused(
      signRequest(REQUEST, signer, { now: new Date(t.clock.now().getTime() - 30 * 60_000), ttlSeconds: 7_200 }),
      'WS_SECURITY_INVALID',
      'TIMESTAMP_EXPIRED',
    );
  });

  it('a Timestamp from the future: TIMESTAMP_IN_FUTURE', async () => {
    await expectRefused(signRequest(REQUEST, signer, { now: new Date(t.clock.now().getTime() + 30 * 60_000) }), 'WS_SECURITY_INVALID', 'TIMESTAMP_IN_FUTURE');
  });

  it('a self-signed certificate in the BST (the attacker signs with it): UNTRUSTED', async () => {
    const attacker = await issueCertificate({
      subject: 'CN=Attacker, O=Test, C=BE',
      keys: await testKeys('rsa-2048', 7),
      keyUsage: x509.KeyUsageFlags.digitalSignature,
    });
    await expectRefused(signRequest(REQUEST, { key: attacker.privateKey, certificate: attacker.der }), 'WS_SECURITY_INVALID', 'UNTRUSTED');
  });

  it('a certificate from a CA named like a configured anchor but with another key: UNTRUSTED', async () => {
    const lookalikeCa = await issueCertificate({ subject: foreignAnchored.intermediate.certificate.subject, keys: await testKeys('rsa-2048', 8), ca: true });
    const leaf = await issueCertificate({
      subject: 'CN=Mallory, O=Test, C=BE',
      issuer: lookalikeCa,
      keys: await testKeys('rsa-2048', 9),
      keyUsage: x509.KeyUsageFlags.digitalSignature,
    });
    await expectRefused(signRequest(REQUEST, { key: leaf.privateKey, certificate: leaf.der }), 'WS_SECURITY_INVALID', 'UNTRUSTED');
  });

  it('a BST certificate swapped for a trusted one (signature by another key): BAD_SIGNATURE_VALUE', async () => {
    const other = await mintHolder(t, { type: 'SSIN', id: testSsin(405), name: 'Other Client' });
    const attacker = await issueCertificate({
      subject: 'CN=Attacker, O=Test, C=BE',
      keys: await testKeys('rsa-2048', 7),
      keyUsage: x509.KeyUsageFlags.digitalSignature,
    });
    const swapped = tamper(signRequest(REQUEST, { key: attacker.privateKey, certificate: attacker.der }), (d) => {
      first(d, WSSE_NS, 'BinarySecurityToken').textContent = other.certificate.toString('base64');
    });
    await expectRefused(swapped, 'WS_SECURITY_INVALID', 'BAD_SIGNATURE_VALUE');
  });

  it('a revoked signer certificate: REVOKED', async () => {
    const revoked = await mintHolder(t, { type: 'SSIN', id: testSsin(406), name: 'Revoked Client' });
    await revokeHolder(t, revoked);
    await expectRefused(signRequest(REQUEST, { key: revoked.key, certificate: revoked.certificate }), 'WS_SECURITY_INVALID', 'REVOKED');
  });

  it('a signer revoked after its status was cached: REVOKED at the next request (the revocation NOTIFY flushes it)', async () => {
    const holder = await mintHolder(t, { type: 'SSIN', id: testSsin(407), name: 'Cached Client' });
    const request = () => signRequest(REQUEST, { key: holder.key, certificate: holder.certificate });
    expect(t.platform.services.signerRevocation.caching).toBe(true);
    await expectEtk(request());
    // White-box: revoke behind the cache's back (no NOTIFY). The cached status still admits the signer...
    await t.database.db.query('UPDATE issued_certificates SET revoked_at = $2 WHERE id = $1', [holder.issued.id, t.clock.now()]);
    await expectEtk(request());
    await t.database.db.query('UPDATE issued_certificates SET revoked_at = NULL WHERE id = $1', [holder.issued.id]);
    // ...until a real revocation, whose NOTIFY reaches the cache when its transaction commits.
    await revokeHolder(t, holder);
    await expectRefused(request(), 'WS_SECURITY_INVALID', 'REVOKED');
  });

  it('KeyInfo with X509Data instead of a SecurityTokenReference: BAD_KEY_INFO', async () => {
    const x509Data = tamper(signed(), (d) => {
      const keyInfo = first(d, DSIG_NS, 'KeyInfo');
      while (keyInfo.firstChild) keyInfo.removeChild(keyInfo.firstChild);
      const data = d.createElementNS(DSIG_NS, 'ds:X509Data');
      const certificate = d.createElementNS(DSIG_NS, 'ds:X509Certificate');
      certificate.appendChild(d.createTextNode(client.certificate.toString('base64')));
      data.appendChild(certificate);
      keyInfo.appendChild(data);
    });
    await expectRefused(x509Data, 'WS_SECURITY_INVALID', 'BAD_KEY_INFO');
  });

  it('a token reference to a BST outside the Security header: BAD_KEY_INFO', async () => {
    const outside = tamper(signed(), (d) => {
      const token = first(d, WSSE_NS, 'BinarySecurityToken');
      const elsewhere = d.createElementNS('urn:attacker', 'x:Tokens');
      first(d, SOAP11_NS, 'Header').appendChild(elsewhere);
      elsewhere.appendChild(token);
    });
    await expectRefused(outside, 'WS_SECURITY_INVALID', 'BAD_KEY_INFO');
  });

  it.each([
    ['SignatureMethod hmac-sha1', 'SignatureMethod', 'http://www.w3.org/2000/09/xmldsig#hmac-sha1'],
    ['SignatureMethod rsa-md5', 'SignatureMethod', 'http://www.w3.org/2001/04/xmldsig-more#rsa-md5'],
    ['DigestMethod md5', 'DigestMethod', 'http://www.w3.org/2001/04/xmldsig-more#md5'],
    ['inclusive c14n', 'CanonicalizationMethod', 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315'],
  ])('an algorithm outside the allowed set (%s): BAD_ALGORITHM', async (_name, element, algorithm) => {
    const weak = tamper(signed(), (d) => {
      for (const e of descendantsNamed(d, DSIG_NS, element)) e.setAttribute('Algorithm', algorithm);
    });
    await expectRefused(weak, 'WS_SECURITY_INVALID', 'BAD_ALGORITHM');
  });

  it('two Signatures', async () => {
    const twice = tamper(signed(), (d) => {
      const copy = first(d, DSIG_NS, 'Signature').cloneNode(true) as ReturnType<typeof first>;
      copy.removeAttribute('Id'); // a duplicate xs:ID would already fail schema validation
      securityOf(d).appendChild(copy);
    });
    await expectRefused(twice, 'WS_SECURITY_INVALID', 'MALFORMED');
  });

  it('a Signature outside the Security header', async () => {
    const misplaced = tamper(signed(), (d) => {
      const signature = first(d, DSIG_NS, 'Signature');
      first(d, SOAP11_NS, 'Header').appendChild(signature);
    });
    await expectRefused(misplaced, 'WS_SECURITY_INVALID', 'MALFORMED');
  });

  it('two Security headers', async () => {
    const twice = tamper(signed(), (d) => {
      first(d, SOAP11_NS, 'Header').appendChild(d.createElementNS(WSSE_NS, 'wsse:Security'));
    });
    await expectRefused(twice, 'WS_SECURITY_INVALID', 'MALFORMED');
  });

  it('a DOCTYPE', async () => {
    await expectRefused(`<!DOCTYPE x [<!ENTITY e "x">]>${signed()}`, 'DTD_FORBIDDEN');
  });
});

describe('ETKDEPOT_REQUIRE_SIGNATURE', () => {
  let strict: TestPlatform;
  beforeAll(async () => {
    strict = await startTestPlatform({ ETKDEPOT_REQUIRE_SIGNATURE: 'true' });
  });
  afterAll(async () => {
    await strict.close();
  });

  it('refuses unsigned requests (and a lone Timestamp) with WS_SECURITY_REQUIRED, accepts signed ones', async () => {
    for (const envelope of [REQUEST]) {
      const { status, body } = await strict.soap('/EtkDepot/v1', envelope);
      expect(status).toBe(500);
      expectValidAgainstBothSchemaSets(body);
      expect(readFault(body).code).toBe('WS_SECURITY_REQUIRED');
    }
    const holder = await mintHolder(strict, { type: 'SSIN', id: testSsin(407), name: 'Strict Client' });
    const { status, body } = await strict.soap('/EtkDepot/v1', signRequest(REQUEST, { key: holder.key, certificate: holder.certificate }));
    expect(readGetEtkResponse(status, body).code).toBe('404');
  });

  it('refuses every REST lookup with a 401 problem document, before looking anything up; REST answers when the setting is off', async () => {
    const published = await register(strict, await mintHolder(strict, { type: 'SSIN', id: testSsin(408), name: 'Strict Holder' }));
    const rest = (platform: TestPlatform, query: string) => platform.app.inject({ method: 'GET', url: `/etkdepot/v1/etks?${query}` });
    const before = await etkState(strict.database.db);
    for (const query of [`type=SSIN&value=${testSsin(408)}`, 'type=SSIN', '']) {
      const response = await rest(strict, query);
      expect(response.statusCode).toBe(401);
      expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(response.headers['www-authenticate']).toMatch(/^WS-Security realm="ETKDepot"/u);
      expect(response.json()).toMatchObject({ type: 'about:blank', title: 'Unauthorized', status: 401, code: 'AUTHENTICATION_REQUIRED' });
      expect(response.json().detail).toMatch(/WS-Security/u);
      expect(response.body).not.toContain(published.etk.toString('base64'));
    }
    // Nothing is looked up: with the directory's table gone, a lookup would be a 500.
    await strict.database.db.query('ALTER TABLE etks RENAME TO etks_unavailable');
    try {
      expect((await rest(strict, `type=SSIN&value=${testSsin(409)}`)).statusCode).toBe(401);
    } finally {
      await strict.database.db.query('ALTER TABLE etks_unavailable RENAME TO etks');
    }
    expect(await etkState(strict.database.db)).toEqual(before);

    // ETKDEPOT_REQUIRE_SIGNATURE off (the suite's platform): the same lookup is answered.
    const open = await rest(t, `type=SSIN&value=${PERSON}`);
    expect(open.statusCode).toBe(200);
    expect(open.headers['www-authenticate']).toBeUndefined();
    expect(open.json()).toMatchObject({ identifier: { type: 'SSIN', value: PERSON }, etk: registration.etk.toString('base64') });
  });
});

describe('SIGN_RESPONSES', () => {
  let signing: TestPlatform;
  let etk: Registration;
  beforeAll(async () => {
    signing = await startTestPlatform({ SIGN_RESPONSES: 'true' });
    etk = await register(signing, await mintHolder(signing, { type: 'SSIN', id: PERSON, name: 'Jan Test' }));
  });
  afterAll(async () => {
    await signing.close();
  });

  it.each([
    ['Status 200', PERSON, '200'],
    ['Status 404', testSsin(408), '404'],
  ])('signs the response (%s) with WS-Security, without mustUnderstand, verifiable with our CA', async (_name, value, code) => {
    const { status, body } = await signing.soap('/EtkDepot/v1', getEtkEnvelope([{ type: 'SSIN', value }]));
    const result = readGetEtkResponse(status, body);
    expect(result.code).toBe(code);
    if (code === '200') expect(result.etk).toEqual(etk.etk);
    expect(body).not.toMatch(/mustUnderstand/);
    const context = signing.platform.services;
    const trust = new TrustStore({ anchors: [context.ca.root.cert], intermediates: context.ca.issuingChain });
    const verified = await verifyWsSecurityXml(body, { trust, at: signing.clock.now() });
    expect(verified.signer.subjectDn).toMatch(/CN=ETKDepot/);
    // xmlsec1 (as zeep / WSS4J would) agrees, and refuses a tampered copy.
    const cert = join(dir, 'server.pem');
    const file = join(dir, 'response.xml');
    writeFileSync(cert, toPem(verified.signer.certificate));
    const args = ['--verify', '--id-attr:Id', `${SOAP11_NS}:Body`, '--id-attr:Id', `${WSU_NS}:Timestamp`, '--pubkey-cert-pem', cert, file];
    writeFileSync(file, body);
    execFileSync('xmlsec1', args, { stdio: 'pipe' });
    writeFileSync(file, body.replace('<Code>', '<Code>9'));
    expect(() => execFileSync('xmlsec1', args, { stdio: 'pipe' })).toThrow();
  });
});

function descendantsSki(certificateDer: Buffer): Buffer {
  return new TrustStore({ anchors: [t.platform.services.ca.root.cert] }).certificate(certificateDer).subjectKeyIdentifier!;
}
