import pg from 'pg';
import type { Database } from '../../src/storage/database.js';

/**
 * The real hot standby the replica suite runs against (TEST_DATABASE_READ_URL, made by scripts/replica-cluster.sh up):
 * its URL for a database of the primary, and replay control. Replay is cluster-wide: a suite that pauses it must resume
 * it (resume() is safe to call at any time).
 */
export interface Standby {
  /** The standby's URL for the database `primaryDatabaseUrl` names (same database, replicated). */
  urlFor(primaryDatabaseUrl: string): string;
  /** Pauses WAL replay and waits until the standby reports it paused. */
  pause(): Promise<void>;
  /** Resumes WAL replay (whether or not it is paused). */
  resume(): Promise<void>;
  /** Waits until the standby has replayed everything the primary had written when called. */
  waitForReplay(primary: Database, timeoutMs?: number): Promise<void>;
  /** A query on the standby, in the database `primaryDatabaseUrl` names (white-box checks of what it holds). */
  queryIn<R extends pg.QueryResultRow>(primaryDatabaseUrl: string, sql: string, params?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

export function requiredStandbyUrl(): string {
  const url = process.env.TEST_DATABASE_READ_URL;
  if (!url || !process.env.TEST_DATABASE_URL) {
    throw new Error(
      'the replica suite needs a real streaming standby: TEST_DATABASE_URL (the primary) and TEST_DATABASE_READ_URL (its hot standby); ' +
        'run `scripts/replica-cluster.sh up` (as root) and set TEST_DATABASE_READ_URL=postgres://postgres@127.0.0.1:5433/test',
    );
  }
  return url;
}

export async function openStandby(standbyUrl: string): Promise<Standby> {
  const admin = new pg.Client({ connectionString: withDatabase(standbyUrl, 'postgres') });
  admin.on('error', () => undefined);
  await admin.connect();
  const [{ in_recovery: inRecovery }] = (await admin.query<{ in_recovery: boolean }>('SELECT pg_is_in_recovery() AS in_recovery')).rows as [
    { in_recovery: boolean },
  ];
  if (!inRecovery) {
    await admin.end();
    throw new Error(`TEST_DATABASE_READ_URL (${new URL(standbyUrl).host}) is not a standby in recovery`);
  }
  const clients = new Map<string, pg.Client>();
  const replayState = async () => (await admin.query<{ state: string }>('SELECT pg_get_wal_replay_pause_state() AS state')).rows[0]!.state;
  return {
    urlFor: (primaryDatabaseUrl) => withDatabase(standbyUrl, new URL(primaryDatabaseUrl).pathname.slice(1)),
    async pause() {
      await admin.query('SELECT pg_wal_replay_pause()');
      const deadline = Date.now() + 10_000;
      while ((await replayState()) !== 'paused') {
        if (Date.now() > deadline) throw new Error('the standby did not pause replay within 10 s');
        await sleep(5);
      }
    },
    async resume() {
      await admin.query('SELECT pg_wal_replay_resume()');
    },
    async waitForReplay(primary, timeoutMs = 30_000) {
      const [{ lsn }] = (await primary.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn')) as [{ lsn: string }];
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        // An insert position at a page start points past the page header, where replay stops at the boundary.
        const { rows } = await admin.query<{ done: boolean }>(
          `SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn
              OR ((pg_last_wal_replay_lsn() - '0/0'::pg_lsn) % current_setting('wal_block_size')::numeric = 0
                  AND $1::pg_lsn - pg_last_wal_replay_lsn() <= 40) AS done`,
          [lsn],
        );
        if (rows[0]!.done) return;
        if (Date.now() > deadline) throw new Error(`the standby did not replay up to ${lsn} within ${timeoutMs} ms (replay paused: ${await replayState()})`);
        await sleep(10);
      }
    },
    async queryIn(primaryDatabaseUrl, sql, params) {
      const url = withDatabase(standbyUrl, new URL(primaryDatabaseUrl).pathname.slice(1));
      let client = clients.get(url);
      if (!client) {
        client = new pg.Client({ connectionString: url });
        // The standby ends this connection when it replays the database's drop (a FATAL that would otherwise be thrown).
        client.on('error', () => undefined);
        await client.connect();
        clients.set(url, client);
      }
      return (await client.query(sql, params)).rows;
    },
    async close() {
      await admin.query('SELECT pg_wal_replay_resume()').catch(() => undefined);
      for (const client of clients.values()) await client.end().catch(() => undefined);
      await admin.end();
    },
  };
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
