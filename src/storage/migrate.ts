import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database } from './database.js';

/** Arbitrary constant: all processes of this service take the same advisory lock while migrating. */
const MIGRATION_LOCK_KEY = 7_351_002_100;
const MIGRATION_FILE = /^(\d{4})_[a-z0-9_]+\.sql$/;

export interface AppliedMigration {
  version: number;
  name: string;
}

/**
 * Applies migrations/NNNN_name.sql in order, once each, recorded in schema_migrations.
 * Safe when two processes start at once: the whole run holds a transaction-scoped advisory lock.
 */
export async function migrate(db: Database, directory: string): Promise<AppliedMigration[]> {
  const files = (await readdir(directory)).filter((file) => MIGRATION_FILE.test(file)).sort();
  const versions = new Set<number>();
  for (const file of files) {
    const version = Number(MIGRATION_FILE.exec(file)![1]);
    if (versions.has(version)) throw new Error(`two migrations share version ${version}`);
    versions.add(version);
  }
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await tx.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => Number(r.version)));
    const applied: AppliedMigration[] = [];
    for (const file of files) {
      const version = Number(MIGRATION_FILE.exec(file)![1]);
      if (done.has(version)) continue;
      const sql = await readFile(join(directory, file), 'utf8');
      for (const statement of splitStatements(sql)) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [version, file]);
      applied.push({ version, name: file });
    }
    return applied;
  });
}

/**
 * Splits a migration into statements so that it runs inside the caller's transaction on both engines
 * (pg's extended protocol takes one statement per query). Handles quotes, comments and $$ bodies.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
      current += '\n';
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === c && sql[j + 1] === c) {
          j += 2;
          continue;
        }
        if (sql[j] === c) break;
        j++;
      }
      current += sql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i));
      if (tag) {
        const end = sql.indexOf(tag[0], i + tag[0].length);
        const stop = end === -1 ? sql.length : end + tag[0].length;
        current += sql.slice(i, stop);
        i = stop;
        continue;
      }
    }
    if (c === ';') {
      if (current.trim()) statements.push(current.trim());
      current = '';
      i++;
      continue;
    }
    current += c;
    i++;
  }
  if (current.trim()) statements.push(current.trim());
  return statements;
}
