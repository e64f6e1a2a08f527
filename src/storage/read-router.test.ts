import { freePort } from '../../test/support/issued-certificates.js';
import { openTestDatabase, testEngine, type TestDatabase } from '../../test/support/test-database.js';
import { type Database, openPglite, openPostgres } from './database.js';
import { describeDatabaseUrl, type FallbackReason, parseLsn, ReadRouter } from './read-router.js';

/**
 * What the router does when DATABASE_READ_URL names something that cannot serve lookups: every lookup is answered by
 * the primary, counted and logged once. (Reading from a real standby, the staleness bound and invalidations: the replica
 * suite, test/replica/, against a streaming standby.)
 */

describe('pg_lsn and URL helpers', () => {
  it('reads pg_lsn text as a byte position', () => {
    expect(parseLsn('0/3A000060')).toBe(0x3a000060n);
    expect(parseLsn('1/0')).toBe(1n << 32n);
    expect(parseLsn('FFFFFFFF/FFFFFFFF')).toBe((1n << 64n) - 1n);
    expect(() => parseLsn('0/')).toThrow(/not a pg_lsn/);
  });

  it('describes a database URL by host and port only', () => {
    const described = describeDatabaseUrl('postgres://reader:s3cret-pw@standby.example:6432/ehealth?sslmode=require');
    expect(described).toBe('standby.example:6432');
    expect(describeDatabaseUrl('postgresql://standby.example/ehealth')).toBe('standby.example:5432');
  });
});

describe(`ReadRouter without a usable standby (${testEngine})`, () => {
  let primary: TestDatabase;
  beforeAll(async () => {
    primary = await openTestDatabase();
    await primary.db.exec(`CREATE TABLE lookup_probe (answer text); INSERT INTO lookup_probe VALUES ('from the primary')`);
  });
  afterAll(async () => {
    await primary.close();
  });

  function observed() {
    const fallbacks: FallbackReason[] = [];
    const states: Array<{ unusable: string | undefined; detail: string }> = [];
    let replicaQueries = 0;
    return {
      fallbacks,
      states,
      replicaQueries: () => replicaQueries,
      observer: {
        servedByReplica: () => {
          replicaQueries++;
        },
        fellBack: (reason: FallbackReason) => fallbacks.push(reason),
        replicaStateChanged: (unusable: string | undefined, detail: string) => states.push({ unusable, detail }),
      },
    };
  }

  it('a server that is not in recovery (a primary, or a promoted standby) is never read', async () => {
    // Another database that answers but is no standby: lookups must not trust it.
    const notAStandby: Database = primary.url ? openPostgres(primary.url, { max: 1 }) : await openPglite(undefined);
    if (!primary.url) await notAStandby.exec(`CREATE TABLE lookup_probe (answer text); INSERT INTO lookup_probe VALUES ('from the impostor')`);
    const seen = observed();
    const router = new ReadRouter({ primary: primary.db, replica: notAStandby, maxStalenessMs: 1_000, observer: seen.observer });
    await router.start();
    try {
      expect(router.fallbackReason()).toBe('replica-error');
      expect(router.replicaHealthy).toBe(false);
      expect(await router.query('SELECT answer FROM lookup_probe')).toEqual([{ answer: 'from the primary' }]);
      expect(seen.fallbacks).toEqual(['replica-error']);
      expect(seen.replicaQueries()).toBe(0);
      expect(seen.states).toEqual([{ unusable: 'replica-error', detail: 'not a standby in recovery' }]);
    } finally {
      await router.close();
    }
  });

  it('an unreachable standby: lookups are answered by the primary, and the lag is reported as unknown', async () => {
    const port = await freePort();
    const unreachable = openPostgres(`postgres://reader:s3cret-pw@127.0.0.1:${port}/nothing`, { connectionTimeoutMillis: 500 });
    const seen = observed();
    const router = new ReadRouter({ primary: primary.db, replica: unreachable, maxStalenessMs: 1_000, observer: seen.observer });
    await router.start();
    try {
      expect(await router.query('SELECT answer FROM lookup_probe')).toEqual([{ answer: 'from the primary' }]);
      expect(seen.fallbacks).toEqual(['replica-error']);
      expect(router.lagMs()).toBe(Number.POSITIVE_INFINITY);
      expect(seen.states).toHaveLength(1);
      expect(seen.states[0]!.unusable).toBe('replica-error');
      expect(seen.states[0]!.detail).toMatch(/^poll failed: /);
      expect(seen.states[0]!.detail).not.toContain('s3cret');
    } finally {
      await router.close();
    }
  });
});
