import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPglite, openPostgres, type Database } from '../../src/storage/database.js';
import { migrate } from '../../src/storage/migrate.js';
import { projectPaths } from '../../src/project-paths.js';

/**
 * The database the suites run on: embedded PGlite (in memory) by default; a fresh database on the real
 * PostgreSQL server named by TEST_DATABASE_URL when it is set (CI runs the suites both ways).
 */
export interface TestDatabase {
  db: Database;
  /** Connection string of the fresh database (real PostgreSQL only), for tests that start other processes. */
  url: string | undefined;
  close(): Promise<void>;
}

export const testEngine: 'postgres' | 'pglite' = process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite';

export async function openTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  let db: Database;
  let url: string | undefined;
  let drop: (() => Promise<void>) | undefined;
  if (serverUrl) {
    const name = `t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const target = new URL(serverUrl);
    target.pathname = `/${name}`;
    url = target.toString();
    db = openPostgres(url, { max: 5 });
    drop = async () => {
      const cleanup = new pg.Client({ connectionString: serverUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    };
  } else {
    db = await openPglite(undefined);
  }
  if (options.migrate !== false) await migrate(db, projectPaths.migrations());
  return {
    db,
    url,
    async close() {
      await db.close();
      if (drop) await drop();
    },
  };
}

/**
 * Row counts of every table: "nothing changed" assertions compare two snapshots. Left out: schema_migrations, and
 * audit_checkpoints, which the audit chain's timer writes whenever one is due (a time-based one falls due as soon as a
 * test moves its clock past the interval), whatever the request under test did.
 */
export async function tableCounts(db: Database): Promise<Record<string, number>> {
  const tables = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
     AND table_name NOT IN ('schema_migrations', 'audit_checkpoints') ORDER BY table_name`,
  );
  const counts: Record<string, number> = {};
  for (const { table_name } of tables) {
    const [row] = await db.query<{ n: bigint }>(`SELECT count(*) AS n FROM "${table_name}"`);
    counts[table_name] = Number(row!.n);
  }
  return counts;
}
