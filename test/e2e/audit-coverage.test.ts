import { formatKeyId } from '../../src/domain/key-id.js';
import { AuditChain } from '../../src/services/audit-chain.js';
import { approveRequest } from '../../src/services/certra/index.js';
import { auditLog, certificateRegistry } from '../../src/storage/certificate-registry.js';
import { startTestPlatform } from '../support/platform.js';
import { testEngine } from '../support/test-database.js';
import { mintCitizen, openTestServices, requestCertificate, type TestServices } from '../support/services.js';

/**
 * What the audit chain covers, on the services as the composition root builds them (development CA, development audit
 * key): an officer's approval, the CA key's signature of the certificate (intent and outcome, with serial and TBS hash),
 * and the CRL the CA key signs; all chained, a checkpoint signed by the audit key, the whole verifying.
 */
describe(`audit coverage of officer actions and CA key use (${testEngine})`, () => {
  let t: TestServices;
  beforeAll(async () => {
    t = await openTestServices({ CERTRA_AUTOMATIC_VALIDATION: 'manual' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('records the approval, the certificate signature and the CRL signature in one verifiable chain', async () => {
    const deps = t.services.certRa;
    const person = await mintCitizen(t, '85073003328', 'Anna', 'Audit');
    const { outcome } = await requestCertificate(deps, person);
    await approveRequest(deps, { publicKeyIdentifier: outcome.publicKeyIdentifier, officer: 'officer.coverage', note: 'checked by phone' });
    const [issued] = await certificateRegistry.findBySubjectKeyId(t.database.db, outcome.publicKeyIdentifier);
    const issuing = t.services.ca.issuing;
    await t.services.crls.crlFor({ keyId: formatKeyId(issuing.fields.subjectKeyIdentifier), certificate: issuing.cert, signer: issuing.signer! });

    const sealed = await t.services.auditChain.seal({ forceCheckpoint: true });
    // The forced checkpoint signs the head the seal reached (both exist: the approval and the signature were recorded).
    expect(sealed.head).toEqual({ seq: expect.any(BigInt), hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(sealed.checkpoint).toMatchObject({ seq: sealed.head!.seq, headHash: sealed.head!.hash });
    const rows = await AuditChain.list(t.database.db, { limit: 1000 });
    expect(rows.every((r) => r.seq !== null)).toBe(true);
    const about = rows.filter((r) => r.subject === outcome.publicKeyIdentifier || (r.details as { serial?: string }).serial === issued!.serialHex);
    const actions = about.map((r) => `${r.action} by ${r.actor}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'certificate.sign.intent by officer.coverage',
        'certificate.sign.done by officer.coverage',
        'certra.request.issued by officer.coverage',
        'certra.request.approved by officer.coverage',
      ]),
    );
    const intent = about.find((r) => r.action === 'certificate.sign.intent')!;
    expect(intent.details).toMatchObject({ serial: issued!.serialHex, tbsSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const crl = rows.find((r) => r.action === 'crl.signed' && r.subject === formatKeyId(issuing.fields.subjectKeyIdentifier));
    expect(crl?.details).toMatchObject({ crlNumber: expect.stringMatching(/^\d+$/), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const verified = await AuditChain.verify(t.database.db, t.services.auditChain.publicKeySpki);
    expect(verified).toMatchObject({ ok: true, unsealed: 0n, uncovered: 0n });
  });
});

describe(`the running server chains audit records on its own (${testEngine})`, () => {
  it('seals a committed record within AUDIT_SEAL_INTERVAL_SECONDS, and what is left at shutdown', async () => {
    const t = await startTestPlatform({ AUDIT_SEAL_INTERVAL_SECONDS: '1' });
    const db = t.database.db;
    const sealedSeq = async (action: string) =>
      (await db.query<{ seq: bigint | null }>('SELECT seq FROM audit_log WHERE action = $1', [action]))[0]?.seq ?? null;
    try {
      await auditLog.record(db, { actor: { subject: 'CN=Officer,O=eHealth', certificateSerial: '0a1b2c' }, action: 'test.while-running' });
      const deadline = Date.now() + 10_000;
      while ((await sealedSeq('test.while-running')) === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(await sealedSeq('test.while-running')).not.toBeNull();
      await auditLog.record(db, { actor: 'test', action: 'test.before-shutdown' });
      await t.platform.close();
      expect(await sealedSeq('test.before-shutdown')).not.toBeNull();
      expect((await AuditChain.verify(db, undefined)).firstBreak).toBeUndefined(); // no checkpoint yet: nothing to verify with a key
    } finally {
      await t.close();
    }
  }, 60_000);
});
