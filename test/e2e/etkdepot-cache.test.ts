import pino from 'pino';
import { loadConfig } from '../../src/config/config.js';
import { createPlatform, type Platform } from '../../src/composition.js';
import { STATUS_SUCCESS_V2 } from '../../src/soap/namespaces.js';
import { etkRepository } from '../../src/storage/etk-repository.js';
import { textEl } from '../../src/xml/builder.js';
import {
  decryptChallenge,
  etkRaEnvelope,
  freshKey,
  getEtkEnvelope,
  mintHolder,
  readGetEtkResponse,
  register,
  testSsin,
  toBeRegistered,
  type GetEtkResult,
  type IdentifierInput,
} from '../support/etk-client.js';
import { startServerProcess, type ServerProcess } from '../support/etk-server-process.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { testEngine } from '../support/test-database.js';
import { spkiOf } from '../../src/ca/issuance/testing.js';
import { callEtkRaAt, etkRaTextOf } from '../support/etk-remote.js';

/**
 * The in-process ETK caches stay coherent across processes: a revocation, an activation or a new publication
 * committed anywhere is seen by every server at once (PostgreSQL LISTEN/NOTIFY). On real PostgreSQL
 * (TEST_DATABASE_URL) two server processes run on one database; on PGlite, which cannot be shared between processes,
 * two complete platforms run in this process on one PGlite database, each with its own cache and its own LISTEN.
 */

/** A GetEtk endpoint of one server (a child process, or a platform of this process). */
interface Depot {
  readonly name: string;
  getEtk(identifiers: readonly IdentifierInput[]): Promise<GetEtkResult>;
  etkRa(envelope: string): Promise<string>;
}

const NOTIFICATION_DEADLINE_MS = 2_000;

let t: TestPlatform;
const depots: Depot[] = [];
const stops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  t = await startTestPlatform();
  if (testEngine === 'postgres') {
    for (const name of ['server A', 'server B']) {
      const server: ServerProcess = await startServerProcess({ DATABASE_URL: t.database.url!, DATA_DIR: t.dataDir, ENVIRONMENT: t.config.environment });
      stops.push(() => server.stop());
      depots.push(httpDepot(name, server.baseUrl));
    }
  } else {
    for (const name of ['platform A', 'platform B']) {
      const config = loadConfig({ DATA_DIR: t.dataDir, LOG_LEVEL: 'silent', PORT: '0', ADMIN_PORT: 'off' });
      const platform: Platform = await createPlatform(config, pino({ level: 'silent' }), { database: t.database.db, clock: t.clock });
      stops.push(() => platform.close());
      expect(platform.services.etkDirectory.caching).toBe(true);
      depots.push(injectDepot(name, platform));
    }
  }
}, 120_000);

afterAll(async () => {
  for (const stop of stops) await stop();
  await t.close();
});

function httpDepot(name: string, baseUrl: string): Depot {
  const post = async (path: string, envelope: string) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      body: envelope,
      headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' },
    });
    return { status: response.status, body: await response.text() };
  };
  return {
    name,
    async getEtk(identifiers) {
      const { status, body } = await post('/EtkDepot/v1', getEtkEnvelope(identifiers));
      return readGetEtkResponse(status, body);
    },
    async etkRa(envelope) {
      return (await post('/EtkRa/v2', envelope)).body;
    },
  };
}

function injectDepot(name: string, platform: Platform): Depot {
  const post = async (url: string, payload: string) =>
    platform.app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' } });
  return {
    name,
    async getEtk(identifiers) {
      const response = await post('/EtkDepot/v1', getEtkEnvelope(identifiers));
      return readGetEtkResponse(response.statusCode, response.body);
    },
    async etkRa(envelope) {
      return (await post('/EtkRa/v2', envelope)).body;
    },
  };
}

/** Polls every depot until `accept` holds; returns how long each took. Fails after the deadline. */
async function eachSees(identifiers: readonly IdentifierInput[], accept: (result: GetEtkResult) => boolean): Promise<number[]> {
  const started = Date.now();
  const latencies: number[] = [];
  for (const depot of depots) {
    for (;;) {
      const result = await depot.getEtk(identifiers);
      if (accept(result)) break;
      if (Date.now() - started > NOTIFICATION_DEADLINE_MS) throw new Error(`${depot.name} still answers ${result.code} after ${NOTIFICATION_DEADLINE_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    latencies.push(Date.now() - started);
  }
  return latencies;
}

describe(
  testEngine === 'postgres'
    ? 'ETK cache coherence: two server processes on one PostgreSQL database'
    : 'ETK cache coherence: two platforms (own caches, own LISTEN) on one PGlite database; set TEST_DATABASE_URL for two processes',
  () => {
    it('serves from memory: a change made without notification is not seen (the cache is real)', async () => {
      const ssin = testSsin(701);
      const holder = await mintHolder(t, { type: 'SSIN', id: ssin, name: 'Cached Holder' });
      const registration = await register(t, holder);
      for (const depot of depots) expect((await depot.getEtk([{ type: 'SSIN', value: ssin }])).etk).toEqual(registration.etk);
      // White-box: hide the row behind the caches' back (no NOTIFY). Every server still answers from memory...
      await t.database.db.query(`UPDATE etks SET status = 'SUPERSEDED' WHERE issued_certificate_id = $1`, [holder.issued.id]);
      for (const depot of depots) expect((await depot.getEtk([{ type: 'SSIN', value: ssin }])).code).toBe('200');
      // ...until a directory notification arrives, which every process receives.
      await t.database.db.transaction((tx) => etkRepository.notifyDirectoryChanged(tx, 'SSIN', ssin));
      await eachSees([{ type: 'SSIN', value: ssin }], (result) => result.code === '404');
    });

    it('a revocation committed by another process is seen by every server at once', async () => {
      const ssin = testSsin(702);
      const holder = await mintHolder(t, { type: 'SSIN', id: ssin, name: 'Revoked Holder' });
      await register(t, holder);
      for (const depot of depots) expect((await depot.getEtk([{ type: 'SSIN', value: ssin }])).code).toBe('200');
      // What CertRA revoke does in its own transaction, here from this (third) process.
      await t.database.db.transaction((tx) => etkRepository.revokeForCertificate(tx, holder.issued.id, t.clock.now()));
      const latencies = await eachSees([{ type: 'SSIN', value: ssin }], (result) => result.code === '404');
      expect(Math.max(...latencies)).toBeLessThan(NOTIFICATION_DEADLINE_MS);
    });

    it('an activation on server A replaces the ETK on server B too', async () => {
      const ssin = testSsin(703);
      const old = await mintHolder(t, { type: 'SSIN', id: ssin, name: 'Renewed Holder' });
      const first = await register(t, old);
      const renewed = await mintHolder(t, old.dn);
      const second = await register(t, renewed);
      expect(second.toBeActivated).toBe(true);
      for (const depot of depots) expect((await depot.getEtk([{ type: 'SSIN', value: ssin }])).etk).toEqual(first.etk);
      const activation = await callEtkRaAt(depots[0]!, etkRaEnvelope('ActivateETKRequest', renewed, [], { issueInstant: new Date() }));
      expect(activation.statusCode).toBe(STATUS_SUCCESS_V2);
      await eachSees([{ type: 'SSIN', value: ssin }], (result) => result.etk?.equals(second.etk) ?? false);
    });

    it('a first ETK registered on server B replaces the cached "not found" on server A', async () => {
      const ssin = testSsin(704);
      const holder = await mintHolder(t, { type: 'SSIN', id: ssin, name: 'New Holder' });
      for (const depot of depots) expect((await depot.getEtk([{ type: 'SSIN', value: ssin }])).code).toBe('404');
      const encryptionKey = freshKey();
      const start = await callEtkRaAt(
        depots[1]!,
        etkRaEnvelope('StartETKRegistrationRequest', holder, [textEl('erp:PublicEncryptionKey', spkiOf(encryptionKey).toString('base64'))], {
          issueInstant: new Date(),
        }),
      );
      const serial = decryptChallenge(Buffer.from(etkRaTextOf(start, 'Challenge')!, 'base64'), encryptionKey);
      const complete = await callEtkRaAt(
        depots[1]!,
        etkRaEnvelope(
          'CompleteETKRegistrationRequest',
          holder,
          [textEl('erp:ToBeRegistered', (await toBeRegistered(holder, encryptionKey, serial)).toString('base64'))],
          { issueInstant: new Date() },
        ),
      );
      expect(complete.statusCode).toBe(STATUS_SUCCESS_V2);
      const etk = Buffer.from(etkRaTextOf(complete, 'ETK')!, 'base64');
      await eachSees([{ type: 'SSIN', value: ssin }], (result) => result.etk?.equals(etk) ?? false);
    });
  },
);

describe('ETK cache: a load that races with a change is not kept', () => {
  it('drops the result of a lookup that was in flight when a notification arrived', async () => {
    const directory = t.platform.services.etkDirectory;
    expect(directory.caching).toBe(true);
    const ssin = testSsin(705);
    const holder = await mintHolder(t, { type: 'SSIN', id: ssin, name: 'Racing Holder' });
    await register(t, holder);
    // Let the registration's own notification arrive first: a late one would clear the cache and hide a bug.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const query = [{ type: 'SSIN', value: ssin }];
    // The load reads the ETK as published; a notification (simulated) arrives before it completes.
    const inFlight = directory.lookup(query);
    expect(inFlight).toBeInstanceOf(Promise); // not cached yet: loaded from the database
    directory.invalidate();
    expect((await inFlight).kind).toBe('found');
    // White-box: the ETK disappears without notification. Had the raced load been cached, it would still be found.
    await t.database.db.query(`UPDATE etks SET status = 'SUPERSEDED' WHERE issued_certificate_id = $1`, [holder.issued.id]);
    expect((await directory.lookup(query)).kind).toBe('not-found');
    // Now cached: answered synchronously, the same answer.
    expect(directory.lookup(query)).toEqual({ kind: 'not-found' });
  });
});
