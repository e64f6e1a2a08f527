import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { openTestDatabase, testEngine, type TestDatabase } from '../../test/support/test-database.js';
import type { CaMaterial } from '../ca/hierarchy/index.js';
import { createServices } from '../composition.js';
import { loadConfig } from '../config/config.js';
import { CaIdentityMismatchError, claimCaIdentity } from './ca-identity.js';

/** One CA per database: a second development CA (another DATA_DIR, no CA_CONFIG_FILE) is refused with a clear message. */
describe(`CA identity of a database on ${testEngine}`, () => {
  let directory: string;
  let t: TestDatabase;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'ca-identity-'));
    t = await openTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await t?.close();
    await rm(directory, { recursive: true, force: true });
  });

  const start = (dataDir: string) =>
    createServices(loadConfig({ DATA_DIR: join(directory, dataDir), LOG_LEVEL: 'silent' }), pino({ level: 'silent' }), { database: t.db });

  it('refuses a replica that generated its own development CA, and accepts one sharing the first one', async () => {
    await (await start('replica-a')).close();
    const refusal = start('replica-b');
    await expect(refusal).rejects.toThrow(CaIdentityMismatchError);
    await expect(start('replica-b')).rejects.toThrow(
      /this database belongs to another CA hierarchy .* Replicas must share one CA: give them the same DATA_DIR volume, or configure CA_CONFIG_FILE/,
    );
    await (await start('replica-a')).close();
  }, 120_000);

  it('lets a configured hierarchy replace another configured one (a change of root), with a warning', async () => {
    const fresh = await openTestDatabase();
    try {
      const material = (fingerprint: string, development: boolean) =>
        ({ development, root: { fields: { fingerprintSha256: fingerprint } } }) as unknown as Pick<CaMaterial, 'root' | 'development'>;
      const warnings: string[] = [];
      const logger = { warn: (message: string) => warnings.push(message) };
      await claimCaIdentity(fresh.db, material('a'.repeat(64), false), logger);
      await claimCaIdentity(fresh.db, material('b'.repeat(64), false), logger);
      expect(warnings).toEqual([
        `the configured root CA changed (was SHA-256 ${'a'.repeat(64)}, now ${'b'.repeat(64)}): the database now belongs to the new hierarchy`,
      ]);
      await expect(claimCaIdentity(fresh.db, material('c'.repeat(64), true), logger)).rejects.toThrow(CaIdentityMismatchError);
      await claimCaIdentity(fresh.db, material('b'.repeat(64), false), logger);
      expect(warnings).toHaveLength(1);
    } finally {
      await fresh.close();
    }
  });
});
