import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addTestCaseCommand } from '../../src/cli/commands/certra.js';
import { type CliResult, runAdminCli } from '../support/admin-cli.js';
import { openDatabase } from '../../src/storage/database.js';
import { startServerProcess } from '../support/etk-server-process.js';

/**
 * The admin CLI as an operator runs it (`npm run admin -- …`): a child process on the embedded database (PGlite, also
 * when the suites run on PostgreSQL) in a throwaway DATA_DIR.
 */

const admin = (dataDir: string, args: readonly string[]): Promise<CliResult> => runAdminCli(dataDir, args, 'officer.cli');

const SSIN_A = '85073003328';
const SSIN_B = '90021518409';
const SSIN_C = '79021802145';
const addTestCase = (dataDir: string, ssin: string) =>
  admin(dataDir, ['certra:test-case:add', '--type', 'SSIN', '--id', ssin, '--responsible-ssin', ssin, '--description', `case ${ssin}`]);

async function listedTestCases(dataDir: string): Promise<Array<Record<string, unknown>>> {
  const listed = await admin(dataDir, ['certra:test-case:list', '--json']);
  expectSucceeded(listed);
  return JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
}

/**
 * Exit 0, and stderr holds nothing but log records below error (the first command on a new DATA_DIR warns that it
 * created a development CA): logs go to stderr so that stdout is the command's output alone.
 */
function expectSucceeded(result: { code: number | null; stderr: string }): void {
  expect(result.code).toBe(0);
  for (const line of result.stderr.split('\n').filter((l) => l.trim() !== '')) {
    expect((JSON.parse(line) as { level: number }).level).toBeLessThan(50);
  }
}

const REFUSED_WHILE_OPEN = /the service is running on this data directory: stop it first/;

describe('admin CLI on the embedded database', () => {
  let root: string;
  let dataDir: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'admin-cli-'));
    dataDir = join(root, 'not', 'yet', 'data');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('creates a DATA_DIR that does not exist yet, and lists with --json as an array of objects with stable keys', async () => {
    const added = await addTestCase(dataDir, SSIN_A);
    expectSucceeded(added);
    expect(added.stdout).toMatch(/^registered test case #1 SSIN=85073003328/);
    const rows = await listedTestCases(dataDir);
    expect(rows).toHaveLength(1);
    expect(Object.keys(rows[0]!)).toEqual([
      'id',
      'identifierType',
      'identifierValue',
      'responsibleSsin',
      'description',
      'registeredAt',
      'registeredBy',
      'removedAt',
      'removedBy',
    ]);
    expect(rows[0]).toMatchObject({
      id: '1',
      identifierType: 'SSIN',
      identifierValue: SSIN_A,
      description: `case ${SSIN_A}`,
      registeredBy: 'officer.cli',
      removedAt: null,
    });
  }, 120_000);

  it('is refused while another process has the embedded database open, changes nothing, and works once it is closed', async () => {
    const holder = await openDatabase({ dataDir });
    try {
      const refused = await addTestCase(dataDir, SSIN_B);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(REFUSED_WHILE_OPEN);
      expect(refused.stdout).toBe('');
      const rows = await holder.query<{ identifier_value: string }>('SELECT identifier_value FROM certra_test_cases ORDER BY id');
      expect(rows.map((r) => r.identifier_value)).toEqual([SSIN_A]);
    } finally {
      await holder.close();
    }
    expectSucceeded(await addTestCase(dataDir, SSIN_B));
    expect((await listedTestCases(dataDir)).map((r) => r.identifierValue)).toEqual([SSIN_A, SSIN_B]);
  }, 180_000);

  it('is refused while the service runs on the data directory, and takes over the lock once the service was killed', async () => {
    const server = await startServerProcess({ DATA_DIR: dataDir }, 120_000);
    try {
      const refused = await addTestCase(dataDir, SSIN_C);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(REFUSED_WHILE_OPEN);
      expect(refused.stderr).toContain(`held by process ${server.pid}`);
      // A crash leaves the lock file behind: its process is gone, so the lock is stale.
      process.kill(server.pid, 'SIGKILL');
    } finally {
      await server.stop();
    }
    expect(existsSync(`${join(dataDir, 'pglite')}.lock`)).toBe(true);
    expectSucceeded(await addTestCase(dataDir, SSIN_C));
    expect((await listedTestCases(dataDir)).map((r) => r.identifierValue)).toEqual([SSIN_A, SSIN_B, SSIN_C]);
  }, 300_000);
});

describe('admin CLI usage', () => {
  // Usage errors and help are answered before any database is opened: this directory is never created.
  const untouched = join(tmpdir(), `admin-cli-untouched-${process.pid}`);

  it('answers an unknown command with exit code 2 and the usage on stderr', async () => {
    const result = await admin(untouched, ['certra:test-case:frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain("unknown command 'certra:test-case:frobnicate'");
    expect(result.stderr).toMatch(/^usage: npm run admin -- <command> \[options\]$/m);
    expect(result.stderr).toMatch(/^ {2}certra:test-case:add /m);
    expect(existsSync(untouched)).toBe(false);
  });

  it("answers an unknown option with exit code 2 and the command's usage on stderr", async () => {
    const result = await admin(untouched, ['certra:test-case:list', '--everything']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('unknown option --everything');
    expect(result.stderr).toContain('usage: npm run admin -- certra:test-case:list [--all] [--json]');
    expect(existsSync(untouched)).toBe(false);
  });

  it('describes every option of a command with --help, and the exit codes', async () => {
    const result = await admin(untouched, ['certra:test-case:add', '--help']);
    expectSucceeded(result);
    expect(result.stdout).toMatch(/^usage: npm run admin -- certra:test-case:add --type TYPE --id ID --responsible-ssin SSIN \[--description TEXT\]$/m);
    for (const [name, spec] of Object.entries(addTestCaseCommand.options)) {
      expect(result.stdout).toMatch(new RegExp(`^ {2}--${name} \\S+ +${spec.description.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'));
    }
    expect(result.stdout).toMatch(/^ {2}2 {2}usage error/m);
    expect(existsSync(untouched)).toBe(false);
  });
});
