import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliResult, runAdminCli } from '../support/admin-cli.js';
import { openDatabase } from '../../src/storage/database.js';

/**
 * `npm run admin -- audit:*` as an operator runs it: a child process on the embedded database in a throwaway
 * DATA_DIR (PGlite, also when the suites run on PostgreSQL). Officer actions are chained and signed; a record edited
 * directly in the database is pinpointed, with exit code 1.
 */

const admin = (dataDir: string, args: readonly string[]): Promise<CliResult> => runAdminCli(dataDir, args, 'officer.audit');

const SSIN = '85073003328';

describe('admin CLI: audit:verify, audit:list, audit:checkpoint', () => {
  let root: string;
  let dataDir: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'audit-cli-'));
    dataDir = join(root, 'data');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('chains and signs officer actions; verify passes; list filters and exports JSON', async () => {
    const added = await admin(dataDir, ['certra:test-case:add', '--type', 'SSIN', '--id', SSIN, '--responsible-ssin', SSIN, '--description', 'audit case']);
    expect(added.code).toBe(0);
    const checkpoint = await admin(dataDir, ['audit:checkpoint']);
    expect(checkpoint.code).toBe(0);
    expect(checkpoint.stdout).toMatch(/^checkpoint #\d+ signed at record \d+ \(head [0-9a-f]{64}\)/);

    const verified = await admin(dataDir, ['audit:verify', '--json']);
    expect(verified.code).toBe(0);
    const result = JSON.parse(verified.stdout) as Record<string, unknown>;
    expect(result).toMatchObject({ ok: true, unsealed: '0', uncoveredRecords: '0', firstBreak: null });
    expect(Number(result.records)).toBeGreaterThan(0);
    expect(result.checkpoints).toBeGreaterThan(0);

    const text = await admin(dataDir, ['audit:verify']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/OK: the audit chain is intact/);

    const listed = await admin(dataDir, ['audit:list', '--actor', 'officer.audit', '--action', 'certra.*', '--json']);
    expect(listed.code).toBe(0);
    const rows = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(['action', 'actor', 'actorSerial', 'details', 'id', 'occurredAt', 'recordHash', 'seq', 'subject']);
      expect(row.actor).toBe('officer.audit');
      expect(String(row.action)).toMatch(/^certra\./);
      expect(row.seq).toMatch(/^\d+$/);
    }
  });

  it('pinpoints a record edited directly in the database (exit 1, the sequence number and what differs)', async () => {
    const holder = await openDatabase({ dataDir });
    let seq: bigint;
    try {
      const [row] = await holder.query<{ seq: bigint }>("SELECT seq FROM audit_log WHERE actor = 'officer.audit' ORDER BY seq LIMIT 1");
      seq = row!.seq;
      await holder.query(`UPDATE audit_log SET details = '{"edited": true}' WHERE seq = $1`, [seq]);
    } finally {
      await holder.close();
    }
    const broken = await admin(dataDir, ['audit:verify']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`BROKEN at record ${seq}: content-edited`);
    expect(broken.stderr).toMatch(/audit chain broken at record/);
    const json = await admin(dataDir, ['audit:verify', '--json']);
    expect(json.code).toBe(1);
    expect((JSON.parse(json.stdout) as { firstBreak: unknown }).firstBreak).toMatchObject({ seq: String(seq), kind: 'content-edited' });
  });

  it('refuses to verify the embedded database while another process (the service) holds it', async () => {
    const holder = await openDatabase({ dataDir });
    try {
      const refused = await admin(dataDir, ['audit:verify']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/the service is running on this data directory: stop it first/);
      expect(refused.stdout).toBe('');
    } finally {
      await holder.close();
    }
  });

  it('exit code 2 on usage errors, 0 with --help', async () => {
    const unknown = await admin(dataDir, ['audit:verify', '--everything']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option --everything/);
    const badLimit = await admin(dataDir, ['audit:list', '--limit', 'many']);
    expect(badLimit.code).toBe(2);
    const help = await admin(dataDir, ['audit:verify', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/content-edited, record-deleted/);
  });
});
