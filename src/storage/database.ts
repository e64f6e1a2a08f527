import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import pg from 'pg';
import type { PGlite as PGliteType } from '@electric-sql/pglite';
import { lockDirectory, type DirectoryLock } from './data-dir-lock.js';

/**
 * One small query / transaction API over real PostgreSQL (pg.Pool) and embedded PGlite.
 * Both engines return the same JS types: int8 → bigint, bytea → Buffer, numeric → string, timestamptz → Date.
 */
export type SqlValue = string | number | bigint | boolean | Date | Buffer | Uint8Array | null | readonly string[] | unknown;
export type Row = Record<string, unknown>;

export interface Queryable {
  query<R extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<R[]>;
}

export interface Database extends Queryable {
  readonly engine: 'postgres' | 'pglite';
  /** Runs fn in one transaction; rolls back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Statements that commit each on its own whatever becomes of the transactions the caller holds open, on connections
   * outside the pool, so that callers holding every pooled connection cannot starve them: for records that must
   * outlive the caller's transaction (the CA's key-use journal, one statement per record). Absent on PGlite, whose
   * single session runs one transaction at a time.
   */
  readonly autonomous?: Queryable;
  /** Runs several statements separated by semicolons (migrations). */
  exec(sql: string): Promise<void>;
  /** Readiness: resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  /** Subscribes to a PostgreSQL NOTIFY channel; returns an unsubscribe function. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * A NOTIFY issued inside a transaction reaches the LISTEN connections of every process only after commit, and
 * asynchronously. This process must not answer from stale state in that gap (read-your-writes: a GetEtk right after
 * activateETK on the same server), so a committed transaction also delivers its `SELECT pg_notify($1, $2)` calls to
 * this process's own listeners synchronously, before transaction() returns. Listeners must tolerate the duplicate
 * that arrives later through LISTEN.
 */
const NOTIFY_STATEMENT = /^\s*SELECT\s+pg_notify\(\s*\$1\s*,\s*\$2\s*\)\s*$/i;

class LocalListeners {
  private readonly handlers = new Map<string, Set<(payload: string) => void>>();
  add(channel: string, handler: (payload: string) => void): () => void {
    let set = this.handlers.get(channel);
    if (!set) this.handlers.set(channel, (set = new Set()));
    set.add(handler);
    return () => set!.delete(handler);
  }
  deliver(notifications: ReadonlyArray<readonly [string, string]>): void {
    for (const [channel, payload] of notifications) for (const handler of this.handlers.get(channel) ?? []) handler(payload);
  }
}

/** Wraps a transaction's Queryable to remember the notifications it issues. */
function recordingNotifications(inner: Queryable, sent: Array<readonly [string, string]>): Queryable {
  return {
    query: async (sql, params) => {
      const rows = await inner.query(sql, params);
      if (NOTIFY_STATEMENT.test(sql) && params) sent.push([String(params[0]), String(params[1] ?? '')]);
      return rows as never;
    },
  };
}

const INT8_OID = 20;
const BYTEA_OID = 17;

/** Error raised by either engine, normalised so storage code can branch on the SQLSTATE. */
export interface DatabaseErrorShape {
  code?: string;
  constraint?: string;
}
export function sqlState(error: unknown): string | undefined {
  return (error as DatabaseErrorShape | null)?.code;
}
export function violatedConstraint(error: unknown): string | undefined {
  return (error as DatabaseErrorShape | null)?.constraint;
}

let pgTypesConfigured = false;
function configurePgTypes(): void {
  if (pgTypesConfigured) return;
  pg.types.setTypeParser(INT8_OID, (value: string) => BigInt(value));
  pgTypesConfigured = true;
}

interface ListenerEntry {
  client: pg.PoolClient | undefined;
  readonly handlers: Set<(payload: string) => void>;
}

export interface PostgresPoolOptions {
  max?: number;
  /** Give up connecting after this long (a standby that does not answer must not hold lookups up); default: wait. */
  connectionTimeoutMillis?: number;
  /** Give up waiting for a query's answer after this long (client side); default: wait. */
  queryTimeoutMillis?: number;
  /**
   * Parameterised statements as named prepared statements, parsed and planned once per connection (default true).
   * Off for a connection pooler that cannot carry them across server connections (PgBouncer before 1.21 in
   * transaction mode).
   */
  preparedStatements?: boolean;
}

/**
 * The statement names of parameterised SQL texts. The storage layer's texts are fixed strings, so the set is small;
 * past the bound a text runs unnamed (parsed and planned each time) rather than grow every connection's cache.
 */
const MAX_NAMED_STATEMENTS = 1_000;
const statementNames = new Map<string, string>();
function statementNameOf(sql: string): string | undefined {
  let name = statementNames.get(sql);
  if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) {
    name = `s_${createHash('sha256').update(sql).digest('base64url').slice(0, 22)}`;
    statementNames.set(sql, name);
  }
  return name;
}

export function openPostgres(connectionString: string, options: PostgresPoolOptions = {}): Database {
  configurePgTypes();
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    ...(options.connectionTimeoutMillis !== undefined ? { connectionTimeoutMillis: options.connectionTimeoutMillis } : {}),
    ...(options.queryTimeoutMillis !== undefined ? { query_timeout: options.queryTimeoutMillis } : {}),
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  const prepared = options.preparedStatements ?? true;
  const run = async <R extends Row>(client: pg.Pool | pg.PoolClient, sql: string, params?: readonly SqlValue[]) => {
    const values = params as unknown[] | undefined;
    // A statement without parameters goes by the simple protocol (it may hold several statements, or BEGIN/COMMIT).
    const name = prepared && values !== undefined ? statementNameOf(sql) : undefined;
    return (await client.query(name === undefined ? { text: sql, values } : { name, text: sql, values })).rows as R[];
  };
  const listeners = new Map<string, ListenerEntry>();
  let closing = false;

  /**
   * Opens (or re-opens) the dedicated LISTEN connection of a channel. A lost connection would silently stop
   * notifications, and caches relying on them would go stale: so on 'error'/'end' every subscriber is told (empty
   * payload = "anything may have changed"), and the connection is re-established with backoff; subscribers are told
   * again once listening resumes, since notifications sent in the gap are lost.
   */
  const connectListener = async (channel: string, entry: ListenerEntry): Promise<void> => {
    const client = await pool.connect();
    let lost = false;
    const onLost = () => {
      if (lost) return;
      lost = true;
      client.release(true);
      if (closing || listeners.get(channel) !== entry) return;
      for (const handler of entry.handlers) handler('');
      const retry = (delayMs: number) => {
        setTimeout(() => {
          if (closing || listeners.get(channel) !== entry) return;
          connectListener(channel, entry).then(
            () => {
              for (const handler of entry.handlers) handler('');
            },
            () => retry(Math.min(delayMs * 2, 5_000)),
          );
        }, delayMs).unref();
      };
      retry(100);
    };
    client.on('error', onLost);
    client.on('end', onLost);
    client.on('notification', (message) => {
      if (message.channel === channel) for (const handler of entry.handlers) handler(message.payload ?? '');
    });
    try {
      await client.query(`LISTEN ${quoteIdentifier(channel)}`);
    } catch (error) {
      onLost();
      throw error;
    }
    entry.client = client;
  };
  const local = new LocalListeners();
  // Autonomous transactions get their own small pool: its connections never wait for anything a caller holds.
  let autonomousPool: pg.Pool | undefined;
  const inTransaction = async <T>(from: pg.Pool, fn: (tx: Queryable) => Promise<T>): Promise<T> => {
    const client = await from.connect();
    const sent: Array<readonly [string, string]> = [];
    try {
      await client.query('BEGIN');
      const result = await fn(recordingNotifications({ query: (sql, params) => run(client, sql, params) }, sent));
      await client.query('COMMIT');
      local.deliver(sent);
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  };
  return {
    engine: 'postgres',
    query: (sql, params) => run(pool, sql, params),
    async exec(sql) {
      await pool.query(sql);
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    transaction: (fn) => inTransaction(pool, fn),
    autonomous: {
      query(sql, params) {
        if (!autonomousPool) {
          autonomousPool = new pg.Pool({ connectionString, max: 2 });
          autonomousPool.on('error', () => undefined);
        }
        return run(autonomousPool, sql, params);
      },
    },
    async listen(channel, onPayload) {
      let entry = listeners.get(channel);
      if (!entry) {
        const fresh: ListenerEntry = { client: undefined, handlers: new Set() };
        listeners.set(channel, fresh);
        try {
          await connectListener(channel, fresh);
        } catch (error) {
          listeners.delete(channel);
          throw error;
        }
        entry = fresh;
      }
      entry.handlers.add(onPayload);
      const removeLocal = local.add(channel, onPayload);
      const current = entry;
      return async () => {
        removeLocal();
        current.handlers.delete(onPayload);
        if (current.handlers.size === 0 && listeners.get(channel) === current) {
          listeners.delete(channel);
          const client = current.client;
          current.client = undefined;
          if (client) {
            await client.query(`UNLISTEN ${quoteIdentifier(channel)}`).catch(() => undefined);
            client.removeAllListeners('end');
            client.removeAllListeners('error');
            client.release();
          }
        }
      };
    },
    async close() {
      closing = true;
      for (const { client } of listeners.values()) {
        client?.removeAllListeners('end');
        client?.removeAllListeners('error');
        client?.release();
      }
      listeners.clear();
      await autonomousPool?.end();
      await pool.end();
    },
  };
}

/**
 * Embedded PostgreSQL (PGlite). `dataDir` undefined = in memory. Transactions are serialised by PGlite itself.
 * A data directory is created if missing and locked for as long as it is open: PGlite cannot be shared between
 * processes, and a second process would silently lose writes (DirectoryLockedError when another process holds it).
 */
export async function openPglite(dataDir: string | undefined): Promise<Database> {
  const { PGlite, types } = await import('@electric-sql/pglite');
  let lock: DirectoryLock | undefined;
  if (dataDir !== undefined) {
    mkdirSync(dataDir, { recursive: true });
    lock = await lockDirectory(dataDir);
  }
  let db: PGliteType;
  try {
    db = await PGlite.create(dataDir, {
      parsers: {
        [INT8_OID]: (value: string) => BigInt(value),
        [BYTEA_OID]: (value: string) => Buffer.from(value.slice(2), 'hex'),
      },
    });
  } catch (error) {
    lock?.release();
    throw error;
  }
  void types;
  const toBuffers = <R extends Row>(rows: R[]): R[] => {
    for (const row of rows) {
      for (const key of Object.keys(row)) {
        const value = row[key];
        if (value instanceof Uint8Array && !Buffer.isBuffer(value)) (row as Row)[key] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      }
    }
    return rows;
  };
  let closed = false;
  const local = new LocalListeners();
  return {
    engine: 'pglite',
    query: async (sql, params) => toBuffers((await db.query(sql, params as unknown[] | undefined)).rows as never[]),
    async exec(sql) {
      await db.exec(sql);
    },
    async ping() {
      await db.query('SELECT 1');
    },
    async transaction(fn) {
      const sent: Array<readonly [string, string]> = [];
      const result = await db.transaction(async (tx) =>
        fn(recordingNotifications({ query: async (sql, params) => toBuffers((await tx.query(sql, params as unknown[] | undefined)).rows as never[]) }, sent)),
      );
      local.deliver(sent);
      return result;
    },
    async listen(channel, onPayload) {
      const unsubscribe = await db.listen(channel, onPayload);
      const removeLocal = local.add(channel, onPayload);
      return async () => {
        removeLocal();
        await unsubscribe();
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await db.close();
      } finally {
        lock?.release();
      }
    },
  };
}

export async function openDatabase(options: { databaseUrl?: string; dataDir?: string; inMemory?: boolean; preparedStatements?: boolean }): Promise<Database> {
  if (options.databaseUrl)
    return openPostgres(options.databaseUrl, options.preparedStatements === undefined ? {} : { preparedStatements: options.preparedStatements });
  return openPglite(options.inMemory ? undefined : `${options.dataDir ?? './data'}/pglite`);
}

function quoteIdentifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/i.test(name)) throw new Error(`invalid channel name ${name}`);
  return `"${name}"`;
}
