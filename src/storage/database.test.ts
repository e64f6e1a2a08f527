import { openPglite, openPostgres, sqlState, violatedConstraint, type Database } from './database.js';
import { migrate, splitStatements } from './migrate.js';
import { DirectoryLockedError } from './data-dir-lock.js';
import { openTestDatabase, testEngine, type TestDatabase } from '../../test/support/test-database.js';
import { projectPaths } from '../project-paths.js';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe(`database adapter on ${testEngine}`, () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase();
  });
  afterAll(async () => {
    await t.close();
  });

  it('normalises int8 to bigint and bytea to Buffer on both engines', async () => {
    const [row] = await t.db.query<{ big: unknown; bytes: unknown; n: unknown; at: unknown }>(
      `SELECT 9007199254740993::int8 AS big, '\\x00ff10'::bytea AS bytes, 1.50::numeric AS n, now() AS at`,
    );
    expect(row!.big).toBe(9007199254740993n);
    expect(Buffer.isBuffer(row!.bytes)).toBe(true);
    expect((row!.bytes as Buffer).toString('hex')).toBe('00ff10');
    expect(row!.n).toBe('1.50');
    expect(row!.at).toBeInstanceOf(Date);
  });

  it('round-trips a Buffer parameter into bytea', async () => {
    const [row] = await t.db.query<{ b: Buffer }>('SELECT $1::bytea AS b', [Buffer.from([1, 2, 3])]);
    expect([...row!.b]).toEqual([1, 2, 3]);
  });

  it('commits a transaction and rolls back a throwing one', async () => {
    await t.db.exec('CREATE TABLE tx_probe (v int PRIMARY KEY)');
    await t.db.transaction(async (tx) => {
      await tx.query('INSERT INTO tx_probe VALUES (1)');
    });
    await expect(
      t.db.transaction(async (tx) => {
        await tx.query('INSERT INTO tx_probe VALUES (2)');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const rows = await t.db.query<{ v: number }>('SELECT v FROM tx_probe ORDER BY v');
    expect(rows.map((r) => r.v)).toEqual([1]);
  });

  it('reports unique violations with SQLSTATE and constraint name', async () => {
    const insert = `INSERT INTO issued_certificates (issuer_key_id, serial_hex, subject_key_id, subject_dn, profile, not_before, not_after)
                    VALUES ('AA', '01', 'BB', 'CN=x', 'p', now(), now())`;
    await t.db.query(insert);
    const error = await t.db.query(insert).catch((e: unknown) => e);
    expect(sqlState(error)).toBe('23505');
    expect(violatedConstraint(error)).toBe('issued_certificates_serial_uq');
  });

  it('keeps concurrent FOR UPDATE increments exact', async () => {
    await t.db.exec(`CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL); INSERT INTO counter VALUES (1, 0)`);
    await Promise.all(
      Array.from({ length: 20 }, () =>
        t.db.transaction(async (tx) => {
          const [row] = await tx.query<{ n: number }>('SELECT n FROM counter WHERE id = 1 FOR UPDATE');
          await tx.query('UPDATE counter SET n = $1 WHERE id = 1', [row!.n + 1]);
        }),
      ),
    );
    const [row] = await t.db.query<{ n: number }>('SELECT n FROM counter');
    expect(row!.n).toBe(20);
  });

  it("delivers a committed transaction's notifications to this process before transaction() returns", async () => {
    const received: string[] = [];
    const unlisten = await t.db.listen('local_channel', (payload) => received.push(payload));
    await t.db.transaction(async (tx) => {
      await tx.query('SELECT pg_notify($1, $2)', ['local_channel', 'now']);
    });
    expect(received[0]).toBe('now');
    await expect(
      t.db.transaction(async (tx) => {
        await tx.query('SELECT pg_notify($1, $2)', ['local_channel', 'rolled-back']);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    await new Promise((r) => setTimeout(r, 100));
    expect(received).not.toContain('rolled-back');
    await unlisten();
  });

  it('delivers NOTIFY payloads to listeners', async () => {
    const received: string[] = [];
    const unlisten = await t.db.listen('probe_channel', (payload) => received.push(payload));
    await t.db.query(`SELECT pg_notify('probe_channel', 'hello')`);
    for (let i = 0; i < 50 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await unlisten();
    expect(received).toEqual(['hello']);
  });
});

// PGlite runs in-process and has no connection to lose; CI runs this file again on PostgreSQL, where it matters.
if (testEngine === 'postgres') {
  describe('PostgreSQL connections: LISTEN, prepared statements', () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await openTestDatabase();
    });
    afterAll(async () => {
      await t.close();
    });

    it('re-establishes a lost LISTEN connection and tells subscribers to assume anything changed', async () => {
      const payloads: string[] = [];
      const unlisten = await t.db.listen('reconnect_channel', (payload) => payloads.push(payload));
      const waitFor = async (condition: () => boolean, what: string, tick?: () => Promise<unknown>) => {
        for (let i = 0; i < 100 && !condition(); i++) {
          await tick?.();
          await new Promise((r) => setTimeout(r, 50));
        }
        if (!condition()) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(payloads)}`);
      };
      const [listener] = await t.db.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN "reconnect_channel"%'`,
      );
      expect(listener?.pid).toEqual(expect.any(Number));
      await t.db.query('SELECT pg_terminate_backend($1)', [listener!.pid]);
      await waitFor(() => payloads.includes(''), 'the connection-lost signal');
      await waitFor(
        () => payloads.includes('after'),
        'a notification after reconnection',
        () => t.db.query(`SELECT pg_notify('reconnect_channel', 'after')`),
      );
      await unlisten();
    });

    /** The statements prepared on the connection a transaction runs on, after it ran `sql` with a parameter. */
    const preparedAfter = async (db: Database, sql: string) =>
      db.transaction(async (tx) => {
        await tx.query(sql, [41]);
        // No parameter: the simple protocol, so this query prepares nothing itself.
        return (await tx.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements')).map((row) => row.statement);
      });

    it('prepares a parameterised statement once per connection and reuses it', async () => {
      const sql = 'SELECT $1::int + 1 AS answer';
      expect(await preparedAfter(t.db, sql)).toContain(sql);
      // Several runs on a pool of 5: each connection parses it once; the answer stays right.
      for (let i = 0; i < 12; i++) expect((await t.db.query<{ answer: number }>(sql, [i]))[0]!.answer).toBe(i + 1);
      const statements = await preparedAfter(t.db, sql);
      expect(statements.filter((statement) => statement === sql)).toHaveLength(1);
    });

    it('prepares nothing when prepared statements are off (a pooler that cannot carry them)', async () => {
      const unprepared = openPostgres(t.url!, { max: 1, preparedStatements: false });
      try {
        const sql = 'SELECT $1::int + 2 AS answer';
        expect(await preparedAfter(unprepared, sql)).toEqual([]);
        expect((await unprepared.query<{ answer: number }>(sql, [40]))[0]!.answer).toBe(42);
      } finally {
        await unprepared.close();
      }
    });
  });
}

describe(`migrations on ${testEngine}`, () => {
  it('applies each file once, in order, and is idempotent', async () => {
    const t = await openTestDatabase({ migrate: false });
    try {
      const first = await migrate(t.db, projectPaths.migrations());
      expect(first.map((m) => m.version)).toEqual([...first.map((m) => m.version)].sort((a, b) => a - b));
      expect(first[0]!.name).toBe('0001_foundation.sql');
      const second = await migrate(t.db, projectPaths.migrations());
      expect(second).toEqual([]);
      const recorded = await t.db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(recorded.map((r) => r.version)).toEqual(first.map((m) => m.version));
    } finally {
      await t.close();
    }
  });

  it('compresses the signed CertRA requests with lz4 where the server offers it (pglz otherwise)', async () => {
    const t = await openTestDatabase();
    try {
      const [offered] = await t.db.query<{ lz4: boolean }>("SELECT 'lz4' = ANY (enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'");
      const [column] = await t.db.query<{ compression: string }>(
        "SELECT attcompression::text AS compression FROM pg_attribute WHERE attrelid = 'certra_requests'::regclass AND attname = 'signed_request'",
      );
      // '' is the server's default_toast_compression (pglz unless configured), 'l' is lz4.
      expect(column?.compression).toBe(offered?.lz4 ? 'l' : '');
      if (testEngine === 'postgres') expect(offered?.lz4).toBe(true); // Debian's PostgreSQL is built with lz4
    } finally {
      await t.close();
    }
  });

  it('rolls a failing migration back entirely and records nothing', async () => {
    const t = await openTestDatabase({ migrate: false });
    const directory = mkdtempSync(join(tmpdir(), 'migrations-'));
    try {
      writeFileSync(join(directory, '0001_ok.sql'), 'CREATE TABLE a_ok (x int);');
      writeFileSync(join(directory, '0002_bad.sql'), 'CREATE TABLE b_bad (x int); SELECT no_such_function();');
      await expect(migrate(t.db, directory)).rejects.toThrow();
      const tables = await t.db.query(`SELECT 1 FROM information_schema.tables WHERE table_name IN ('a_ok', 'b_bad', 'schema_migrations')`);
      expect(tables).toHaveLength(0);
    } finally {
      rmSync(directory, { recursive: true, force: true });
      await t.close();
    }
  });

  it('refuses two files with one version number', async () => {
    const t = await openTestDatabase({ migrate: false });
    const directory = mkdtempSync(join(tmpdir(), 'migrations-'));
    try {
      writeFileSync(join(directory, '0001_a.sql'), 'SELECT 1;');
      writeFileSync(join(directory, '0001_b.sql'), 'SELECT 1;');
      await expect(migrate(t.db, directory)).rejects.toThrow('share version 1');
    } finally {
      rmSync(directory, { recursive: true, force: true });
      await t.close();
    }
  });

  it('is safe when two processes migrate at once', async () => {
    const t = await openTestDatabase({ migrate: false });
    try {
      // PGlite is one process; on PostgreSQL two pools stand in for two service processes.
      const other = t.url ? openPostgres(t.url) : t.db;
      const results = await Promise.all([migrate(t.db, projectPaths.migrations()), migrate(other, projectPaths.migrations())]);
      expect(results[0].length + results[1].length).toBe(results[0].length || results[1].length);
      if (other !== t.db) await other.close();
    } finally {
      await t.close();
    }
  });
});

describe('PGlite file-backed storage', () => {
  it('persists across reopen in a data directory', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'pglite-'));
    mkdirSync(join(directory, 'db'));
    try {
      const first = await openPglite(join(directory, 'db'));
      await first.exec("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('yes')");
      await first.close();
      const second = await openPglite(join(directory, 'db'));
      const rows = await second.query<{ v: string }>('SELECT v FROM kept');
      await second.close();
      expect(rows).toEqual([{ v: 'yes' }]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('creates a data directory that does not exist yet', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'pglite-'));
    try {
      const db = await openPglite(join(directory, 'not', 'yet', 'pglite'));
      const [row] = await db.query<{ one: number }>('SELECT 1 AS one');
      await db.close();
      expect(row).toEqual({ one: 1 });
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('refuses a second opener of one data directory until the first has closed it', async () => {
    const directory = join(mkdtempSync(join(tmpdir(), 'pglite-')), 'pglite');
    try {
      const first = await openPglite(directory);
      await expect(openPglite(directory)).rejects.toThrow(DirectoryLockedError);
      await first.close();
      const second = await openPglite(directory);
      await second.close();
    } finally {
      rmSync(join(directory, '..'), { recursive: true, force: true });
    }
  });
});

describe('splitStatements', () => {
  it('keeps semicolons inside quotes, comments and dollar-quoted bodies', () => {
    const sql = `CREATE TABLE a (x text DEFAULT ';'); -- a comment; here
      CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;
      /* block; comment */ SELECT 'it''s; fine'`;
    expect(splitStatements(sql)).toEqual([
      `CREATE TABLE a (x text DEFAULT ';')`,
      'CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql',
      `SELECT 'it''s; fine'`,
    ]);
  });
});
