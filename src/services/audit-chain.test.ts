import { spawn } from 'node:child_process';
import { projectRoot } from '../project-paths.js';
import { generatePrivateKey } from '../ca/keys/file-key.js';
import { createKeyObjectSigner } from '../ca/keys/key-signer.js';
import { auditRecordHash } from '../domain/audit-chain.js';
import { systemClock } from '../domain/clock.js';
import { openPostgres, type Database } from '../storage/database.js';
import { auditLog } from '../storage/certificate-registry.js';
import { openTestDatabase, testEngine, type TestDatabase } from '../../test/support/test-database.js';
import { AuditChain } from './audit-chain.js';

/**
 * The hash-chained audit log on the suite's engine (PGlite, or PostgreSQL with TEST_DATABASE_URL): a normal history
 * verifies; each kind of tampering done directly in SQL is reported at the sequence number where it happened.
 */

const signer = createKeyObjectSigner(generatePrivateKey('EC-P256'), 'test audit key');
const otherKey = createKeyObjectSigner(generatePrivateKey('EC-P256'), 'another key');

async function writeRecords(db: Database, count: number, prefix = 'test.action'): Promise<void> {
  for (let i = 0; i < count; i++) {
    await auditLog.record(db, {
      actor: i % 2 === 0 ? 'officer.alice' : { subject: 'CN=Officer Bob,O=eHealth', certificateSerial: '1a2b' },
      action: `${prefix}.${i}`,
      subject: `subject-${i}`,
      details: { index: i, nested: { b: 2, a: [1, 'x'] } },
      before: i === 3 ? { status: 'pending' } : undefined,
      after: i === 3 ? { status: 'approved' } : undefined,
      evidence: i === 3 ? 'phone call 2026-12-05' : undefined,
    });
  }
}

const seqs = async (db: Database) => (await db.query<{ seq: bigint }>('SELECT seq FROM audit_log ORDER BY seq')).map((r) => r.seq);

describe(`audit chain (${testEngine})`, () => {
  let test: TestDatabase;
  let db: Database;
  let chain: AuditChain;
  beforeEach(async () => {
    test = await openTestDatabase();
    db = test.db;
    chain = new AuditChain({ db, clock: systemClock, signer }, { checkpointEveryRecords: 5, checkpointEveryMinutes: 60 });
  });
  afterEach(async () => {
    await test.close();
  });

  /** 12 records sealed in three batches: checkpoints at 5 (first seal), 10 (records) and 12 (on demand). */
  async function history(): Promise<void> {
    await writeRecords(db, 5, 'first');
    await chain.seal();
    await writeRecords(db, 5, 'second');
    await chain.seal();
    await writeRecords(db, 2, 'third');
    await chain.seal({ forceCheckpoint: true });
  }

  it('verifies a normal history: contiguous sequence, every hash, every checkpoint signature', async () => {
    await history();
    const result = await AuditChain.verify(db, signer.publicKeySpki);
    expect(result).toMatchObject({ ok: true, records: 12, lastSeq: 12n, unsealed: 0n, checkpoints: 3, lastCheckpointSeq: 12n, uncovered: 0n });
    expect(result.firstBreak).toBeUndefined();
    expect(await seqs(db)).toEqual(Array.from({ length: 12 }, (_, i) => BigInt(i + 1)));
    const [officer] = await db.query<{ actor: string; actor_serial: string; details: Record<string, unknown> }>(
      "SELECT actor, actor_serial, details FROM audit_log WHERE action = 'first.3'",
    );
    expect(officer).toMatchObject({ actor: 'CN=Officer Bob,O=eHealth', actor_serial: '1a2b' });
    expect(officer!.details).toMatchObject({ before: { status: 'pending' }, after: { status: 'approved' }, evidence: 'phone call 2026-12-05' });
  });

  it('refuses checkpoints under another key, and reports records written but not yet chained', async () => {
    await history();
    await writeRecords(db, 2, 'late');
    const result = await AuditChain.verify(db, otherKey.publicKeySpki);
    expect(result.unsealed).toBe(2n);
    expect(result.firstBreak).toMatchObject({ seq: 5n, kind: 'checkpoint-signature-invalid' });
  });

  it('pinpoints a record edited directly in SQL', async () => {
    await history();
    await db.query(`UPDATE audit_log SET details = '{"index": 99}' WHERE seq = 7`);
    expect((await AuditChain.verify(db, signer.publicKeySpki)).firstBreak).toMatchObject({ seq: 7n, kind: 'content-edited' });
  });

  it('pinpoints an edited actor or timestamp (every field is covered)', async () => {
    await history();
    await db.query("UPDATE audit_log SET actor = 'someone.else' WHERE seq = 4");
    expect((await AuditChain.verify(db, signer.publicKeySpki)).firstBreak).toMatchObject({ seq: 4n, kind: 'content-edited' });
    const t = await openTestDatabase();
    try {
      const c = new AuditChain({ db: t.db, clock: systemClock, signer }, { checkpointEveryRecords: 100, checkpointEveryMinutes: 60 });
      await writeRecords(t.db, 3);
      await c.seal();
      await t.db.query("UPDATE audit_log SET occurred_at = occurred_at + interval '1 microsecond' WHERE seq = 2");
      expect((await AuditChain.verify(t.db, signer.publicKeySpki)).firstBreak).toMatchObject({ seq: 2n, kind: 'content-edited' });
    } finally {
      await t.close();
    }
  });

  it('pinpoints a deleted record, and a deletion hidden by renumbering', async () => {
    await history();
    await db.query('DELETE FROM audit_log WHERE seq = 8');
    expect((await AuditChain.verify(db, signer.publicKeySpki)).firstBreak).toMatchObject({ seq: 8n, kind: 'record-deleted' });
    await db.query('UPDATE audit_log SET seq = -(seq - 1) WHERE seq > 8');
    await db.query('UPDATE audit_log SET seq = -seq WHERE seq < 0');
    expect(await seqs(db)).toEqual(Array.from({ length: 11 }, (_, i) => BigInt(i + 1)));
    expect((await AuditChain.verify(db, signer.publicKeySpki)).firstBreak).toMatchObject({ seq: 8n, kind: 'record-deleted' });
  });

  it('pinpoints a record inserted into the chain, even one whose own hash is right', async () => {
    await history();
    const [previous] = await db.query<{ record_hash: string }>('SELECT record_hash FROM audit_log WHERE seq = 5');
    await db.query('UPDATE audit_log SET seq = -(seq + 1) WHERE seq >= 6');
    await db.query('UPDATE audit_log SET seq = -seq WHERE seq < 0');
    const forged = {
      occurredUs: 1_764_900_000_000_000n,
      actor: 'intruder',
      actorSerial: null,
      action: 'forged',
      subject: null,
      details: {},
      prevHash: previous!.record_hash,
    };
    await db.query(
      `INSERT INTO audit_log (occurred_at, actor, action, details, seq, prev_hash, record_hash)
       VALUES (to_timestamp(1764900000), 'intruder', 'forged', '{}', 6, $1, $2)`,
      [previous!.record_hash, auditRecordHash(forged)],
    );
    const result = await AuditChain.verify(db, signer.publicKeySpki);
    expect(result.firstBreak).toMatchObject({ seq: 6n, kind: 'record-inserted' });
  });

  it('pinpoints a tampered checkpoint', async () => {
    await history();
    await db.query("UPDATE audit_checkpoints SET created_at = created_at + interval '1 second' WHERE seq = 10");
    expect((await AuditChain.verify(db, signer.publicKeySpki)).firstBreak).toMatchObject({ seq: 10n, kind: 'checkpoint-signature-invalid' });
  });

  it('detects a chain rewritten with recomputed hashes (checkpoint mismatch) and records deleted at the end (truncation)', async () => {
    await history();
    // An intruder edits record 3 and re-hashes the chain from there: every link holds, the signed head does not.
    const records = await db.query<{ seq: bigint }>('SELECT seq FROM audit_log WHERE seq >= 3 ORDER BY seq');
    await db.query(`UPDATE audit_log SET details = '{"rewritten": true}' WHERE seq = 3`);
    for (const { seq } of records) {
      const [row] = await db.query<{
        occurred_us: bigint;
        actor: string;
        actor_serial: string | null;
        action: string;
        subject: string | null;
        details: unknown;
      }>(
        `SELECT (extract(epoch FROM occurred_at) * 1000000)::bigint AS occurred_us, actor, actor_serial, action, subject, details FROM audit_log WHERE seq = $1`,
        [seq],
      );
      const [prev] = await db.query<{ record_hash: string }>('SELECT record_hash FROM audit_log WHERE seq = $1', [seq - 1n]);
      const hash = auditRecordHash({ ...row!, occurredUs: BigInt(row!.occurred_us), actorSerial: row!.actor_serial, prevHash: prev!.record_hash });
      await db.query('UPDATE audit_log SET prev_hash = $2, record_hash = $3 WHERE seq = $1', [seq, prev!.record_hash, hash]);
    }
    expect((await AuditChain.verify(db, signer.publicKeySpki)).firstBreak).toMatchObject({ seq: 5n, kind: 'checkpoint-mismatch' });

    const fresh = await openTestDatabase();
    try {
      const c = new AuditChain({ db: fresh.db, clock: systemClock, signer }, { checkpointEveryRecords: 100, checkpointEveryMinutes: 60 });
      await writeRecords(fresh.db, 6);
      await c.seal({ forceCheckpoint: true });
      await fresh.db.query('DELETE FROM audit_log WHERE seq >= 5');
      expect((await AuditChain.verify(fresh.db, signer.publicKeySpki)).firstBreak).toMatchObject({ seq: 5n, kind: 'chain-truncated' });
    } finally {
      await fresh.close();
    }
  });

  it('writes a checkpoint after N records or T minutes, not before', async () => {
    const slow = new AuditChain({ db, clock: systemClock, signer }, { checkpointEveryRecords: 3, checkpointEveryMinutes: 60 });
    await writeRecords(db, 2);
    expect((await slow.seal()).checkpoint).toBeUndefined();
    await writeRecords(db, 2);
    expect((await slow.seal()).checkpoint).toMatchObject({ seq: 4n });
    await writeRecords(db, 1);
    expect((await slow.seal()).checkpoint).toBeUndefined();
    const later = new AuditChain(
      { db, clock: { now: () => new Date(Date.now() + 61 * 60_000) }, signer },
      { checkpointEveryRecords: 3, checkpointEveryMinutes: 60 },
    );
    expect((await later.seal()).checkpoint).toMatchObject({ seq: 5n });
    expect((await later.seal()).checkpoint).toBeUndefined(); // nothing new since
    expect((await AuditChain.verify(db, signer.publicKeySpki)).ok).toBe(true);
  });

  it('a rolled-back transaction leaves no record and no gap', async () => {
    await writeRecords(db, 2);
    await expect(
      db.transaction(async (tx) => {
        await auditLog.record(tx, { actor: 'x', action: 'doomed' });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await writeRecords(db, 2, 'after');
    await chain.seal();
    expect(await seqs(db)).toEqual([1n, 2n, 3n, 4n]);
    expect(await db.query("SELECT 1 FROM audit_log WHERE action = 'doomed'")).toHaveLength(0);
    expect((await AuditChain.verify(db, signer.publicKeySpki)).ok).toBe(true);
  });

  it('concurrent writers and sealers never fork the chain', async () => {
    // PostgreSQL: separate pools (separate sessions, as separate processes have) write in concurrent transactions and
    // seal at the same time. PGlite: one session, the same load interleaved.
    const extra: Database[] = test.url
      ? [openPostgres(test.url, { max: 3 }), openPostgres(test.url, { max: 3 }), openPostgres(test.url, { max: 3 })]
      : [db, db, db];
    try {
      const chains = extra.map((d) => new AuditChain({ db: d, clock: systemClock, signer }, { checkpointEveryRecords: 7, checkpointEveryMinutes: 60 }));
      await Promise.all(
        extra.map(async (d, w) => {
          for (let round = 0; round < 8; round++) {
            await d.transaction(async (tx) => {
              await auditLog.record(tx, { actor: `writer-${w}`, action: 'concurrent', details: { round, n: 1 } });
              await auditLog.record(tx, { actor: `writer-${w}`, action: 'concurrent', details: { round, n: 2 } });
            });
            await chains[w]!.seal();
          }
        }),
      );
      await chain.seal();
      expect(await seqs(db)).toEqual(Array.from({ length: 48 }, (_, i) => BigInt(i + 1)));
      const result = await AuditChain.verify(db, signer.publicKeySpki);
      expect(result).toMatchObject({ ok: true, records: 48, unsealed: 0n });
      expect(result.checkpoints).toBeGreaterThan(0);
    } finally {
      if (test.url) await Promise.all(extra.map((d) => d.close()));
    }
  });

  it('separate processes appending and sealing at once never fork the chain (PostgreSQL; PGlite is one process)', async () => {
    if (!test.url) {
      // The embedded database is opened by one process only (data directory lock): nothing to race.
      expect(testEngine).toBe('pglite');
      return;
    }
    const run = (writer: number) =>
      new Promise<number | null>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/audit-writer.ts'], {
          cwd: projectRoot(),
          env: { PATH: process.env.PATH ?? '', DATABASE_URL: test.url, WRITER: `process-${writer}`, ROUNDS: '10' },
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        child.once('error', reject);
        child.once('close', resolve);
      });
    expect(await Promise.all([run(1), run(2), run(3), run(4)])).toEqual([0, 0, 0, 0]);
    await chain.seal({ forceCheckpoint: true });
    expect(await seqs(db)).toEqual(Array.from({ length: 80 }, (_, i) => BigInt(i + 1)));
    const perWriter = await db.query<{ actor: string; n: bigint }>('SELECT actor, count(*)::bigint AS n FROM audit_log GROUP BY actor ORDER BY actor');
    expect(perWriter.map((r) => [r.actor, Number(r.n)])).toEqual([1, 2, 3, 4].map((w) => [`process-${w}`, 20]));
    expect(await AuditChain.verify(db, signer.publicKeySpki)).toMatchObject({ ok: true, records: 80, unsealed: 0n, uncovered: 0n });
  }, 120_000);
});
