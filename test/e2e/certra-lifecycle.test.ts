import { execFile } from 'node:child_process';
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { publicKeyIdentifier } from '../../src/ca/x509/index.js';
import { addMonths } from '../../src/domain/clock.js';
import { formatKeyId } from '../../src/domain/key-id.js';
import { dnEquals } from '../../src/identifiers/index.js';
import { NS } from '../../src/soap/namespaces.js';
import { certificateRegistry } from '../../src/storage/certificate-registry.js';
import { etkRepository } from '../../src/storage/etk-repository.js';
import { childrenNamed, textOf } from '../../src/xml/parse.js';
import {
  CertRaClient,
  authenticationCredential,
  certificateChainOf,
  child,
  childTexts,
  contractOf,
  csrFor,
  mintPerson,
  rsaKey,
  runAdmin,
  sign,
  signerOf,
  getActorQualitiesRequest,
  type CertificateInfoView,
  type Person,
  type SigningCredential,
} from '../support/certra-client.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { tableCounts } from '../support/test-database.js';

const HOSPITAL = { type: 'NIHII-HOSPITAL', value: '71089815' };
const CERT = NS.certraCoreV2;
const DAY = 24 * 60 * 60 * 1000;

function pkiOf(key: KeyObject): string {
  return formatKeyId(publicKeyIdentifier(createPublicKey(key).export({ type: 'spki', format: 'der' })));
}

function infoFor(infos: readonly CertificateInfoView[], pki: string): CertificateInfoView {
  const info = infos.find((i) => i.publicKeyIdentifier === pki);
  if (!info) throw new Error(`no CertificateInfo for ${pki} in ${infos.map((i) => i.publicKeyIdentifier).join(', ')}`);
  return info;
}

/**
 * The whole CertRA v2 lifecycle over SOAP, with requests signed as the connector lays them out and identities minted
 * by the CA module: registrations (CLI) → contract → certificate (automatic and manual validation, refusal) →
 * organisations with mandates → replacement inside the window → revocation (certificate and ETK, CRL) → foreigner →
 * expiry, with getCertificateInfo* checked at every step. Steps share state and run in order.
 */
describe('CertRA v2 lifecycle', () => {
  let t: TestPlatform;
  let client: CertRaClient;
  let jan: Person; // natural person with an acceptance test case: automatic validation
  let marie: Person; // natural person without test case: manual approval
  let pierre: Person; // natural person whose request is refused
  let lucas: Person; // legal representative of the hospital
  let sofie: Person; // certificate manager designated by lucas
  let eva: Person; // nobody's mandate
  const state: Record<string, string> = {};
  let janKey: KeyObject;
  let janCredential: SigningCredential;
  let jan2Key: KeyObject;

  beforeAll(async () => {
    t = await startTestPlatform();
    client = new CertRaClient(t);
    jan = await mintPerson(t, '85073003328', 'Jan', 'Test');
    marie = await mintPerson(t, '79041214518', 'Marie', 'Dupont');
    pierre = await mintPerson(t, '82010126972', 'Pierre', 'Martin');
    lucas = await mintPerson(t, '90021518409', 'Lucas', 'Peeters');
    sofie = await mintPerson(t, '77070707325', 'Sofie', 'Janssens');
    eva = await mintPerson(t, '68122431193', 'Eva', 'Stranger');
  });
  afterAll(async () => {
    await t.close();
  });

  it('advertises the organisation types with their validation rules', async () => {
    const response = await client.getGenericOrganizationTypes();
    expect(response.outcome).toBe('Success');
    const types = childrenNamed(response.element, NS.certraProtocolV2, 'OrganizationType').map((o) => ({
      type: textOf(child(o, 'IdentifierType', CERT)),
      regex: textOf(child(o, 'ValidationRegEx', CERT)),
      checks: childTexts(o, 'CheckDigitAlgorithm', CERT),
      services: childTexts(o, 'AvailableBaseService', CERT),
    }));
    expect(types).toContainEqual({ type: 'NIHII-HOSPITAL', regex: '[0-9]{8}', checks: ['CHECK-97-MOD-97'], services: ['tsa', 'consultrn', 'codage', 'other'] });
    expect(types).toContainEqual(expect.objectContaining({ type: 'CBE', regex: '[01][0-9]{9}', checks: ['CHECK-97-MOD-97'] }));
    // Persons are not organisations; NIHII11 and SITE fall outside what the organisation profile certifies.
    expect(types.map((x) => x.type)).not.toEqual(expect.arrayContaining(['SSIN']));
    expect(types.map((x) => x.type)).not.toContain('NIHII11');
    expect(types.map((x) => x.type)).not.toContain('SITE');
  });

  it('registers test cases and mandates with the CLI, each change audited with the operator', async () => {
    await runAdmin(t, 'certra:test-case:add', { type: 'SSIN', id: jan.ssin, 'responsible-ssin': jan.ssin, description: 'integrator Jan' });
    await runAdmin(t, 'certra:test-case:add', { type: HOSPITAL.type, id: HOSPITAL.value, 'responsible-ssin': sofie.ssin, description: 'UREG hospital' });
    const lr = await runAdmin(t, 'certra:mandate:add-legal-representative', {
      'org-type': HOSPITAL.type,
      'org-id': HOSPITAL.value,
      'org-name': 'Hôpital Saint-Luc',
      ssin: lucas.ssin,
      evidence: 'statutes 2019, board decision 2024-03',
    });
    expect(lr[0]).toContain('LEGAL_REPRESENTATIVE');
    const cm = await runAdmin(t, 'certra:mandate:add-certificate-manager', {
      'org-type': HOSPITAL.type,
      'org-id': HOSPITAL.value,
      ssin: sofie.ssin,
      'designated-by': lucas.ssin,
      evidence: 'procuration form 2024-117',
    });
    expect(cm[0]).toMatch(/CERTIFICATE_MANAGER .*"HOPITAL SAINT-LUC"|"HOPITAL SAINT-LUC" CERTIFICATE_MANAGER/);
    // Only a registered legal representative can designate.
    await expect(
      runAdmin(t, 'certra:mandate:add-certificate-manager', {
        'org-type': HOSPITAL.type,
        'org-id': HOSPITAL.value,
        ssin: eva.ssin,
        'designated-by': sofie.ssin,
        evidence: 'x',
      }),
    ).rejects.toThrow(/NOT_AUTHORIZED/);
    const listed = await runAdmin(t, 'certra:mandate:list', { 'org-type': HOSPITAL.type, 'org-id': HOSPITAL.value });
    expect(listed.at(-1)).toBe('2 mandate(s)');
    const audit = await t.database.db.query<{ actor: string; action: string }>("SELECT actor, action FROM audit_log WHERE action LIKE 'certra.%' ORDER BY id");
    expect(audit).toEqual([
      { actor: 'officer.dupont', action: 'certra.test-case.registered' },
      { actor: 'officer.dupont', action: 'certra.test-case.registered' },
      { actor: 'officer.dupont', action: 'certra.mandate.registered' },
      { actor: 'officer.dupont', action: 'certra.mandate.registered' },
    ]);
  });

  it('answers getActorQualities with exactly the organisations of the signer', async () => {
    const forSofie = await client.getActorQualities(sofie);
    expect(forSofie.outcome).toBe('Success');
    expect(textOf(child(forSofie.element, 'NaturalPersonAuthorization'))).toBe('true');
    const organisations = childrenNamed(forSofie.element, NS.certraProtocolV2, 'OrganizationAuthorization');
    expect(organisations).toHaveLength(1);
    const identifier = child(organisations[0]!, 'Identifier', CERT);
    expect({ type: identifier.getAttribute('Type'), value: textOf(identifier) }).toEqual(HOSPITAL);
    expect(childTexts(child(organisations[0]!, 'Name', CERT), 'Value', CERT)).toEqual(['HOPITAL SAINT-LUC', 'HOPITAL SAINT-LUC', 'HOPITAL SAINT-LUC']);
    const forEva = await client.getActorQualities(eva);
    expect(forEva.outcome).toBe('Success');
    expect(childrenNamed(forEva.element, NS.certraProtocolV2, 'OrganizationAuthorization')).toHaveLength(0);
    // Older clients sign with rsa-sha1 / sha1: accepted too.
    const sha1 = await client.send(
      sign(getActorQualitiesRequest(t.clock.now(), sofie.ssin), authenticationCredential(sofie), { signatureMethod: 'rsa-sha1', digestMethod: 'sha1' }),
    );
    expect(sha1.outcome).toBe('Success');
  });

  it('generates a contract: eHealth DN, the Signer echoed, sealed HTML texts in fr, nl and en', async () => {
    const response = await client.generateContract({ signer: signerOf(jan), holder: signerOf(jan) });
    expect(response.outcome).toBe('Success');
    const contract = contractOf(response);
    expect(contract.dn).toBe('CN=SSIN\\=85073003328,OU=eHealth-platform Belgium,OU=JAN TEST,OU=SSIN\\=85073003328,O=Federal Government,C=BE');
    expect(contract.signer).toEqual(signerOf(jan));
    expect(contract.texts.map((v) => v.lang)).toEqual(['fr', 'nl', 'en']);
    for (const { lang, text } of contract.texts) {
      expect(text.startsWith(`<!DOCTYPE html>\n<html lang="${lang}">`)).toBe(true);
      expect(text).toMatch(/<meta name="ehealth-contract-seal" content="v1\.\d+\.[A-Za-z0-9_-]{43}">/);
      expect(text).toContain('85073003328');
    }
    // Public and unsigned: generating a contract writes nothing.
    const before = await tableCounts(t.database.db);
    await client.generateContract({ signer: signerOf(jan), holder: signerOf(jan) });
    expect(await tableCounts(t.database.db)).toEqual(before);
  });

  it('issues at once when a test case is registered: getCertificate returns the chain, leaf first, no root', async () => {
    const requested = await client.requestCertificate(jan, signerOf(jan), { baseServices: ['tsa', 'codage'] });
    expect(requested.response.outcome).toBe('Success');
    janKey = requested.key;
    const pki = pkiOf(janKey);
    expect(requested.publicKeyIdentifier).toBe(pki);
    expect(textOf(child(requested.response.element, 'AutomaticallyValidated'))).toBe('true');
    expect(childrenNamed(requested.response.element, NS.certraProtocolV2, 'ReplacesCertificate')).toHaveLength(0);
    state.jan1 = pki;

    const got = await client.getCertificate(pki);
    expect(got.outcome).toBe('Success');
    const chain = certificateChainOf(got);
    const ca = t.platform.services.ca;
    expect(chain.slice(1)).toEqual(ca.issuingChain.filter((der) => !der.equals(ca.root.cert)));
    const leaf = new X509Certificate(chain[0]!);
    expect(leaf.checkIssued(new X509Certificate(chain[1]!))).toBe(true);
    expect(leaf.publicKey.export({ type: 'spki', format: 'der' })).toEqual(createPublicKey(janKey).export({ type: 'spki', format: 'der' }));
    expect(dnEquals(leaf.subject.split('\n').reverse().join(','), requested.contract.dn)).toBe(true);
    // Acceptance: 12 months.
    const months = (new Date(leaf.validTo).getTime() - new Date(leaf.validFrom).getTime()) / DAY;
    expect(months).toBeGreaterThanOrEqual(365);
    expect(months).toBeLessThanOrEqual(366);
    janCredential = { privateKey: janKey, chain };
    // The signed request is kept with the request as evidence of the accepted contract.
    const [evidence] = await t.database.db.query<{ signed_request: string }>('SELECT signed_request FROM certra_requests WHERE public_key_identifier = $1', [
      pki,
    ]);
    expect(evidence!.signed_request).toMatch(/^<ns3:GenerateCertificateRequest .*<ds:SignatureValue>.*<\/ns3:GenerateCertificateRequest>$/s);
    expect(evidence!.signed_request).toContain(`<ns2:DN>${requested.contract.dn}</ns2:DN>`);
  });

  it('queues a request without test case until an officer approves it (CLI), getCertificate polling meanwhile', async () => {
    const requested = await client.requestCertificate(marie, signerOf(marie));
    expect(requested.response.outcome).toBe('Success');
    expect(textOf(child(requested.response.element, 'AutomaticallyValidated'))).toBe('false');
    const pki = requested.publicKeyIdentifier!;
    state.marie = pki;

    for (let poll = 0; poll < 2; poll++) {
      const pending = await client.getCertificate(pki);
      expect(pending.outcome).toBe('CERT_NOT_YET_DELIVERED');
      expect(pending.statusCode).toBe('urn:be:fgov:ehealth:2.0:status:Responder');
      expect(childrenNamed(pending.element, NS.certraProtocolV2, 'X509Certificate')).toHaveLength(0);
    }
    const { infos } = await client.getCertificateInfoForCitizen(marie);
    expect(infoFor(infos, pki)).toMatchObject({
      status: 'IN_PROGRESS',
      automaticallyValidated: false,
      revocable: false,
      replaceable: false,
      serialNumber: undefined,
    });

    const queue = await runAdmin(t, 'certra:requests:list', {});
    expect(queue.some((line) => line.startsWith(`${pki} PENDING eid`))).toBe(true);
    const approved = await runAdmin(t, 'certra:requests:approve', { pki, note: 'identity checked against the cadastre' }, 'officer.martens');
    expect(approved[0]).toContain('decided');
    expect(approved[0]).toContain('by officer.martens');

    const delivered = await client.getCertificate(pki);
    expect(delivered.outcome).toBe('Success');
    expect(certificateChainOf(delivered)).toHaveLength(2);
    const after = await client.getCertificateInfoForCitizen(marie);
    expect(infoFor(after.infos, pki)).toMatchObject({ status: 'VALID_ACTIVE', automaticallyValidated: false, revocable: true, replaceable: false });
    const decision = await t.database.db.query<{ decided_by: string }>('SELECT decided_by FROM certra_requests WHERE public_key_identifier = $1', [pki]);
    expect(decision).toEqual([{ decided_by: 'officer.martens' }]);
  });

  it('answers a refusal status to getCertificate after an officer refuses the request', async () => {
    const requested = await client.requestCertificate(pierre, signerOf(pierre));
    const pki = requested.publicKeyIdentifier!;
    await runAdmin(t, 'certra:requests:refuse', { pki, reason: 'not a healthcare professional' });
    const refused = await client.getCertificate(pki);
    expect(refused.outcome).toBe('REQUEST_REFUSED');
    expect(refused.statusCode).toBe('urn:be:fgov:ehealth:2.0:status:Requester');
    expect(refused.errors[0]!.message).toContain('not a healthcare professional');
    const { infos } = await client.getCertificateInfoForCitizen(pierre);
    expect(infoFor(infos, pki)).toMatchObject({ status: 'REFUSED', revocable: false, replaceable: false });
    // A refused request does not block the DN.
    const again = await client.requestCertificate(pierre, signerOf(pierre));
    expect(again.response.outcome).toBe('Success');
  });

  it('issues organisation certificates to mandate holders, with and without application id', async () => {
    const hospital = { ids: [HOSPITAL], firstNames: ['Sofie'], name: 'Hopital Saint-Luc' };
    const bySofie = await client.requestCertificate(sofie, hospital, { applicationId: 'myapp' });
    expect(bySofie.response.outcome).toBe('Success');
    expect(bySofie.contract.dn).toBe(
      'CN=NIHII-HOSPITAL\\=71089815\\, MYAPP,OU=eHealth-platform Belgium,OU=HOPITAL SAINT-LUC,OU=NIHII-HOSPITAL\\=71089815,OU=MYAPP,O=Federal Government,C=BE',
    );
    expect(textOf(child(bySofie.response.element, 'AutomaticallyValidated'))).toBe('true');
    state.hospitalApp = bySofie.publicKeyIdentifier!;

    const byLucas = await client.requestCertificate(lucas, { ids: [HOSPITAL], firstNames: ['Lucas'], name: 'HÔPITAL SAINT-LUC' });
    expect(byLucas.response.outcome).toBe('Success');
    expect(textOf(child(byLucas.response.element, 'AutomaticallyValidated'))).toBe('false');
    state.hospital = byLucas.publicKeyIdentifier!;

    const inUse = await client.getExistingApplicationIds(HOSPITAL);
    expect(inUse.statusCode).toBeUndefined();
    const entries = childrenNamed(inUse.element, NS.certraProtocolV2, 'ApplicationId').map((e) =>
      e.getAttributeNS(NS.xsi, 'nil') === 'true' ? null : textOf(e),
    );
    expect(entries).toEqual([null, 'MYAPP']);

    await runAdmin(t, 'certra:requests:approve', { pki: state.hospital });
    for (const manager of [sofie, lucas]) {
      const { infos } = await client.getCertificateInfoForCitizen(manager);
      expect(infos.map((i) => i.publicKeyIdentifier).sort()).toEqual([state.hospitalApp, state.hospital].sort());
      expect(infoFor(infos, state.hospitalApp)).toMatchObject({
        entityType: 'Organization',
        identifier: HOSPITAL,
        applicationId: 'MYAPP',
        status: 'VALID_ACTIVE',
      });
    }
    const unknown = await client.getExistingApplicationIds({ type: 'NIHII-HOSPITAL', value: '71089816' });
    expect(childrenNamed(unknown.element, NS.certraProtocolV2, 'ApplicationId')).toHaveLength(0);
  });

  it("lists the signer's own certificates with their details in getCertificateInfoForCitizen", async () => {
    const { response, infos } = await client.getCertificateInfoForCitizen(jan);
    expect(response.outcome).toBe('Success');
    expect(infos).toHaveLength(1);
    const info = infoFor(infos, state.jan1!);
    const leaf = new X509Certificate(janCredential.chain[0]!);
    expect(info).toMatchObject({
      entityType: 'NaturalPerson',
      identifier: { type: 'SSIN', value: jan.ssin },
      status: 'VALID_ACTIVE',
      etkStatus: 'NOT_REQUESTED',
      automaticallyValidated: true,
      serialNumber: BigInt(`0x${leaf.serialNumber}`).toString(10),
      revocable: true,
      replaceable: false,
      baseServiceUsage: ['tsa', 'codage'],
    });
    expect(new Date(info.replacementPeriodStart!).toISOString()).toBe(addMonths(new Date(leaf.validTo), -3).toISOString());
  });

  it('answers getCertificateInfoForAuthenticationCertificate for the eHealth certificate that signs', async () => {
    const { response, info } = await client.getCertificateInfoForAuthenticationCertificate(janCredential);
    expect(response.outcome).toBe('Success');
    expect(info).toMatchObject({ publicKeyIdentifier: state.jan1, status: 'VALID_ACTIVE', identifier: { type: 'SSIN', value: jan.ssin } });
    // An eID is not an eHealth certificate.
    const byEid = await client.getCertificateInfoForAuthenticationCertificate({
      privateKey: jan.identity.authentication.privateKey,
      chain: [jan.identity.authentication.certificate, ...jan.identity.chain],
    });
    expect(byEid.response.outcome).toBe('UNTRUSTED_SIGNER');
  });

  it('refuses a second certificate for the same DN before the replacement period, and replaces inside it', async () => {
    const before = await tableCounts(t.database.db);
    const early = await client.requestCertificate(jan, signerOf(jan));
    expect(early.response.outcome).toBe('NOT_REPLACEABLE');
    // The period opens 3 months before the current certificate's notAfter, which is in the future.
    const periodStart = new Date(String(early.response.errors[0]!.parameters.ReplacementPeriodStartDate));
    expect(periodStart.getTime()).toBeGreaterThan(t.clock.now().getTime());
    expect(await tableCounts(t.database.db)).toEqual(before);

    const notAfter = new Date(new X509Certificate(janCredential.chain[0]!).validTo);
    t.clock.set(new Date(addMonths(notAfter, -3).getTime() + DAY));
    const { infos } = await client.getCertificateInfoForCitizen(jan);
    expect(infoFor(infos, state.jan1!)).toMatchObject({ status: 'VALID_ACTIVE', replaceable: true });

    const replacement = await client.requestCertificate(jan, signerOf(jan));
    expect(replacement.response.outcome).toBe('Success');
    expect(textOf(child(replacement.response.element, 'ReplacesCertificate'))).toBe(state.jan1);
    state.jan2 = replacement.publicKeyIdentifier!;
    jan2Key = replacement.key;

    const after = await client.getCertificateInfoForCitizen(jan);
    expect(infoFor(after.infos, state.jan1!)).toMatchObject({ status: 'VALID_ACTIVE', replaceable: false });
    expect(infoFor(after.infos, state.jan2!)).toMatchObject({ status: 'VALID_ACTIVE', replaceable: false });
    // Two active certificates for the DN now: a third request is refused.
    const third = await client.requestCertificate(jan, signerOf(jan));
    expect(third.response.outcome).toBe('NOT_REPLACEABLE');
  });

  it('revokes a certificate and its ETK; the CRL lists the serial', async () => {
    const db = t.database.db;
    const [row] = await db.query<{ id: bigint; serial_hex: string; not_before: Date; not_after: Date }>(
      'SELECT c.id, c.serial_hex, c.not_before, c.not_after FROM issued_certificates c JOIN certra_requests r ON r.issued_certificate_id = c.id WHERE r.public_key_identifier = $1',
      [state.jan2],
    );
    // An ETK registered for the certificate (as EtkRA would): published until the revocation.
    await db.transaction((tx) =>
      etkRepository.insert(tx, {
        issuedCertificateId: row!.id,
        holder: { type: 'SSIN', value: jan.ssin, applicationId: undefined },
        encryptionSerialHex: '0102030405060708090a0b0c0d0e0f10',
        publicKeySpki: createPublicKey(rsaKey()).export({ type: 'spki', format: 'der' }),
        etkDer: Buffer.from('3000', 'hex'),
        notBefore: row!.not_before,
        notAfter: row!.not_after,
        status: 'ACTIVE',
        registeredAt: t.clock.now(),
      }),
    );
    expect(infoFor((await client.getCertificateInfoForCitizen(jan)).infos, state.jan2!).etkStatus).toBe('VALID_ACTIVE');

    const contractResponse = await client.generateRevocationContract(jan, state.jan2!, 'keyCompromise');
    expect(contractResponse.outcome).toBe('Success');
    const contract = contractOf(contractResponse);
    expect(contract.reason).toBe('keyCompromise');
    expect(dnEquals(contract.dn, 'CN=SSIN\\=85073003328,OU=eHealth-platform Belgium,OU=JAN TEST,OU=SSIN\\=85073003328,O=Federal Government,C=BE')).toBe(true);
    const revoked = await client.revoke(jan, state.jan2!, contract);
    expect(revoked.outcome).toBe('Success');

    const info = infoFor((await client.getCertificateInfoForCitizen(jan)).infos, state.jan2!);
    expect(info).toMatchObject({ status: 'REVOKED', etkStatus: 'REVOKED', revocable: false, replaceable: false });
    expect(await etkRepository.statusForCertificate(db, row!.id, t.clock.now())).toBe('REVOKED');

    const crl = await t.app.inject({ method: 'GET', url: '/crl/issuing-ca.crl' });
    expect(crl.statusCode).toBe(200);
    const directory = mkdtempSync(join(tmpdir(), 'certra-crl-'));
    try {
      writeFileSync(join(directory, 'issuing.crl'), crl.rawPayload);
      const { stdout } = await promisify(execFile)('openssl', ['crl', '-inform', 'DER', '-text', '-noout', '-in', join(directory, 'issuing.crl')]);
      expect(stdout).toContain(`Serial Number: ${row!.serial_hex.toUpperCase().padStart(row!.serial_hex.length + (row!.serial_hex.length % 2), '0')}`);
      expect(stdout).toContain('Key Compromise');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }

    // The revoked certificate no longer authenticates, and cannot be revoked twice.
    const bySelf = await client.getCertificateInfoForAuthenticationCertificate({ privateKey: janKey, chain: janCredential.chain });
    expect(bySelf.response.outcome).toBe('Success');
    const jan2Chain = certificateChainOf(await client.getCertificate(state.jan2!));
    const byRevoked = await client.getCertificateInfoForAuthenticationCertificate({ privateKey: jan2Key, chain: jan2Chain });
    expect(byRevoked.response.outcome).toBe('UNTRUSTED_SIGNER');
    expect((await client.generateRevocationContract(jan, state.jan2!, 'superseded')).outcome).toBe('NOT_REVOCABLE');
    expect((await client.revoke(jan, state.jan2!, contract)).outcome).toBe('NOT_REVOCABLE');
  });

  it('publishes every revoked serial in the CRL, whatever its length (the registry drops leading zeros)', async () => {
    // About one issued serial in eight starts with a zero nibble: recorded as an odd number of hex digits.
    const db = t.database.db;
    const issuerKeyId = t.platform.services.issuer.issuerKeyId;
    const id = await certificateRegistry.journalIntent(
      db,
      {
        issuerKeyId,
        serialHex: '0abc',
        subjectKeyId: '11'.repeat(20),
        subjectDn: 'CN=odd serial',
        profile: 'ehealth-natural-person',
        notBefore: t.clock.now(),
        notAfter: new Date(t.clock.now().getTime() + DAY),
      },
      { actor: 'test', action: 'certificate.sign.intent' },
    );
    await certificateRegistry.recordIssued(db, id, Buffer.from('3000', 'hex'), t.clock.now());
    await certificateRegistry.revoke(db, id, t.clock.now(), 'keyCompromise');
    t.platform.services.crls.invalidate();
    const crl = await t.app.inject({ method: 'GET', url: '/crl/issuing-ca.crl' });
    expect(crl.statusCode).toBe(200);
    const directory = mkdtempSync(join(tmpdir(), 'certra-crl-'));
    try {
      writeFileSync(join(directory, 'issuing.crl'), crl.rawPayload);
      const { stdout } = await promisify(execFile)('openssl', ['crl', '-inform', 'DER', '-text', '-noout', '-in', join(directory, 'issuing.crl')]);
      expect(stdout).toContain('Serial Number: 0ABC\n');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('lets an organisation certificate be revoked by a mandate holder', async () => {
    const contract = contractOf(await client.generateRevocationContract(lucas, state.hospitalApp!, 'cessationOfOperation'));
    expect((await client.revoke(lucas, state.hospitalApp!, contract)).outcome).toBe('Success');
    const { infos } = await client.getCertificateInfoForCitizen(sofie);
    expect(infoFor(infos, state.hospitalApp!).status).toBe('REVOKED');
    const inUse = await client.getExistingApplicationIds(HOSPITAL);
    expect(childrenNamed(inUse.element, NS.certraProtocolV2, 'ApplicationId').map((e) => e.getAttributeNS(NS.xsi, 'nil'))).toEqual(['true']);
  });

  it("queues a foreigner's CSR for an out-of-band identity check, then issues on approval", async () => {
    const key = rsaKey();
    const dn = 'CN=SSIN\\=85473003515,OU=eHealth-platform Belgium,OU=SCHMIDT ANNA,OU=SSIN\\=85473003515,O=Federal Government,C=BE';
    const response = await client.submitCsrForForeigner({
      person: { ids: [{ type: 'SSIN', value: '85473003515' }], firstNames: ['Anna'], name: 'Schmidt' },
      csr: csrFor(dn, key),
    });
    expect(response.outcome).toBe('Success');
    const url = new URL(textOf(child(response.element, 'ValidationUrl')));
    expect(url.pathname).toMatch(/^\/CertRa\/v2\/foreigner-validation\/[A-Za-z0-9_-]{32}$/);
    expect(new Date(textOf(child(response.element, 'ExpirationDate'))).getTime()).toBe(t.clock.now().getTime() + 14 * DAY);
    const pki = pkiOf(key);
    expect((await client.getCertificate(pki)).outcome).toBe('CERT_NOT_YET_DELIVERED');
    // The page behind ValidationUrl tells where the request stands.
    const waiting = await t.app.inject({ method: 'GET', url: url.pathname });
    expect(waiting.statusCode).toBe(200);
    expect(waiting.headers['content-type']).toContain('text/html');
    expect(waiting.body).toContain('waits for the validation of your identity');
    expect((await t.app.inject({ method: 'GET', url: url.pathname.replace(/[^/]+$/, '0'.repeat(32)) })).statusCode).toBe(404);

    await expect(runAdmin(t, 'certra:requests:approve', { pki })).rejects.toThrow(/identity evidence/);
    await runAdmin(t, 'certra:requests:approve', { pki, 'identity-evidence': 'passport C01X00T47 seen at the Brussels registration office' });
    expect((await client.getCertificate(pki)).outcome).toBe('Success');
    expect((await t.app.inject({ method: 'GET', url: url.pathname })).body).toContain('certificate issued');
  });

  it('reports EXPIRED once notAfter has passed', async () => {
    const notAfter = new Date(new X509Certificate(janCredential.chain[0]!).validTo);
    t.clock.set(new Date(notAfter.getTime() + DAY));
    const { infos } = await client.getCertificateInfoForCitizen(jan);
    expect(infoFor(infos, state.jan1!)).toMatchObject({ status: 'EXPIRED', revocable: false, replaceable: false });
    expect(infoFor(infos, state.jan2!)).toMatchObject({ status: 'REVOKED' });
    expect((await client.generateRevocationContract(jan, state.jan1!, 'superseded')).outcome).toBe('NOT_REVOCABLE');
  });
});
