import { generateTokenKeyPair } from '../ca/keys/pkcs11-key.js';
import { openKeySigner, parseKeyReference, type ClosableKeySigner } from '../ca/keys/key-reference.js';
import { systemClock } from '../domain/clock.js';
import { auditLog } from '../storage/certificate-registry.js';
import { createSoftHsmToken, type SoftHsmToken } from '../../test/support/softhsm.js';
import { openTestDatabase, testEngine, type TestDatabase } from '../../test/support/test-database.js';
import { AuditChain } from './audit-chain.js';

/** Audit checkpoints signed by a key on a PKCS#11 token (SoftHSM), named as AUDIT_KEY names it. */
describe(`audit checkpoints by a PKCS#11 audit key (${testEngine})`, () => {
  let token: SoftHsmToken;
  let test: TestDatabase;
  let signer: ClosableKeySigner;
  const env = { AUDIT_PIN: '4321' };
  beforeAll(async () => {
    token = await createSoftHsmToken({ label: 'audit-key-test', pin: '4321' });
    await generateTokenKeyPair(
      { module: token.modulePath, tokenLabel: token.label, pinEnv: 'AUDIT_PIN' },
      { algorithm: 'EC-P256', keyId: 'ad', keyLabel: 'audit' },
      env,
    );
    test = await openTestDatabase();
  });
  afterAll(async () => {
    await signer?.close();
    await token?.cleanup();
    await test?.close();
  });

  it('signs checkpoints that verify with the token key; a checkpoint changed afterwards does not', async () => {
    const reference = JSON.stringify({ kind: 'pkcs11', module: token.modulePath, tokenLabel: token.label, pinEnv: 'AUDIT_PIN', keyLabel: 'audit' });
    signer = await openKeySigner(parseKeyReference(reference), env);
    const chain = new AuditChain({ db: test.db, clock: systemClock, signer }, { checkpointEveryRecords: 2, checkpointEveryMinutes: 60 });
    for (let i = 0; i < 5; i++) await auditLog.record(test.db, { actor: 'officer', action: `hsm.${i}` });
    expect((await chain.seal()).checkpoint).toMatchObject({ seq: 5n });
    expect(await AuditChain.verify(test.db, signer.publicKeySpki)).toMatchObject({ ok: true, checkpoints: 1, uncovered: 0n });
    await test.db.query('UPDATE audit_checkpoints SET head_hash = $1', ['f'.repeat(64)]);
    expect((await AuditChain.verify(test.db, signer.publicKeySpki)).firstBreak).toMatchObject({ seq: 5n, kind: 'checkpoint-signature-invalid' });
  });
});
