import { createPublicKey } from 'node:crypto';
import { publicKeyIdentifier } from '../../src/ca/x509/index.js';
import { formatKeyId } from '../../src/domain/key-id.js';
import { NS } from '../../src/soap/namespaces.js';
import { childElements, descendantsNamed, parseXmlStrict, textOf } from '../../src/xml/parse.js';
import {
  CertRaClient,
  authenticationCredential,
  contractOf,
  csrFor,
  envelope,
  generateCertificateRequest,
  generateContractRequest,
  getActorQualitiesRequest,
  getCertificateRequest,
  mintPerson,
  revokeRequest,
  rsaKey,
  runAdmin,
  sign,
  signatureCredential,
  signerOf,
  submitCsrForForeignerRequest,
  type Contract,
  type Person,
} from '../support/certra-client.js';
import { createHierarchy } from '../support/dsig-test-pki.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { expectValidAgainstBothSchemaSets } from '../support/schemas.js';
import { tableCounts } from '../support/test-database.js';

const HOSPITAL = { type: 'NIHII-HOSPITAL', value: '71089815' };
const JAN_DN = 'CN=SSIN\\=85073003328,OU=eHealth-platform Belgium,OU=JAN TEST,OU=SSIN\\=85073003328,O=Federal Government,C=BE';

/** A business refusal: HTTP 200, the operation's own response, a non-Success status carrying our code. */
async function expectRefusal(t: TestPlatform, client: CertRaClient, requestXml: string, code: string): Promise<void> {
  const before = await tableCounts(t.database.db);
  const response = await client.send(requestXml);
  expect(response.httpStatus).toBe(200);
  expect(response.outcome).toBe(code);
  expect(response.statusCode).toBe('urn:be:fgov:ehealth:2.0:status:Requester');
  expect(await tableCounts(t.database.db)).toEqual(before);
}

/**
 * One refusal per bad input, each answered with its documented code (docs/certra-error-codes.md), schema-valid against
 * both schema sets, and without any database change.
 */
describe('CertRA v2 refusals', () => {
  let t: TestPlatform;
  let client: CertRaClient;
  let jan: Person; // has an issued certificate (test case: automatic validation)
  let marie: Person;
  let eva: Person; // no mandate anywhere
  let lucas: Person; // legal representative of the hospital
  let janPki: string;

  const now = () => t.clock.now();

  /** A fresh contract for the holder, signed as Signer by `signer`. */
  async function contractFor(signer: Person, holder = signerOf(signer), applicationId?: string): Promise<Contract> {
    const response = await client.generateContract({ signer: signerOf(signer), holder, ...(applicationId ? { applicationId } : {}) });
    expect(response.outcome).toBe('Success');
    return contractOf(response);
  }

  /** A generateCertificate request signed with the person's eID Signature key. */
  function signedCertificateRequest(person: Person, contract: Contract, csr: Buffer, at = now()): string {
    return sign(generateCertificateRequest(at, { contract, csr }), signatureCredential(person));
  }

  beforeAll(async () => {
    t = await startTestPlatform();
    client = new CertRaClient(t);
    jan = await mintPerson(t, '85073003328', 'Jan', 'Test');
    marie = await mintPerson(t, '79041214518', 'Marie', 'Dupont');
    eva = await mintPerson(t, '68122431193', 'Eva', 'Stranger');
    lucas = await mintPerson(t, '90021518409', 'Lucas', 'Peeters');
    await runAdmin(t, 'certra:test-case:add', { type: 'SSIN', id: jan.ssin, 'responsible-ssin': jan.ssin });
    await runAdmin(t, 'certra:mandate:add-legal-representative', {
      'org-type': HOSPITAL.type,
      'org-id': HOSPITAL.value,
      'org-name': 'Hopital Saint-Luc',
      ssin: lucas.ssin,
      evidence: 'statutes',
    });
    const issued = await client.requestCertificate(jan, signerOf(jan));
    expect(issued.response.outcome).toBe('Success');
    janPki = issued.publicKeyIdentifier!;
    // The DN now has an active certificate: further requests for it would be NOT_REPLACEABLE, so the CSR cases use
    // Marie (no test case: her accepted requests would wait in the queue).
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers a schema-invalid request with a SOAP Client fault SCHEMA_INVALID', async () => {
    const before = await tableCounts(t.database.db);
    // No Signer in GenerateContractRequest; and an unsigned GenerateCertificateRequest (ds:Signature is required).
    const noSigner = generateContractRequest(now(), { signer: signerOf(marie), holder: signerOf(marie) }).replace(/<ns3:Signer>.*<\/ns3:Signer>/s, '');
    const unsigned = generateCertificateRequest(now(), { contract: await contractFor(marie), csr: csrFor(JAN_DN, rsaKey()) });
    for (const request of [noSigner, unsigned]) {
      const response = await t.soap('/CertRa/v2', envelope(request));
      expect(response.status).toBe(500);
      expectValidAgainstBothSchemaSets(response.body);
      const document = parseXmlStrict(response.body);
      expect(textOf(descendantsNamed(document, null, 'faultcode')[0]!)).toBe('soapenv:Client');
      expect(textOf(descendantsNamed(document, null, 'Code')[0]!)).toBe('SCHEMA_INVALID');
    }
    expect(await tableCounts(t.database.db)).toEqual(before);
  });

  it('refuses a request altered after signing: INVALID_SIGNATURE', async () => {
    const contract = await contractFor(marie);
    const signed = signedCertificateRequest(marie, contract, csrFor(contract.dn, rsaKey()));
    await expectRefusal(t, client, signed.replace('jan.test@example.be', 'mallory@example.be'), 'INVALID_SIGNATURE');
  });

  it('refuses a signature by a CA that is not an eID anchor, whatever certificates the message carries: UNTRUSTED_SIGNER', async () => {
    const foreign = await createHierarchy();
    const contract = await contractFor(jan);
    const request = sign(generateCertificateRequest(now(), { contract, csr: csrFor(contract.dn, rsaKey()) }), {
      privateKey: foreign.leaf.privateKey,
      chain: [foreign.leaf.der, foreign.intermediate.der, foreign.root.der],
    });
    await expectRefusal(t, client, request, 'UNTRUSTED_SIGNER');
  });

  it('binds each operation to its key: the eID Authentication key cannot sign generateCertificate (UNTRUSTED_SIGNER)', async () => {
    const contract = await contractFor(marie);
    const request = sign(generateCertificateRequest(now(), { contract, csr: csrFor(contract.dn, rsaKey()) }), authenticationCredential(marie));
    await expectRefusal(t, client, request, 'UNTRUSTED_SIGNER');
  });

  it("refuses a signer who is not the contract's Signer: SIGNER_MISMATCH", async () => {
    const contract = await contractFor(marie);
    await expectRefusal(t, client, signedCertificateRequest(eva, contract, csrFor(contract.dn, rsaKey())), 'SIGNER_MISMATCH');
    // Same SSIN, another name than the eID's.
    const misnamed = contractOf(await client.generateContract({ signer: { ...signerOf(marie), name: 'Durand' }, holder: signerOf(marie) }));
    await expectRefusal(t, client, signedCertificateRequest(marie, misnamed, csrFor(misnamed.dn, rsaKey())), 'SIGNER_MISMATCH');
  });

  it('refuses an IssueInstant outside the window: REQUEST_EXPIRED', async () => {
    const contract = await contractFor(marie);
    const stale = new Date(now().getTime() - 6 * 60 * 1000);
    await expectRefusal(t, client, signedCertificateRequest(marie, contract, csrFor(contract.dn, rsaKey()), stale), 'REQUEST_EXPIRED');
    const future = new Date(now().getTime() + 6 * 60 * 1000);
    await expectRefusal(t, client, sign(getActorQualitiesRequest(future, marie.ssin), authenticationCredential(marie)), 'REQUEST_EXPIRED');
  });

  it.each([
    [
      'an SSIN',
      {
        signer: { ids: [{ type: 'SSIN', value: '85073003329' }], firstNames: ['Jan'], name: 'Test' },
        holder: { ids: [{ type: 'SSIN', value: '85073003329' }], firstNames: ['Jan'], name: 'Test' },
      },
    ],
    [
      'a NIHII',
      {
        signer: { ids: [{ type: 'SSIN', value: '90021518409' }], firstNames: ['Lucas'], name: 'Peeters' },
        holder: { ids: [{ type: 'NIHII-HOSPITAL', value: '71089816' }], name: 'Hopital' },
      },
    ],
    [
      'a CBE',
      {
        signer: { ids: [{ type: 'SSIN', value: '90021518409' }], firstNames: ['Lucas'], name: 'Peeters' },
        holder: { ids: [{ type: 'CBE', value: '0820563482' }], name: 'Company' },
      },
    ],
  ])('refuses %s with a wrong check digit: INVALID_IDENTIFIER', async (_kind, input) => {
    await expectRefusal(t, client, generateContractRequest(now(), input), 'INVALID_IDENTIFIER');
  });

  it('refuses a CSR whose subject is not the contract DN: DN_MISMATCH', async () => {
    const contract = await contractFor(marie);
    const other = contract.dn.replace('OU=MARIE DUPONT', 'OU=MARIE DURAND');
    await expectRefusal(t, client, signedCertificateRequest(marie, contract, csrFor(other, rsaKey())), 'DN_MISMATCH');
  });

  it('refuses a weak key: WEAK_KEY', async () => {
    const contract = await contractFor(marie);
    await expectRefusal(t, client, signedCertificateRequest(marie, contract, csrFor(contract.dn, rsaKey(1024))), 'WEAK_KEY');
  });

  it('refuses a contract we did not issue or that was altered: CONTRACT_INVALID', async () => {
    const contract = await contractFor(marie);
    const csr = csrFor(contract.dn, rsaKey());
    const alteredText = {
      ...contract,
      texts: contract.texts.map((v) => (v.lang === 'en' ? { ...v, text: v.text.replace('36 months', '120 months').replace('12 months', '120 months') } : v)),
    };
    expect(alteredText.texts).not.toEqual(contract.texts);
    await expectRefusal(t, client, signedCertificateRequest(marie, alteredText, csr), 'CONTRACT_INVALID');
    const alteredDn = { ...contract, dn: contract.dn.replace(/OU=MARIE DUPONT/, 'OU=MARIE DUPONT MD') };
    await expectRefusal(t, client, signedCertificateRequest(marie, alteredDn, csrFor(alteredDn.dn, rsaKey())), 'CONTRACT_INVALID');
    const forgedSeal = {
      ...contract,
      texts: contract.texts.map((v) => ({
        ...v,
        text: v.text.replace(/content="v1\.(\d+)\.[^"]+"/, 'content="v1.$1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"'),
      })),
    };
    await expectRefusal(t, client, signedCertificateRequest(marie, forgedSeal, csr), 'CONTRACT_INVALID');
    // A revocation contract is not a certificate contract.
    const revocation = contractOf(await client.generateRevocationContract(jan, janPki, 'superseded'));
    const { reason: _reason, ...asCertificateContract } = revocation;
    await expectRefusal(t, client, signedCertificateRequest(jan, asCertificateContract, csr), 'CONTRACT_INVALID');
  });

  it('refuses a contract after its validity: CONTRACT_INVALID', async () => {
    const contract = await contractFor(marie);
    t.clock.advance(25 * 60 * 60 * 1000);
    try {
      await expectRefusal(t, client, signedCertificateRequest(marie, contract, csrFor(contract.dn, rsaKey())), 'CONTRACT_INVALID');
    } finally {
      t.clock.advance(-25 * 60 * 60 * 1000);
    }
  });

  it('refuses a request for another person: NOT_AUTHORIZED', async () => {
    await expectRefusal(t, client, generateContractRequest(now(), { signer: signerOf(jan), holder: signerOf(marie) }), 'NOT_AUTHORIZED');
    await expectRefusal(t, client, sign(getActorQualitiesRequest(now(), marie.ssin), authenticationCredential(jan)), 'NOT_AUTHORIZED');
  });

  it('refuses an organisation request from someone without a mandate: NOT_AUTHORIZED', async () => {
    const contract = await contractFor(eva, { ids: [HOSPITAL], firstNames: ['Eva'], name: 'Hopital Saint-Luc' });
    await expectRefusal(t, client, signedCertificateRequest(eva, contract, csrFor(contract.dn, rsaKey())), 'NOT_AUTHORIZED');
    // A mandate holder cannot rename the organisation either.
    const renamed = await contractFor(lucas, { ids: [HOSPITAL], firstNames: ['Lucas'], name: 'Another Name' });
    await expectRefusal(t, client, signedCertificateRequest(lucas, renamed, csrFor(renamed.dn, rsaKey())), 'NOT_AUTHORIZED');
  });

  it("refuses the revocation of someone else's certificate: NOT_AUTHORIZED", async () => {
    const contract = contractOf(await client.generateRevocationContract(eva, janPki, 'keyCompromise'));
    await expectRefusal(t, client, sign(revokeRequest(now(), { publicKeyIdentifier: janPki, contract }), signatureCredential(eva)), 'NOT_AUTHORIZED');
  });

  it('refuses a revocation contract used for another certificate: CONTRACT_INVALID', async () => {
    const contract = contractOf(await client.generateRevocationContract(jan, janPki, 'keyCompromise'));
    const otherPki = formatKeyId(publicKeyIdentifier(createPublicKey(rsaKey()).export({ type: 'spki', format: 'der' })));
    await expectRefusal(t, client, sign(revokeRequest(now(), { publicKeyIdentifier: otherPki, contract }), signatureCredential(jan)), 'CONTRACT_INVALID');
  });

  it('refuses a second request while one waits for validation (REQUEST_PENDING), and a reused key (PUBLIC_KEY_IN_USE)', async () => {
    const first = await client.requestCertificate(marie, signerOf(marie));
    expect(first.response.outcome).toBe('Success');
    const contract = await contractFor(marie);
    await expectRefusal(t, client, signedCertificateRequest(marie, contract, csrFor(contract.dn, rsaKey())), 'REQUEST_PENDING');
    // The same key for another DN.
    const evaContract = await contractFor(eva);
    await expectRefusal(t, client, signedCertificateRequest(eva, evaContract, csrFor(evaContract.dn, first.key)), 'PUBLIC_KEY_IN_USE');
    // A retry of the accepted request gets the same answer and adds nothing.
    const before = await tableCounts(t.database.db);
    const retry = await client.send(signedCertificateRequest(marie, first.contract, csrFor(first.contract.dn, first.key)));
    expect(retry.outcome).toBe('Success');
    expect(await tableCounts(t.database.db)).toEqual(before);
    await runAdmin(t, 'certra:requests:refuse', { pki: first.publicKeyIdentifier!, reason: 'test over' });
  });

  it('refuses unknown certificates (CERTIFICATE_NOT_FOUND), foreigners without a BIS number and bad base services', async () => {
    await expectRefusal(t, client, getCertificateRequest(now(), '00'.repeat(20)), 'CERTIFICATE_NOT_FOUND');
    const key = rsaKey();
    await expectRefusal(
      t,
      client,
      submitCsrForForeignerRequest(now(), {
        person: { ids: [{ type: 'SSIN', value: marie.ssin }], firstNames: ['Marie'], name: 'Dupont' },
        csr: csrFor(JAN_DN, key),
      }),
      'INVALID_IDENTIFIER',
    );
    // A BIS number with a wrong check digit, on the one public operation that writes.
    await expectRefusal(
      t,
      client,
      submitCsrForForeignerRequest(now(), {
        person: { ids: [{ type: 'SSIN', value: '85473003516' }], firstNames: ['Anna'], name: 'Schmidt' },
        csr: csrFor(JAN_DN, key),
      }),
      'INVALID_IDENTIFIER',
    );
    const contract = await contractFor(eva);
    await expectRefusal(
      t,
      client,
      sign(generateCertificateRequest(now(), { contract, csr: csrFor(contract.dn, key), baseServices: ['teleportation'] }), signatureCredential(eva)),
      'INVALID_REQUEST',
    );
  });

  it('leaves exactly one request when concurrent generateCertificate calls race for one DN', async () => {
    const contract = await contractFor(eva);
    const requests = Array.from({ length: 6 }, () => signedCertificateRequest(eva, contract, csrFor(contract.dn, rsaKey())));
    const responses = await Promise.all(requests.map((request) => client.send(request)));
    expect(responses.filter((r) => r.success)).toHaveLength(1);
    expect(responses.filter((r) => !r.success).map((r) => r.outcome)).toEqual(Array(5).fill('REQUEST_PENDING'));
    const rows = await t.database.db.query('SELECT id FROM certra_requests WHERE requester_ssin = $1', [eva.ssin]);
    expect(rows).toHaveLength(1);
  });

  it('issues exactly one certificate when automatically validated requests race for one DN', async () => {
    const paul = await mintPerson(t, '88080828620', 'Paul', 'Racer');
    await runAdmin(t, 'certra:test-case:add', { type: 'SSIN', id: paul.ssin, 'responsible-ssin': paul.ssin });
    const contract = await contractFor(paul);
    const requests = Array.from({ length: 6 }, () => signedCertificateRequest(paul, contract, csrFor(contract.dn, rsaKey())));
    const responses = await Promise.all(requests.map((request) => client.send(request)));
    expect(responses.filter((r) => r.success)).toHaveLength(1);
    expect(responses.filter((r) => !r.success).map((r) => r.outcome)).toEqual(Array(5).fill('NOT_REPLACEABLE'));
    const rows = await t.database.db.query("SELECT id FROM certra_requests WHERE requester_ssin = $1 AND status = 'ISSUED'", [paul.ssin]);
    expect(rows).toHaveLength(1);
  });

  it('never answers a refusal with anything but EteeStatusDetail in StatusDetail', async () => {
    const response = await client.send(getCertificateRequest(now(), 'AB'.repeat(20)));
    const detail = descendantsNamed(response.element, NS.commonsCoreV2, 'StatusDetail')[0]!;
    expect(childElements(detail).map((c) => `${c.namespaceURI} ${c.localName}`)).toEqual([`${NS.eteeCoreV2} EteeStatusDetail`]);
  });
});
