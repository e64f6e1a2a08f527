import { createPublicKey, sign as nodeSign, X509Certificate, type KeyObject } from 'node:crypto';
import { encodeBitString, encodeOid, encodeSequence, encodeTlv, publicKeyIdentifier, TAG } from '../../src/ca/x509/index.js';
import { formatKeyId } from '../../src/domain/key-id.js';
import { dnEquals } from '../../src/identifiers/index.js';
import { CertRaClient, certificateChainOf, child, csrFor, rsaKey, runAdmin } from '../support/certra-client.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { tableCounts } from '../support/test-database.js';
import { textOf } from '../../src/xml/parse.js';

/**
 * submitCSRForForeigner with the CSR the eHealth connector builds (docs/wire-facts.md "Foreigner DN").
 *
 * The connector's `ForeignRequestBuilder` (taktik/freehealth-connector,
 * src/main/java/be/fgov/ehealth/technicalconnector/ra/builders/ForeignRequestBuilder.java) makes the DN with
 * `new DistinguishedName(ssinBis, name, firstName, IdentifierType.SSIN)`: name part `name + " " + firstName` (surname
 * first), upper-cased with diacritics stripped, written by `asNormalizedEhealthDN()` as
 * `CN=SSIN\=<bis>,OU=eHealth-platform Belgium,OU=<SURNAME FIRSTNAME>,OU=SSIN\=<bis>,O=Federal Government,C=BE`, then
 * encoded by `new X500Principal(dn)` in `CertificateUtils.createCSR`.
 */

const BIS = '85473003515';
/** What the connector's builder gets: withName("Müller"), withFirstName("José"). */
const SURNAME = 'Müller';
const FIRST_NAME = 'José';
/** `DistinguishedName.normalize(name + " " + firstName)`: toUpperCase, NFD, combining marks removed. */
const CONNECTOR_NAME = `${SURNAME} ${FIRST_NAME}`
  .toUpperCase()
  .normalize('NFD')
  .replace(/[\u0300-\u036f]+/gu, '');
/** `DistinguishedName.asNormalizedEhealthDN()` for that person, character for character. */
const CONNECTOR_DN = `CN=SSIN\\=${BIS},OU=eHealth-platform Belgium,OU=${CONNECTOR_NAME},OU=SSIN\\=${BIS},O=Federal Government,C=BE`;
/**
 * `new X500Principal(CONNECTOR_DN).getEncoded()`, captured once with OpenJDK 17: RDNs C first, every value a
 * PrintableString. The test's encoder below is checked against it.
 */
const JAVA_SUBJECT_DER =
  '308199310b3009060355040613024245311b3019060355040a13124665646572616c20476f7665726e6d656e7431193017060355040b13105353494e3d383534373330303335313531143012060355040b130b4d554c4c4552204a4f53453121301f060355040b1318654865616c74682d706c6174666f726d2042656c6769756d31193017060355040313105353494e3d3835343733303033353135';

const OIDS: Record<string, string> = { C: '2.5.4.6', O: '2.5.4.10', OU: '2.5.4.11', CN: '2.5.4.3' };

/** A Name encoded as Java's X500Principal encodes the connector's DN: reverse of the string order, PrintableString values. */
function javaSubjectDer(attributes: ReadonlyArray<readonly [string, string]>): Buffer {
  const rdns = [...attributes]
    .reverse()
    .map(([type, value]) => encodeTlv(TAG.SET, encodeSequence(encodeOid(OIDS[type]!), encodeTlv(0x13, Buffer.from(value, 'latin1')))));
  return encodeSequence(...rdns);
}

/** The connector's DN attributes in string order (CN first), as `asNormalizedEhealthDN` lists them. */
function connectorDnAttributes(bis: string, normalisedName: string): Array<[string, string]> {
  return [
    ['CN', `SSIN=${bis}`],
    ['OU', 'eHealth-platform Belgium'],
    ['OU', normalisedName],
    ['OU', `SSIN=${bis}`],
    ['O', 'Federal Government'],
    ['C', 'BE'],
  ];
}

/** PKCS#10 around a ready-made subject Name, signed SHA256withRSA as the connector's `csr.signature.algorithm`. */
function csrWithSubject(subjectDer: Buffer, key: KeyObject): Buffer {
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const info = encodeSequence(encodeTlv(TAG.INTEGER, Buffer.from([0])), subjectDer, spki, Buffer.from([0xa0, 0x00]));
  const algorithm = encodeSequence(encodeOid('1.2.840.113549.1.1.11'), Buffer.from([TAG.NULL, 0]));
  return encodeSequence(info, algorithm, encodeBitString(nodeSign('sha256', info, key)));
}

function pkiOf(key: KeyObject): string {
  return formatKeyId(publicKeyIdentifier(createPublicKey(key).export({ type: 'spki', format: 'der' })));
}

describe('CertRA submitCSRForForeigner: the DN the eHealth connector builds', () => {
  let t: TestPlatform;
  let client: CertRaClient;

  beforeAll(async () => {
    t = await startTestPlatform();
    client = new CertRaClient(t);
  });
  afterAll(async () => {
    await t.close();
  });

  it('the test encodes the connector DN exactly as Java does', () => {
    expect(CONNECTOR_NAME).toBe('MULLER JOSE');
    expect(javaSubjectDer(connectorDnAttributes(BIS, CONNECTOR_NAME)).toString('hex')).toBe(JAVA_SUBJECT_DER);
  });

  it("accepts the connector's CSR (surname then first name) and issues a certificate with that DN on approval", async () => {
    const key = rsaKey();
    // ForeignPerson as the builder fills it: FirstName = firstName, Name = name.
    const person = { ids: [{ type: 'SSIN', value: BIS }], firstNames: [FIRST_NAME], name: SURNAME };
    const response = await client.submitCsrForForeigner({ person, csr: csrWithSubject(Buffer.from(JAVA_SUBJECT_DER, 'hex'), key) });
    expect(response.errors).toEqual([]);
    expect(response.outcome).toBe('Success');
    // The URL names our validation page, and the page knows this request.
    const validationUrl = new URL(textOf(child(response.element, 'ValidationUrl')));
    expect(validationUrl.pathname).toMatch(/^\/CertRa\/v2\/foreigner-validation\/[^/]+$/u);
    const page = await t.app.inject({ method: 'GET', url: validationUrl.pathname });
    expect(page.statusCode).toBe(200);

    const pki = pkiOf(key);
    await runAdmin(t, 'certra:requests:approve', { pki, 'identity-evidence': 'passport seen at the Brussels registration office' });
    const issued = await client.getCertificate(pki);
    expect(issued.outcome).toBe('Success');
    const certificate = new X509Certificate(certificateChainOf(issued)[0]!);
    expect(dnEquals(certificate.subject.split('\n').reverse().join(','), CONNECTOR_DN)).toBe(true);
  });

  it('several FirstName elements follow the surname in their order', async () => {
    const bis = '85473003614';
    const key = rsaKey();
    const dn = `CN=SSIN\\=${bis},OU=eHealth-platform Belgium,OU=DOE JOHN PAUL,OU=SSIN\\=${bis},O=Federal Government,C=BE`;
    const response = await client.submitCsrForForeigner({
      person: { ids: [{ type: 'SSIN', value: bis }], firstNames: ['John', 'Paul'], name: 'Doe' },
      csr: csrFor(dn, key),
    });
    expect(response.outcome).toBe('Success');
  });

  it('refuses first names before the surname with DN_MISMATCH, in words that speak of no contract', async () => {
    const bis = '85473003614';
    const key = rsaKey();
    const wrongOrder = javaSubjectDer(connectorDnAttributes(bis, 'JANE DOE'));
    const before = await tableCounts(t.database.db);
    const response = await client.submitCsrForForeigner({
      person: { ids: [{ type: 'SSIN', value: bis }], firstNames: ['Jane'], name: 'Doe' },
      csr: csrWithSubject(wrongOrder, key),
    });
    expect(response.outcome).toBe('DN_MISMATCH');
    expect(response.errors[0]!.message).toContain('OU=DOE JANE');
    expect(response.body).not.toMatch(/contract/iu);
    expect(await tableCounts(t.database.db)).toEqual(before);
  });
});
