import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTestDatabase, testEngine, type TestDatabase } from '../../test/support/test-database.js';
import { projectPaths } from '../project-paths.js';
import { certificateRegistry, DuplicateSerialError, IntentMismatchError } from './certificate-registry.js';
import { openPostgres } from './database.js';
import { migrate } from './migrate.js';

const TBS = 'ab'.repeat(32);
const intent = (serialHex: string, tbsSha256Hex: string | undefined = TBS) => ({
  issuerKeyId: 'CA',
  serialHex,
  subjectKeyId: 'cd'.repeat(20),
  subjectDn: 'CN=test',
  profile: 'ehealth-natural-person',
  notBefore: new Date('2026-01-01T00:00:00Z'),
  notAfter: new Date('2027-01-01T00:00:00Z'),
  ...(tbsSha256Hex === undefined ? {} : { tbsSha256Hex }),
});
const INTENT_AUDIT = { actor: 'test', action: 'certificate.sign.intent' };
const OUTCOME_AUDIT = { actor: 'test', action: 'certificate.sign.done' };

describe(`certificate registry: key-use journal on ${testEngine}`, () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase();
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses a duplicate serial without aborting the surrounding transaction', async () => {
    const ids = await t.db.transaction(async (tx) => {
      const first = await certificateRegistry.journalIntent(tx, intent('0a01'), INTENT_AUDIT);
      await expect(certificateRegistry.journalIntent(tx, intent('0A01'), INTENT_AUDIT)).rejects.toBeInstanceOf(DuplicateSerialError);
      // The transaction is still usable: the retry with another serial goes through in it.
      return [first, await certificateRegistry.journalIntent(tx, intent('0a02'), INTENT_AUDIT)];
    });
    expect(ids).toHaveLength(2);
  });

  it('records a certificate only against its pending intent with the same TBS hash', async () => {
    const id = await certificateRegistry.journalIntent(t.db, intent('0b01'), INTENT_AUDIT);
    await expect(certificateRegistry.recordIssued(t.db, id, Buffer.from('3000', 'hex'), new Date(), 'ef'.repeat(32))).rejects.toBeInstanceOf(
      IntentMismatchError,
    );
    await expect(certificateRegistry.recordIssued(t.db, id, Buffer.from('3000', 'hex'), new Date())).rejects.toBeInstanceOf(IntentMismatchError);
    await certificateRegistry.journalSigningOutcome(t.db, id, 'signed', new Date(), OUTCOME_AUDIT);
    await certificateRegistry.recordIssued(t.db, id, Buffer.from('3000', 'hex'), new Date(), TBS.toUpperCase());
    // Once recorded, never again.
    await expect(certificateRegistry.recordIssued(t.db, id, Buffer.from('3001', 'hex'), new Date(), TBS)).rejects.toBeInstanceOf(IntentMismatchError);
    expect((await certificateRegistry.findById(t.db, id))!.certificateDer).toEqual(Buffer.from('3000', 'hex'));
    expect((await certificateRegistry.listUnrecordedIntents(t.db)).map((o) => o.id)).not.toContain(id);

    const failed = await certificateRegistry.journalIntent(t.db, intent('0b02'), INTENT_AUDIT);
    await certificateRegistry.journalSigningOutcome(t.db, failed, 'sign_failed', new Date(), OUTCOME_AUDIT);
    await expect(certificateRegistry.recordIssued(t.db, failed, Buffer.from('3000', 'hex'), new Date(), TBS)).rejects.toBeInstanceOf(IntentMismatchError);
    expect((await certificateRegistry.listUnrecordedIntents(t.db)).find((o) => o.id === failed)).toMatchObject({ state: 'sign_failed', signedAt: null });
  });

  it('journals an intent and its audit record in one statement, and nothing of a duplicate serial', async () => {
    const id = await certificateRegistry.journalIntent(t.db, intent('0d01'), { ...INTENT_AUDIT, subject: 'journal-probe', details: { serial: 'd01' } });
    await expect(
      certificateRegistry.journalIntent(t.db, intent('0d01'), { ...INTENT_AUDIT, subject: 'journal-probe', details: { serial: 'again' } }),
    ).rejects.toBeInstanceOf(DuplicateSerialError);
    await certificateRegistry.journalSigningOutcome(t.db, id, 'signed', new Date(), { ...OUTCOME_AUDIT, subject: 'journal-probe' });
    const audit = await t.db.query<{ action: string; details: Record<string, unknown> }>(
      "SELECT action, details FROM audit_log WHERE subject = 'journal-probe' ORDER BY id",
    );
    expect(audit).toEqual([
      { action: 'certificate.sign.intent', details: { serial: 'd01', registryId: id.toString() } },
      { action: 'certificate.sign.done', details: {} },
    ]);
    expect((await certificateRegistry.listUnrecordedIntents(t.db)).find((o) => o.id === id)).toMatchObject({ state: 'signed' });
  });

  it('journals on connections of its own where a second session exists (PostgreSQL): they commit while the caller holds every pooled connection', async () => {
    if (t.url === undefined) {
      expect(t.db.autonomous).toBeUndefined();
      return;
    }
    const db = openPostgres(t.url, { max: 1 });
    try {
      await db.query('CREATE TABLE autonomous_probe (v int)');
      await expect(
        db.transaction(async (tx) => {
          await tx.query('INSERT INTO autonomous_probe VALUES (1)');
          await db.autonomous!.query('INSERT INTO autonomous_probe VALUES (2)');
          throw new Error('the caller rolls back');
        }),
      ).rejects.toThrow('the caller rolls back');
      expect((await db.query<{ v: number }>('SELECT v FROM autonomous_probe')).map((r) => r.v)).toEqual([2]);
    } finally {
      await db.close();
    }
  });

  it('writes a rolled-back intent back once, under its id', async () => {
    const intentAt = new Date('2026-02-03T04:05:06Z');
    const id = await t.db
      .transaction(async (tx) => certificateRegistry.journalIntent(tx, intent('0c01'), INTENT_AUDIT))
      .then(async (recorded) => {
        await t.db.query('DELETE FROM issued_certificates WHERE id = $1', [recorded]);
        return recorded;
      });
    const row = { ...intent('0c01'), id, tbsSha256Hex: TBS, state: 'signed' as const, intentAt, signedAt: intentAt };
    expect(await certificateRegistry.restoreIntent(t.db, row)).toBe(true);
    expect(await certificateRegistry.restoreIntent(t.db, row)).toBe(false);
    expect((await certificateRegistry.listUnrecordedIntents(t.db)).find((o) => o.id === id)).toMatchObject({
      serialHex: 'c01',
      state: 'signed',
      intentAt,
      tbsSha256Hex: TBS,
    });
  });
});

describe(`migration 0004 on ${testEngine}`, () => {
  it('marks the certificates recorded before it issued and the bare intents as unrecorded', async () => {
    const t = await openTestDatabase({ migrate: false });
    const before = mkdtempSync(join(tmpdir(), 'migrations-0003-'));
    try {
      for (const file of readdirSync(projectPaths.migrations()).filter((f) => /^000[1-3]_.*\.sql$/.test(f))) {
        copyFileSync(join(projectPaths.migrations(), file), join(before, file));
      }
      await migrate(t.db, before);
      const columns = `issuer_key_id, serial_hex, subject_key_id, subject_dn, profile, not_before, not_after`;
      await t.db.query(
        `INSERT INTO issued_certificates (${columns}, certificate_der, issued_at) VALUES ('CA', '1', 'AA', 'CN=a', 'p', now(), now(), '\\x3000', '2025-05-05T00:00:00Z')`,
      );
      await t.db.query(`INSERT INTO issued_certificates (${columns}) VALUES ('CA', '2', 'BB', 'CN=b', 'p', now(), now())`);
      await migrate(t.db, projectPaths.migrations());
      const rows = await t.db.query<{ serial_hex: string; intent_state: string; intent_at: Date | null; signed_at: Date | null; tbs_sha256: string | null }>(
        'SELECT serial_hex, intent_state, intent_at, signed_at, tbs_sha256 FROM issued_certificates ORDER BY serial_hex',
      );
      const issuedAt = new Date('2025-05-05T00:00:00Z');
      expect(rows).toEqual([
        { serial_hex: '1', intent_state: 'issued', intent_at: issuedAt, signed_at: issuedAt, tbs_sha256: null },
        { serial_hex: '2', intent_state: 'intent', intent_at: null, signed_at: null, tbs_sha256: null },
      ]);
      await expect(t.db.query("UPDATE issued_certificates SET intent_state = 'issued' WHERE serial_hex = '2'")).rejects.toThrow();
      await expect(t.db.query("UPDATE issued_certificates SET tbs_sha256 = 'not hex' WHERE serial_hex = '2'")).rejects.toThrow();
    } finally {
      rmSync(before, { recursive: true, force: true });
      await t.close();
    }
  });
});
