import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicOCSPResponse, OCSPResponse } from '@peculiar/asn1-ocsp';
import { toPem } from '../../src/ca/x509/index.js';
import { getEtkEnvelope, type Holder, mintHolder, readGetEtkResponse, register, revokeHolder, testSsin } from '../support/etk-client.js';
import { startServerProcess, type ServerProcess } from '../support/etk-server-process.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { openStandby, requiredStandbyUrl, type Standby } from '../support/standby.js';

/**
 * Lookups from a real streaming standby (issue #17): server processes read GetEtk (SOAP and REST), OCSP and signer
 * statuses from the hot standby of TEST_DATABASE_READ_URL, everything else from the primary. The guarantee under test:
 * no revoked ETK or certificate status is served later than REPLICA_MAX_STALENESS_MS after the revocation commits; a
 * revocation a server was notified of is never answered from an older standby row; a standby lagging past the bound
 * is not read at all, and is read again once it catches up. Replay is paused with pg_wal_replay_pause() on the standby
 * to make it lag; every test resumes it.
 *
 * Two servers: "cached" with the ETKDepot/OCSP caches (the production default) and two worker processes, "uncached" (ETKDEPOT_CACHE=false), where
 * every lookup reads the database, so the bound itself shows. Both with the default bound of 1,000 ms.
 */

const standbyUrl = requiredStandbyUrl();
const run = promisify(execFile);
const BOUND_MS = 1_000;

interface Server {
  readonly name: string;
  readonly process: ServerProcess;
}

interface Observation {
  readonly sentAt: number;
  readonly revoked: boolean;
}

let t: TestPlatform;
let standby: Standby;
let files: string;
const servers: Server[] = [];
let cached: Server;
let uncached: Server;

beforeAll(async () => {
  standby = await openStandby(standbyUrl);
  await standby.resume();
  t = await startTestPlatform();
  files = mkdtempSync(join(tmpdir(), 'read-replica-'));
  writeFileSync(join(files, 'issuing.pem'), toPem(t.platform.services.ca.issuing.cert));
  // The servers' database must exist on the standby before they measure it.
  await standby.waitForReplay(t.database.db);
  const env = {
    DATABASE_URL: t.database.url!,
    DATABASE_READ_URL: standby.urlFor(t.database.url!),
    DATA_DIR: t.dataDir,
    ENVIRONMENT: t.config.environment,
  };
  // Two worker processes: each polls the standby and hears invalidations on its own.
  cached = { name: 'cached server (2 workers)', process: await startServerProcess({ ...env, WORKERS: '2' }) };
  servers.push(cached);
  uncached = { name: 'uncached server', process: await startServerProcess({ ...env, ETKDEPOT_CACHE: 'false' }) };
  servers.push(uncached);
}, 180_000);

afterEach(async () => {
  await standby.resume();
});

afterAll(async () => {
  for (const server of servers) await server.process.stop();
  // Before the test database is dropped: the standby ends connections to a database whose drop it replays.
  await standby?.close();
  await t?.close();
  if (files) rmSync(files, { recursive: true, force: true });
});

// ---- what a server answers -----------------------------------------------------------------------------------------

async function soapGetEtkRevoked(server: Server, ssin: string): Promise<boolean> {
  const response = await fetch(`${server.process.baseUrl}/EtkDepot/v1`, {
    method: 'POST',
    body: getEtkEnvelope([{ type: 'SSIN', value: ssin }]),
    headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' },
  });
  const result = readGetEtkResponse(response.status, await response.text());
  if (result.code !== '200' && result.code !== '404') throw new Error(`${server.name}: GetEtk answered ${result.code} ${result.message}`);
  return result.code === '404';
}

async function restGetEtkRevoked(server: Server, ssin: string): Promise<boolean> {
  const response = await fetch(`${server.process.baseUrl}/etkdepot/v1/etks?type=SSIN&value=${ssin}`);
  await response.arrayBuffer();
  if (response.status !== 200 && response.status !== 404) throw new Error(`${server.name}: REST lookup answered ${response.status}`);
  return response.status === 404;
}

async function ocspRequestFor(holder: Holder): Promise<Buffer> {
  const name = holder.issued.serialHex;
  writeFileSync(join(files, `${name}.pem`), toPem(holder.certificate));
  await run('openssl', [
    'ocsp',
    '-issuer',
    join(files, 'issuing.pem'),
    '-cert',
    join(files, `${name}.pem`),
    '-no_nonce',
    '-reqout',
    join(files, `${name}.req`),
  ]);
  return readFileSync(join(files, `${name}.req`));
}

async function ocspStatus(server: Server, request: Buffer): Promise<'good' | 'revoked' | 'unknown'> {
  const response = await fetch(`${server.process.baseUrl}/ocsp`, { method: 'POST', body: request, headers: { 'content-type': 'application/ocsp-request' } });
  const parsed = AsnConvert.parse(Buffer.from(await response.arrayBuffer()), OCSPResponse);
  if (parsed.responseStatus !== 0) throw new Error(`${server.name}: OCSP response status ${parsed.responseStatus}`);
  const single = AsnConvert.parse(parsed.responseBytes!.response.buffer, BasicOCSPResponse).tbsResponseData.responses[0]!.certStatus;
  return single.revoked ? 'revoked' : single.unknown === null ? 'unknown' : 'good';
}

async function ocspRevoked(server: Server, request: Buffer): Promise<boolean> {
  const status = await ocspStatus(server, request);
  if (status === 'unknown') throw new Error(`${server.name}: OCSP answered unknown for a recorded certificate`);
  return status === 'revoked';
}

/** The replica metrics of a server: queries the standby answered, fallbacks by reason, measured lag. */
async function replicaMetrics(server: Server): Promise<{ replicaQueries: number; fallbacks: Record<string, number>; lagSeconds: number }> {
  const text = await (await fetch(`${server.process.baseUrl}/metrics`)).text();
  const value = (pattern: RegExp) => {
    const match = pattern.exec(text);
    return match ? Number(match[1] === '+Inf' ? Number.POSITIVE_INFINITY : match[1]) : 0;
  };
  const fallbacks: Record<string, number> = {};
  for (const match of text.matchAll(/^ehealth_replica_fallbacks_total\{reason="([^"]+)"\} (\S+)$/gm)) fallbacks[match[1]!] = Number(match[2]);
  if (!/^ehealth_replica_lag_seconds /m.test(text)) throw new Error(`${server.name}: no ehealth_replica_lag_seconds in /metrics`);
  return {
    replicaQueries: value(/^ehealth_replica_queries_total (\S+)$/m),
    fallbacks,
    lagSeconds: value(/^ehealth_replica_lag_seconds (\S+)$/m),
  };
}

/**
 * Asks `probe` every few milliseconds until it answers revoked (or `deadlineMs` after `since`); records when each
 * question was sent and what came back.
 */
async function observeUntilRevoked(probe: () => Promise<boolean>, since: number, deadlineMs: number): Promise<Observation[]> {
  const observations: Observation[] = [];
  for (;;) {
    const sentAt = Date.now();
    const revoked = await probe();
    observations.push({ sentAt, revoked });
    if (revoked) return observations;
    if (sentAt - since > deadlineMs) throw new Error(`still not revoked ${sentAt - since} ms after the commit: ${JSON.stringify(observations.slice(-3))}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** When the first "revoked" was asked for, after `since`. */
const revokedAfter = (observations: readonly Observation[], since: number) => observations.find((o) => o.revoked)!.sentAt - since;

/** Registers an ETK for a new holder and waits until the standby holds it. */
async function publishedHolder(n: number, name: string): Promise<{ holder: Holder; ssin: string; ocspRequest: Buffer }> {
  const ssin = testSsin(n);
  const holder = await mintHolder(t, { type: 'SSIN', id: ssin, name });
  await register(t, holder);
  await standby.waitForReplay(t.database.db);
  return { holder, ssin, ocspRequest: await ocspRequestFor(holder) };
}

/** Revokes the holder's certificate and ETKs behind every cache's back: no NOTIFY, so only the staleness bound applies. */
async function revokeWithoutNotification(holder: Holder): Promise<number> {
  await t.database.db.transaction(async (tx) => {
    await tx.query(`UPDATE issued_certificates SET revoked_at = now(), revocation_reason = 'keyCompromise' WHERE id = $1`, [holder.issued.id]);
    await tx.query(`UPDATE etks SET status = 'REVOKED', ended_at = now() WHERE issued_certificate_id = $1`, [holder.issued.id]);
  });
  return Date.now();
}

describe('lookups from a streaming standby (DATABASE_READ_URL, REPLICA_MAX_STALENESS_MS = 1,000 ms)', () => {
  it('reads lookups from the standby, and a revocation committed on the primary is served by every server within the bound', async () => {
    const { holder, ssin, ocspRequest } = await publishedHolder(801, 'Replica Reader');
    const before = await Promise.all(servers.map(replicaMetrics));
    for (const server of servers) {
      expect(await soapGetEtkRevoked(server, ssin)).toBe(false);
      expect(await restGetEtkRevoked(server, ssin)).toBe(false);
      expect(await ocspRevoked(server, ocspRequest)).toBe(false);
    }
    // The lookups above were answered by the standby, not the primary (the uncached server reads on every lookup).
    const after = await Promise.all(servers.map(replicaMetrics));
    expect(after[1]!.replicaQueries - before[1]!.replicaQueries).toBeGreaterThanOrEqual(3);
    expect(after[1]!.fallbacks.lag ?? 0).toBe(before[1]!.fallbacks.lag ?? 0);
    for (const metrics of after) expect(metrics.lagSeconds).toBeLessThan(BOUND_MS / 1000);

    await revokeHolder(t, holder);
    const committedAt = Date.now();
    for (const server of servers) {
      for (const [what, probe] of [
        ['SOAP GetEtk', () => soapGetEtkRevoked(server, ssin)],
        ['REST lookup', () => restGetEtkRevoked(server, ssin)],
        ['OCSP', () => ocspRevoked(server, ocspRequest)],
      ] as const) {
        const observations = await observeUntilRevoked(probe, committedAt, BOUND_MS + 2_000);
        expect({ server: server.name, what, withinBound: revokedAfter(observations, committedAt) <= BOUND_MS }).toEqual({
          server: server.name,
          what,
          withinBound: true,
        });
      }
    }
  }, 60_000);

  it('replay paused: a notified revocation is answered from the primary at once, never from the older standby row or a cache refilled from it', async () => {
    const { holder, ssin, ocspRequest } = await publishedHolder(802, 'Paused Replay');
    // Warm the caches of the cached server (the pre-signed OCSP "good", the ETK) from the standby.
    for (const server of servers) {
      expect(await soapGetEtkRevoked(server, ssin)).toBe(false);
      expect(await ocspRevoked(server, ocspRequest)).toBe(false);
    }
    const before = await Promise.all(servers.map(replicaMetrics));

    await standby.pause();
    await revokeHolder(t, holder);
    const committedAt = Date.now();
    // The standby still holds the ETK as published and the certificate as good: a lookup there would serve them.
    expect(await standby.queryIn(t.database.url!, 'SELECT status FROM etks WHERE issued_certificate_id = $1', [holder.issued.id])).toEqual([
      { status: 'ACTIVE' },
    ]);
    expect(await standby.queryIn(t.database.url!, 'SELECT revoked_at FROM issued_certificates WHERE id = $1', [holder.issued.id])).toEqual([
      { revoked_at: null },
    ]);

    // Its measured staleness is still within the bound for a good while (replay paused just now): only the
    // invalidation keeps lookups off it. Every server answers revoked well before the bound could have.
    const deadlineMs = 400;
    for (const server of servers) {
      for (const [what, probe] of [
        ['SOAP GetEtk', () => soapGetEtkRevoked(server, ssin)],
        ['REST lookup', () => restGetEtkRevoked(server, ssin)],
        ['OCSP', () => ocspRevoked(server, ocspRequest)],
      ] as const) {
        const observations = await observeUntilRevoked(probe, committedAt, deadlineMs);
        expect({ server: server.name, what, withinDeadline: revokedAfter(observations, committedAt) <= deadlineMs }).toEqual({
          server: server.name,
          what,
          withinDeadline: true,
        });
      }
    }
    // The invalidation is what sent them to the primary.
    const after = await Promise.all(servers.map(replicaMetrics));
    servers.forEach((server, index) => {
      expect({
        server: server.name,
        invalidationFallbacks: (after[index]!.fallbacks.invalidation ?? 0) > (before[index]!.fallbacks.invalidation ?? 0),
      }).toEqual({
        server: server.name,
        invalidationFallbacks: true,
      });
    });
    // As long as replay stays paused (past the bound, too), no server ever serves the old row again: the cached
    // server's entries were refilled from the primary, not from the standby.
    const until = committedAt + BOUND_MS + 500;
    while (Date.now() < until) {
      for (const server of servers) {
        expect(await soapGetEtkRevoked(server, ssin)).toBe(true);
        expect(await restGetEtkRevoked(server, ssin)).toBe(true);
        expect(await ocspRevoked(server, ocspRequest)).toBe(true);
      }
    }
    expect(await standby.queryIn(t.database.url!, 'SELECT status FROM etks WHERE issued_certificate_id = $1', [holder.issued.id])).toEqual([
      { status: 'ACTIVE' },
    ]);
  }, 60_000);

  it('lag injection: a standby that stops replaying is read until the bound and not after; once it catches up it is read again', async () => {
    const { holder, ssin, ocspRequest } = await publishedHolder(803, 'Lagging Standby');
    expect(await soapGetEtkRevoked(uncached, ssin)).toBe(false);
    expect(await ocspRevoked(uncached, ocspRequest)).toBe(false);
    const before = await replicaMetrics(uncached);

    await standby.pause();
    // A revocation no cache hears of: only the measured staleness keeps the uncached server from serving it late.
    const committedAt = await revokeWithoutNotification(holder);
    const etkObservations = await observeUntilRevoked(() => soapGetEtkRevoked(uncached, ssin), committedAt, BOUND_MS + 2_000);
    const ocspObservations = await observeUntilRevoked(() => ocspRevoked(uncached, ocspRequest), committedAt, BOUND_MS + 2_000);
    // The standby really was read after the commit (it answered the old state)...
    expect(etkObservations.some((o) => !o.revoked)).toBe(true);
    // ...but never for a question asked later than the bound after the commit.
    for (const observation of [...etkObservations, ...ocspObservations]) {
      if (!observation.revoked) expect(observation.sentAt - committedAt).toBeLessThan(BOUND_MS);
    }
    // Past the bound, with replay still paused, lookups go to the primary, and the metrics say why.
    const lagging = await replicaMetrics(uncached);
    expect(lagging.lagSeconds).toBeGreaterThan(BOUND_MS / 1000);
    expect(lagging.fallbacks.lag ?? 0).toBeGreaterThan(before.fallbacks.lag ?? 0);
    const stillPaused = await replicaMetrics(uncached);
    expect(await soapGetEtkRevoked(uncached, ssin)).toBe(true);
    expect((await replicaMetrics(uncached)).replicaQueries).toBe(stillPaused.replicaQueries);

    await standby.resume();
    await standby.waitForReplay(t.database.db);
    // Lookups return to the standby once a poll has seen it catch up (a poll every fifth of the bound).
    const deadline = Date.now() + BOUND_MS + 2_000;
    for (;;) {
      const start = await replicaMetrics(uncached);
      expect(await soapGetEtkRevoked(uncached, ssin)).toBe(true);
      const end = await replicaMetrics(uncached);
      if (end.replicaQueries > start.replicaQueries && (end.fallbacks.lag ?? 0) === (start.fallbacks.lag ?? 0)) {
        expect(end.lagSeconds).toBeLessThan(BOUND_MS / 1000);
        break;
      }
      if (Date.now() > deadline) throw new Error(`lookups did not return to the standby: ${JSON.stringify(end)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, 60_000);

  it('a certificate issued a moment ago that the paused standby does not know yet is good, not unknown', async () => {
    await standby.pause();
    const ssin = testSsin(804);
    const holder = await mintHolder(t, { type: 'SSIN', id: ssin, name: 'Fresh Certificate' });
    const request = await ocspRequestFor(holder);
    expect(await standby.queryIn(t.database.url!, 'SELECT count(*)::int AS n FROM issued_certificates WHERE id = $1', [holder.issued.id])).toEqual([{ n: 0 }]);
    for (const server of servers) expect(await ocspStatus(server, request)).toBe('good');
  }, 60_000);
});
