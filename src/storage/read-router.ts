import { performance } from 'node:perf_hooks';
import { CERTIFICATE_REVOCATION_CHANNEL } from './certificate-registry.js';
import type { Database, Queryable, Row, SqlValue } from './database.js';
import { sqlState } from './database.js';
import { ETK_DIRECTORY_CHANNEL } from './etk-repository.js';

/**
 * Lookups (GetEtk and REST, OCSP statuses, signer statuses, trusted lists) read from a hot standby (DATABASE_READ_URL)
 * when it is fresh enough, else from the primary; writes and transactions never come here.
 *
 * The guarantee: no lookup answers from data older than REPLICA_MAX_STALENESS_MS, and none answers from data older
 * than an invalidation this process has received.
 *
 * - Staleness. Every poll samples the primary's WAL insert position P at local time t (sent first), then the standby's
 *   replay position R. R ≥ P means every transaction acknowledged before t is visible on the standby (replay position
 *   advances only after a record is applied, and a commit is in the WAL before it is acknowledged, whatever
 *   synchronous_commit says), so the standby is "fresh as of" t. A lookup at time now uses the standby only while
 *   now − freshAsOf ≤ the bound: a commit it misses was acknowledged after freshAsOf, hence less than the bound ago.
 *   pg_last_xact_replay_timestamp() is not used for the bound: on a quiet primary it ages while the standby is
 *   current, and it cannot tell whether later commits exist.
 * - Invalidations. LISTEN does not work on a standby, so this router LISTENs on the primary, on the channels whose
 *   notifications invalidate cached lookups. A notification arrives after its commit, so the primary's insert position
 *   read after it arrives (one query) is past that commit: until the standby has replayed that far, lookups go to the
 *   primary. The router hears a notification in the same synchronous dispatch as the caches do, so a cache miss after an
 *   invalidation can never be filled from a standby row older than it. (The NOTIFY payload cannot carry the commit LSN:
 *   pg_current_wal_insert_lsn() inside the transaction is before the commit record, and a standby replayed that far may
 *   not show the commit yet.)
 *
 * The standby must be one server: a DATABASE_READ_URL that balances over several standbys would poll one and read another.
 */

/** Why a lookup went to the primary although a standby is configured (the label of the fallback counter). */
export type FallbackReason =
  /** The standby's measured staleness exceeds the bound (or was never measured: unreachable since start). */
  | 'lag'
  /** The standby has not replayed past an invalidation this process received (or invalidations cannot be heard). */
  | 'invalidation'
  /** The last poll or read of the standby failed, or it is not a standby in recovery. */
  | 'replica-error';

export interface ReadRouterObserver {
  servedByReplica(): void;
  fellBack(reason: FallbackReason): void;
  /** The standby became usable again (undefined) or unusable for a lasting reason ('lag', 'replica-error'): for the log. */
  replicaStateChanged?(unusable: Exclude<FallbackReason, 'invalidation'> | undefined, detail: string): void;
}

export interface ReadRouterOptions {
  readonly primary: Database;
  /** The standby's pool, owned by the router (closed with it). */
  readonly replica: Database;
  /** REPLICA_MAX_STALENESS_MS. */
  readonly maxStalenessMs: number;
  /** How often the standby is measured; default a fifth of the bound (the bound must leave room for a poll). */
  readonly pollIntervalMs?: number;
  readonly observer?: ReadRouterObserver;
}

/** The channels whose notifications mean "lookups must not read anything older than this": see ETK and registry repositories. */
export const LOOKUP_INVALIDATION_CHANNELS: readonly string[] = [ETK_DIRECTORY_CHANNEL, CERTIFICATE_REVOCATION_CHANNEL];

/** At most this many primary samples wait for the standby to replay them (older ones: the lag is overestimated, never under). */
const MAX_PENDING_SAMPLES = 1_000;

/** 'X/Y' (pg_lsn text) → bytes. */
export function parseLsn(text: string): bigint {
  const match = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i.exec(text);
  if (!match) throw new Error(`not a pg_lsn: ${text}`);
  return (BigInt(`0x${match[1]}`) << 32n) + BigInt(`0x${match[2]}`);
}

/** SQLSTATE classes of a standby that cannot answer now (connection, shutdown/cancel, recovery conflict, resources, database not yet replayed). */
const REPLICA_UNAVAILABLE = /^(08|57|53|40001|3D000)/;

export class ReadRouter implements Queryable {
  private readonly pollIntervalMs: number;
  /** Primary insert positions not yet replayed by the standby, oldest first, with the local time each was requested. */
  private samples: Array<{ readonly at: number; readonly lsn: bigint }> = [];
  private freshAsOf = Number.NEGATIVE_INFINITY;
  private replayed = -1n;
  private replicaFailed: string | undefined = 'not measured yet';
  /** Highest primary position an invalidation requires the standby to have replayed. */
  private watermark = 0n;
  private invalidationsHeard = 0;
  private invalidationsCovered = 0;
  private fetchingWatermark = false;
  private listening = false;
  private walBlockSize = 8192n;
  private unsubscribes: Array<() => Promise<void>> = [];
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private closed = false;
  private reported: Exclude<FallbackReason, 'invalidation'> | undefined | null = null;

  constructor(private readonly options: ReadRouterOptions) {
    this.pollIntervalMs = options.pollIntervalMs ?? Math.max(10, Math.floor(options.maxStalenessMs / 5));
  }

  /**
   * LISTENs for invalidations on the primary and measures the standby once; then polls. Never throws for the standby
   * (lookups use the primary until it answers); a failed LISTEN keeps every lookup on the primary.
   */
  async start(): Promise<void> {
    const { primary } = this.options;
    const [blockSize] = await primary.query<{ size: string }>(`SELECT current_setting('wal_block_size') AS size`);
    this.walBlockSize = BigInt(blockSize!.size);
    for (const channel of LOOKUP_INVALIDATION_CHANNELS) this.unsubscribes.push(await primary.listen(channel, () => this.invalidated()));
    this.listening = true;
    await this.poll();
    this.schedule();
  }

  /** Stops polling and listening, and closes the standby's pool (the router owns it; the primary is the caller's). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.listening = false;
    await this.polling;
    await Promise.all(this.unsubscribes.map((unsubscribe) => unsubscribe()));
    this.unsubscribes = [];
    await this.options.replica.close();
  }

  /** A lookup: on the standby when usable, else (or when it fails to answer) on the primary. */
  async query<R extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<R[]> {
    const { primary, replica, observer } = this.options;
    const reason = this.fallbackReason(performance.now());
    if (reason !== undefined) {
      observer?.fellBack(reason);
      return primary.query<R>(sql, params);
    }
    let rows: R[];
    try {
      rows = await replica.query<R>(sql, params);
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      this.replicaFailed = `read failed: ${describeError(error)}`;
      this.report();
      observer?.fellBack('replica-error');
      return primary.query<R>(sql, params);
    }
    observer?.servedByReplica();
    return rows;
  }

  /** Why a lookup now would go to the primary; undefined: the standby may answer. */
  fallbackReason(now: number = performance.now()): FallbackReason | undefined {
    if (this.replicaFailed !== undefined) return 'replica-error';
    if (!this.listening || this.invalidationsCovered < this.invalidationsHeard || !this.covers(this.replayed, this.watermark)) return 'invalidation';
    if (now - this.freshAsOf > this.options.maxStalenessMs) return 'lag';
    return undefined;
  }

  /** Measured staleness of the standby in milliseconds (Infinity until it was measured once). */
  lagMs(now: number = performance.now()): number {
    return now - this.freshAsOf;
  }

  /** Whether the standby was found in recovery and streaming at the last poll (tests, the log). */
  get replicaHealthy(): boolean {
    return this.replicaFailed === undefined;
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      void this.poll().finally(() => this.schedule());
    }, this.pollIntervalMs);
    this.timer.unref();
  }

  /** One measurement (a poll already running is joined). */
  private poll(): Promise<void> {
    this.polling ??= this.measure().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async measure(): Promise<void> {
    const { primary, replica } = this.options;
    const at = performance.now();
    let primaryLsn: bigint;
    try {
      const [row] = await primary.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
      primaryLsn = parseLsn(row!.lsn);
    } catch {
      return; // the primary is down: lookups that fall back fail as every other request does; nothing to measure
    }
    this.samples.push({ at, lsn: primaryLsn });
    if (this.samples.length > MAX_PENDING_SAMPLES) this.samples.shift();
    try {
      const [row] = await replica.query<{ in_recovery: boolean; replay_lsn: string | null }>(
        'SELECT pg_is_in_recovery() AS in_recovery, pg_last_wal_replay_lsn()::text AS replay_lsn',
      );
      if (!row!.in_recovery || row!.replay_lsn === null) {
        // A promoted standby (or DATABASE_READ_URL naming a primary) no longer follows this primary.
        this.replicaFailed = 'not a standby in recovery';
        this.report();
        return;
      }
      this.replayed = parseLsn(row!.replay_lsn);
      this.replicaFailed = undefined;
    } catch (error) {
      this.replicaFailed = `poll failed: ${describeError(error)}`;
      this.report();
      return;
    }
    // Samples are in time order and positions never decrease: the replayed ones are a prefix.
    let covered = 0;
    while (covered < this.samples.length && this.covers(this.replayed, this.samples[covered]!.lsn)) covered++;
    if (covered > 0) {
      this.freshAsOf = Math.max(this.freshAsOf, this.samples[covered - 1]!.at);
      this.samples = this.samples.slice(covered);
    }
    this.report();
  }

  /**
   * Whether replay position `replayed` includes everything before primary position `target`. An insert position at
   * the start of a page points past the page header while replay ends at the page boundary: no record lies between.
   */
  private covers(replayed: bigint, target: bigint): boolean {
    if (replayed >= target) return true;
    const longPageHeader = 40n;
    return replayed >= 0n && replayed % this.walBlockSize === 0n && target - replayed <= longPageHeader;
  }

  private invalidated(): void {
    this.invalidationsHeard++;
    this.fetchWatermark();
  }

  /** Reads the primary's position after the latest invalidation heard; retried until it succeeds. */
  private fetchWatermark(): void {
    if (this.fetchingWatermark || this.closed) return;
    this.fetchingWatermark = true;
    const heard = this.invalidationsHeard;
    this.options.primary.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn').then(
      ([row]) => {
        this.fetchingWatermark = false;
        const lsn = parseLsn(row!.lsn);
        if (lsn > this.watermark) this.watermark = lsn;
        this.invalidationsCovered = heard;
        if (this.invalidationsCovered < this.invalidationsHeard) this.fetchWatermark();
        else void this.poll(); // the standby may well have replayed it already
      },
      () => {
        this.fetchingWatermark = false;
        const retry = setTimeout(() => this.fetchWatermark(), this.pollIntervalMs);
        retry.unref();
      },
    );
  }

  /** Tells the observer when the standby's lasting state changes (not on each invalidation). */
  private report(): void {
    const lasting = this.replicaFailed !== undefined ? 'replica-error' : this.lagMs() > this.options.maxStalenessMs ? 'lag' : undefined;
    if (lasting === this.reported) return;
    this.reported = lasting;
    const detail =
      lasting === 'replica-error'
        ? this.replicaFailed!
        : lasting === 'lag'
          ? `measured staleness ${Number.isFinite(this.lagMs()) ? `${Math.round(this.lagMs())} ms` : 'unknown'} exceeds ${this.options.maxStalenessMs} ms`
          : `measured staleness ${Math.round(this.lagMs())} ms`;
    this.options.observer?.replicaStateChanged?.(lasting, detail);
  }
}

function isUnavailable(error: unknown): boolean {
  const code = sqlState(error);
  // No SQLSTATE: a socket error (refused, reset, timeout) from the driver.
  return code === undefined || REPLICA_UNAVAILABLE.test(code);
}

/** An error for the log: its SQLSTATE or code and message, never a connection string. */
function describeError(error: unknown): string {
  const code = sqlState(error);
  const message = error instanceof Error ? error.message : String(error);
  return code ? `${code} ${message}` : message;
}

/** host:port of a PostgreSQL URL, for the log (the URL may hold a password). */
export function describeDatabaseUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}`;
}
