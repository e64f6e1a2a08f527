import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readAsConnector } from '../../../test/support/tsl-connector-reader.js';
import { openTestDatabase, testEngine, type TestDatabase } from '../../../test/support/test-database.js';
import { type CaMaterial, loadOrCreateDevHierarchy } from '../../ca/hierarchy/index.js';
import { generatePrivateKey } from '../../ca/keys/file-key.js';
import { createKeyObjectSigner } from '../../ca/keys/key-signer.js';
import { citizenCa as citizenCaProfile } from '../../ca/profiles/builtin.js';
import { issueHierarchyCertificate } from '../../ca/hierarchy/issue-ca-certificate.js';
import { toPem } from '../../ca/x509/index.js';
import { FixedClock } from '../../domain/clock.js';
import { parseCertificate } from '../../x509/certificate.js';
import { renderSignedTrustList } from '../../frontend/trust-list/trust-list-document.js';
import { TRUST_LIST_NAMES, type TrustListName } from './trust-list-content.js';
import { TrustListPublisher, type TrustListSettings, type TrustListSources } from './trust-list-publisher.js';

const run = promisify(execFile);
const ETSI = join(process.cwd(), '..', 'shared', 'reference', 'etsi');
// xmlsec1 must be told that xades:SignedProperties/@Id is an ID (the second Reference points at it).
const XADES_SIGNED_PROPERTIES_ID = ['--id-attr:Id', 'http://uri.etsi.org/01903/v1.3.2#:SignedProperties'];

/** Another CA for the lists to trust: self-signed, as an eID root would be. */
async function selfSignedCa(commonName: string): Promise<Buffer> {
  const key = createKeyObjectSigner(generatePrivateKey('RSA', 2048), commonName);
  return issueHierarchyCertificate({
    profile: { ...citizenCaProfile, crlDistributionPoint: false, authorityInfoAccess: false },
    subject: [
      { type: 'C', value: 'BE' },
      { type: 'CN', value: commonName },
    ],
    subjectPublicKeySpki: key.publicKeySpki,
    issuer: undefined,
    signer: key,
    notBefore: new Date(),
  });
}

const SETTINGS: TrustListSettings = {
  validityDays: 14,
  reissueDays: 7,
  publicationUrl: 'http://tsl.example.test',
  operator: {
    name: 'eHealth certificate platform (test)',
    street: 'Quai de Willebroeck 38',
    locality: 'Brussels',
    postalCode: '1000',
    countryName: 'BE',
    email: 'pki@example.test',
    informationUrl: 'http://tsl.example.test/tsl',
  },
};

describe(`trusted lists (ETSI TS 119 612, XAdES) on ${testEngine}`, () => {
  let directory: string;
  let ca: CaMaterial;
  let t: TestDatabase;
  let clock: FixedClock;
  let sources: TrustListSources;
  let signerPem: string;

  const publisher = (overrides: Partial<TrustListSources> = {}) =>
    new TrustListPublisher(
      {
        db: t.db,
        clock,
        sources: { ...sources, ...overrides },
        render: (content, edition) => renderSignedTrustList(content, edition, { certificate: ca.tslSigner!.cert, signer: ca.tslSigner!.signer }),
      },
      SETTINGS,
    );
  const file = async (name: string, content: string | Buffer) => {
    const path = join(directory, name);
    await writeFile(path, content);
    return path;
  };
  const xmlsecVerify = (path: string) => run('xmlsec1', ['--verify', '--pubkey-cert-pem', signerPem, ...XADES_SIGNED_PROPERTIES_ID, path]);

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'tsl-'));
    ca = await loadOrCreateDevHierarchy(join(directory, 'data'));
    t = await openTestDatabase();
    clock = new FixedClock(new Date());
    sources = { ca, eidCas: [ca.citizenCa!.cert] };
    signerPem = await file('tsl-signer.pem', toPem(ca.tslSigner!.cert));
  }, 60_000);

  afterAll(async () => {
    await ca?.close();
    await t?.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('the development hierarchy has a TSL signer: EKU id-tsl-kp-tslSigning, issued by the issuing CA', () => {
    const signer = parseCertificate(ca.tslSigner!.cert);
    expect(signer.extendedKeyUsage).toEqual(['0.4.0.2231.3.0']);
    expect(signer.issuerDn).toBe(parseCertificate(ca.issuing.cert).subjectDn);
  });

  it.each(TRUST_LIST_NAMES)(
    'the %s list is valid against the official TS 119 612 v2.1.1 schema and its XAdES signature verifies with xmlsec1',
    async (list) => {
      const { document, sha256Hex } = await publisher().current(list);
      const path = await file(`${list}.xml`, document);
      await run('xmllint', ['--noout', '--nonet', '--schema', join(ETSI, 'ts_119612v020101_xsd.xsd'), path], {
        env: { ...process.env, XML_CATALOG_FILES: join(ETSI, 'catalog.xml') },
      });
      const { stderr } = await xmlsecVerify(path);
      expect(stderr).toContain('OK');
      const text = document.toString('utf8');
      expect(text).toContain('<ds:Reference URI="">');
      expect(text).toContain('http://www.w3.org/2000/09/xmldsig#enveloped-signature');
      expect(text).toMatch(/<xades:SigningTime>/);
      expect(text).toMatch(/<xades:SigningCertificate>/);
      expect(sha256Hex).toMatch(/^[0-9a-f]{64}$/);
    },
  );

  it('a tampered list no longer verifies', async () => {
    const { document } = await publisher().current('person');
    const tampered = document.toString('utf8').replace('<tsl:TSLSequenceNumber>1<', '<tsl:TSLSequenceNumber>9<');
    expect(tampered).not.toBe(document.toString('utf8'));
    await expect(xmlsecVerify(await file('tampered.xml', tampered))).rejects.toThrow(/verification failed|FAIL/i);
  });

  it('feeds each keystore of the connector with what the platform trusts (read with its parser rules)', async () => {
    const b64 = (der: Buffer) => der.toString('base64');
    const ours = [b64(ca.root.cert), b64(ca.issuing.cert)];
    const transport = readAsConnector('transport', (await publisher().current('transport')).document.toString('utf8'));
    expect(transport.keystores.ssl).toEqual(ours);
    const person = readAsConnector('person', (await publisher().current('person')).document.toString('utf8'));
    expect(person.keystores.ca).toEqual([...ours, b64(ca.citizenCa!.cert)]);
    const application = readAsConnector('application', (await publisher().current('application')).document.toString('utf8'));
    // The signer is published under the connector's "TrstSvd" TLIssuer type, so it lands in the TSL keystore.
    expect(application.keystores.tsl).toEqual([...ours, b64(ca.tslSigner!.cert)]);
    expect(application.keystores.tsa).toEqual(ours);
    expect(application.nextUpdate!.getTime()).toBe(Math.floor(clock.now().getTime() / 1000) * 1000 + 14 * 86_400_000);
  });

  it('keeps its sequence number while nothing changes, across restarts, and raises it at every change or re-issue', async () => {
    const sequences = async (p: TrustListPublisher) =>
      Object.fromEntries(await Promise.all(TRUST_LIST_NAMES.map(async (list) => [list, (await p.current(list)).sequenceNumber]))) as Record<
        TrustListName,
        bigint
      >;
    const first = await sequences(publisher());
    const same = publisher(); // a restart, or another process
    expect(await sequences(same)).toEqual(first);
    expect((await same.current('person')).document).toEqual((await publisher().current('person')).document);

    // A new eID CA is trusted: the person list changes, the others do not.
    const otherCa = await selfSignedCa('Another Citizen CA');
    const changed = await sequences(publisher({ eidCas: [ca.citizenCa!.cert, otherCa] }));
    expect(changed).toEqual({ ...first, person: first.person + 1n });
    // Withdrawing it again is a change too: the certificate leaves the list, with a higher number.
    const withdrawn = publisher();
    expect((await withdrawn.current('person')).sequenceNumber).toBe(first.person + 2n);
    expect(readAsConnector('person', (await withdrawn.current('person')).document.toString('utf8')).keystores.ca).not.toContain(otherCa.toString('base64'));

    // Re-issued weekly even when unchanged (NextUpdate moves on).
    clock.advance(7 * 86_400_000 + 1000);
    const reissued = await sequences(publisher());
    expect(reissued).toEqual({ transport: first.transport + 1n, person: first.person + 3n, application: first.application + 1n });
    clock.advance(-(7 * 86_400_000 + 1000));
  });

  it('two publishers racing on one database make one edition per change', async () => {
    const extraCa = await selfSignedCa('Racing Citizen CA');
    const before = (await publisher().current('person')).sequenceNumber;
    const racers = [publisher({ eidCas: [extraCa] }), publisher({ eidCas: [extraCa] })];
    const results = await Promise.all(racers.map((p) => p.current('person')));
    expect(results[0]!.sequenceNumber).toBe(before + 1n);
    expect(results[1]!.document).toEqual(results[0]!.document);
  });
});
