import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTestDatabase, testEngine, type TestDatabase } from '../../test/support/test-database.js';
import { loadOrCreateDevHierarchy, type CaMaterial } from '../ca/hierarchy/index.js';
import { SAMPLE_PERSON_SUBJECT, sharedTestKey } from '../ca/issuance/testing.js';
import { createKeyObjectSigner, type KeySigner } from '../ca/keys/key-signer.js';
import { ehealthNaturalPerson } from '../ca/profiles/builtin.js';
import { buildCsr } from '../ca/x509/index.js';
import { isServiceError } from '../domain/errors.js';
import { certificateRegistry, normaliseSerialHex } from '../storage/certificate-registry.js';
import type { Database, Queryable } from '../storage/database.js';
import { CertificateIssuer, listOrphanIntents, warnAboutOrphanIntents } from './certificate-issuer.js';

const PERSON_DN = 'CN=SSIN\\=85073003328,OU=eHealth-platform Belgium,OU=JAN TEST,OU=SSIN\\=85073003328,O=Federal Government,C=BE';

let slot = 300;
const csrInput = () => ({
  csrDer: buildCsr(SAMPLE_PERSON_SUBJECT, sharedTestKey('RSA-2048', slot++)),
  expectedSubjectDn: PERSON_DN,
  profile: ehealthNaturalPerson,
  environment: 'acceptance' as const,
  now: new Date(),
});

/** The TBSCertificate of a DER certificate, read here independently of the CA: the first element of the outer SEQUENCE. */
function tbsOf(der: Buffer): Buffer {
  const header = (at: number) => (der[at + 1]! < 0x80 ? 2 : 2 + (der[at + 1]! & 0x7f));
  const length = (at: number) => (der[at + 1]! < 0x80 ? der[at + 1]! : der.subarray(at + 2, at + header(at)).reduce((n, byte) => n * 256 + byte, 0));
  const start = header(0);
  expect(der[0]).toBe(0x30);
  expect(der[start]).toBe(0x30);
  return der.subarray(start, start + header(start) + length(start));
}
const tbsSha256Of = (certificateDer: Buffer) => createHash('sha256').update(tbsOf(certificateDer)).digest('hex');

interface JournalRow {
  serial_hex: string;
  tbs_sha256: string | null;
  intent_state: string;
  certificate_der: Buffer | null;
  intent_at: Date | null;
  signed_at: Date | null;
}

async function journalRow(db: Queryable, id: bigint): Promise<JournalRow | undefined> {
  const [row] = await db.query<JournalRow & Record<string, unknown>>(
    'SELECT serial_hex, tbs_sha256, intent_state, certificate_der, intent_at, signed_at FROM issued_certificates WHERE id = $1',
    [id],
  );
  return row;
}

async function auditOf(db: Queryable, serialHex: string): Promise<Array<{ action: string; details: Record<string, unknown> }>> {
  const rows = await db.query<{ action: string; details: Record<string, unknown> }>(
    "SELECT action, details FROM audit_log WHERE details->>'serial' = $1 ORDER BY id",
    [normaliseSerialHex(serialHex)],
  );
  return rows.map((r) => ({ action: r.action, details: typeof r.details === 'string' ? JSON.parse(r.details) : r.details }));
}

/** The issuing CA as loaded, with another signer in front of its key. */
function withSigner(ca: CaMaterial, signer: KeySigner): CaMaterial {
  return { ...ca, issuing: { ...ca.issuing, signer: Object.assign(signer, { close: async () => undefined }) } } as CaMaterial;
}

describe(`CertificateIssuer key-use journal on ${testEngine}`, () => {
  let directory: string;
  let ca: CaMaterial;
  let t: TestDatabase;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'issuer-journal-'));
    [ca, t] = await Promise.all([loadOrCreateDevHierarchy(join(directory, 'data')), openTestDatabase()]);
  });
  afterAll(async () => {
    await t?.close();
    await ca?.close();
    await rm(directory, { recursive: true, force: true });
  });
  // Each test starts from an empty registry and audit log.
  beforeEach(async () => {
    await t.db.query('DELETE FROM audit_log');
    await t.db.query('DELETE FROM issued_certificates');
  });

  it('a caller transaction failing after the signature still leaves the intent (serial, TBS hash) and its audit, listed as an orphan', async () => {
    const issuer = new CertificateIssuer(ca, t.db);
    let issued: Awaited<ReturnType<CertificateIssuer['issueFromCsr']>> | undefined;
    await expect(
      t.db.transaction(async (tx) => {
        issued = await issuer.issueFromCsr(tx, csrInput(), 'test');
        throw new Error('the caller failed after the signature');
      }),
    ).rejects.toThrow('the caller failed after the signature');
    await issuer.settled();

    // The signature happened: a real certificate of the issuing CA, which the caller never committed.
    expect(issued).toBeDefined();
    const serial = normaliseSerialHex(issued!.serialHex);
    const tbsSha256 = tbsSha256Of(issued!.der);
    const row = await journalRow(t.db, issued!.id);
    expect(row).toMatchObject({ serial_hex: serial, tbs_sha256: tbsSha256, intent_state: 'signed', certificate_der: null });
    expect(row!.intent_at).toBeInstanceOf(Date);
    expect(row!.signed_at).toBeInstanceOf(Date);

    const audit = await auditOf(t.db, issued!.serialHex);
    expect(audit.map((a) => a.action)).toEqual(['certificate.sign.intent', 'certificate.sign.done']);
    expect(audit[0]!.details).toMatchObject({ tbsSha256, registryId: issued!.id.toString() });

    const orphans = await listOrphanIntents(t.db);
    expect(orphans.map((o) => ({ id: o.id, serial: o.serialHex, tbs: o.tbsSha256Hex, state: o.state }))).toEqual([
      { id: issued!.id, serial, tbs: tbsSha256, state: 'signed' },
    ]);
    // An intent certifies nothing: the key may be requested again.
    expect(await certificateRegistry.findBySubjectKeyId(t.db, issued!.subjectKeyIdentifierHex)).toEqual([]);
  });

  it('records a committed issuance against its intent: the signed TBS is the one hashed before signing, no orphan', async () => {
    const issuer = new CertificateIssuer(ca, t.db);
    const issued = await t.db.transaction((tx) => issuer.issueFromCsr(tx, csrInput(), 'test'));
    const row = await journalRow(t.db, issued.id);
    expect(row).toMatchObject({ intent_state: 'issued', tbs_sha256: tbsSha256Of(issued.der) });
    expect(row!.certificate_der).toEqual(issued.der);
    expect((await auditOf(t.db, issued.serialHex)).map((a) => a.action)).toEqual(['certificate.sign.intent', 'certificate.sign.done']);
    expect(await listOrphanIntents(t.db)).toEqual([]);
    expect((await certificateRegistry.findBySubjectKeyId(t.db, issued.subjectKeyIdentifierHex)).map((r) => r.id)).toEqual([issued.id]);
  });

  it('commits the intent before the key signs', async () => {
    // At the moment the key signs, another connection already sees the intent. PGlite has one session, so there the
    // caller hands over the Database itself (inside a caller's transaction it writes the journal back after a rollback).
    const seen: Array<JournalRow | undefined> = [];
    const real = ca.issuing.signer;
    const observing: KeySigner = {
      keyAlgorithm: real.keyAlgorithm,
      publicKeySpki: real.publicKeySpki,
      description: real.description,
      async sign(data, hash) {
        const tbsSha256 = createHash('sha256').update(data).digest('hex');
        const [row] = await t.db.query<JournalRow & Record<string, unknown>>(
          'SELECT serial_hex, tbs_sha256, intent_state, certificate_der, intent_at, signed_at FROM issued_certificates WHERE tbs_sha256 = $1',
          [tbsSha256],
        );
        seen.push(row);
        return real.sign(data, hash);
      },
    };
    const issuer = new CertificateIssuer(withSigner(ca, observing), t.db);
    const issued =
      t.db.engine === 'postgres'
        ? await t.db.transaction((tx) => issuer.issueFromCsr(tx, csrInput(), 'test'))
        : await issuer.issueFromCsr(t.db, csrInput(), 'test');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      serial_hex: normaliseSerialHex(issued.serialHex),
      tbs_sha256: tbsSha256Of(issued.der),
      intent_state: 'intent',
      certificate_der: null,
    });
  });

  it('retries with a new serial when the serial is taken, without breaking the caller transaction', async () => {
    let taken: string | undefined;
    // Another issuance records the same serial just before ours (in the journal's transaction, wherever it runs).
    const colliding = (q: Queryable): Queryable => ({
      async query(sql, params) {
        if (taken === undefined && sql.includes('INSERT INTO issued_certificates') && params) {
          taken = String(params[1]);
          await q.query(
            `INSERT INTO issued_certificates (issuer_key_id, serial_hex, subject_key_id, subject_dn, profile, not_before, not_after)
             VALUES ($1, $2, 'FF', 'CN=other', 'other', now(), now())`,
            [params[0], params[1]],
          );
        }
        return q.query(sql, params);
      },
    });
    const db: Database = {
      ...t.db,
      transaction: (fn) => t.db.transaction((tx) => fn(colliding(tx))),
      ...(t.db.autonomous ? { autonomous: colliding(t.db.autonomous) } : {}),
    } as Database;
    const issuer = new CertificateIssuer(ca, db);
    const issued = await db.transaction((tx) => issuer.issueFromCsr(tx, csrInput(), 'test'));
    expect(taken).toBeDefined();
    expect(normaliseSerialHex(issued.serialHex)).not.toBe(taken);
    expect(await journalRow(t.db, issued.id)).toMatchObject({ intent_state: 'issued', tbs_sha256: tbsSha256Of(issued.der) });
    // Only the other issuance's row (which never signs here) may be pending: none of ours.
    expect((await listOrphanIntents(t.db)).filter((o) => o.subjectKeyId !== 'FF')).toEqual([]);
  });

  it('journals a signature that does not verify as sign_failed and issues nothing', async () => {
    // A faulty signer (an HSM answering with another key): a real signature, by the wrong key.
    const wrongKey = createKeyObjectSigner(sharedTestKey('RSA-2048', 299), 'wrong key');
    const faulty: KeySigner = {
      keyAlgorithm: ca.issuing.signer.keyAlgorithm,
      publicKeySpki: ca.issuing.signer.publicKeySpki,
      description: 'faulty',
      sign: (d, h) => wrongKey.sign(d, h),
    };
    const issuer = new CertificateIssuer(withSigner(ca, faulty), t.db);
    const error = await t.db.transaction((tx) => issuer.issueFromCsr(tx, csrInput(), 'test')).catch((e: unknown) => e);
    await issuer.settled();
    expect(isServiceError(error) && error.code).toBe('INTERNAL_ERROR');
    const [orphan, ...others] = await listOrphanIntents(t.db);
    expect(others).toEqual([]);
    expect(orphan).toMatchObject({ state: 'sign_failed', signedAt: null });
    expect(orphan!.tbsSha256Hex).toMatch(/^[0-9a-f]{64}$/);
    expect((await auditOf(t.db, orphan!.serialHex)).map((a) => a.action)).toEqual(['certificate.sign.intent', 'certificate.sign.failed']);
  });

  it('warns at start-up with the count and the serials of the orphan intents', async () => {
    const issuer = new CertificateIssuer(ca, t.db);
    const warnings: Array<{ details: Record<string, unknown>; message: string }> = [];
    const logger = { warn: (details: object, message: string) => warnings.push({ details: details as Record<string, unknown>, message }) };
    expect(await warnAboutOrphanIntents(t.db, logger)).toBe(0);
    expect(warnings).toEqual([]);

    const serials: string[] = [];
    for (let i = 0; i < 2; i++) {
      await t.db
        .transaction(async (tx) => {
          serials.push(normaliseSerialHex((await issuer.issueFromCsr(tx, csrInput(), 'test')).serialHex));
          throw new Error('rolled back');
        })
        .catch(() => undefined);
    }
    await t.db.transaction((tx) => issuer.issueFromCsr(tx, csrInput(), 'test'));
    await issuer.settled();
    expect(await warnAboutOrphanIntents(t.db, logger)).toBe(2);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.details).toEqual({ count: 2, serials, states: { signed: 2 } });
    expect(warnings[0]!.message).toContain('ca:intents:orphans');
  });
});
