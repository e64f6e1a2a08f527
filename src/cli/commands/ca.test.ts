import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { openTestDatabase, testEngine, type TestDatabase } from '../../../test/support/test-database.js';
import { SAMPLE_PERSON_SUBJECT, sharedTestKey } from '../../ca/issuance/testing.js';
import { ehealthNaturalPerson } from '../../ca/profiles/builtin.js';
import { buildCsr } from '../../ca/x509/index.js';
import { loadConfig } from '../../config/config.js';
import { createServices, type PlatformServices } from '../../composition.js';
import { normaliseSerialHex } from '../../storage/certificate-registry.js';
import type { AdminContext } from '../admin-context.js';
import { runAdminCommand } from '../command.js';
import { CA_COMMANDS, listOrphanIntentsCommand } from './ca.js';

const PERSON_DN = 'CN=SSIN\\=85073003328,OU=eHealth-platform Belgium,OU=JAN TEST,OU=SSIN\\=85073003328,O=Federal Government,C=BE';

describe(`admin command ca:intents:orphans on ${testEngine}`, () => {
  let directory: string;
  let services: PlatformServices;
  let t: TestDatabase;
  let context: AdminContext;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'ca-cli-'));
    t = await openTestDatabase();
    const config = loadConfig({ DATA_DIR: join(directory, 'data'), LOG_LEVEL: 'silent' });
    services = await createServices(config, pino({ level: 'silent' }), { database: t.db });
    const { logger, clock, db, ca } = services;
    context = { config, logger, clock, db, ca, services, operator: 'officer.test', close: async () => undefined };
  });
  afterAll(async () => {
    await services?.close();
    await t?.close();
    await rm(directory, { recursive: true, force: true });
  });

  const run = async (args: string[]) => {
    const lines: string[] = [];
    await runAdminCommand(listOrphanIntentsCommand, context, args, (line) => lines.push(line));
    return lines;
  };

  it('is exported for the command index', () => {
    expect(CA_COMMANDS.map((c) => c.name)).toEqual(['ca:intents:orphans']);
  });

  it('lists the key uses whose certificate was never recorded, as text and as JSON', async () => {
    expect(await run([])).toEqual(['0 orphan intent(s)']);
    const { issuer } = services;
    let serial = '';
    await t.db
      .transaction(async (tx) => {
        const issued = await issuer.issueFromCsr(
          tx,
          {
            csrDer: buildCsr(SAMPLE_PERSON_SUBJECT, sharedTestKey('RSA-2048', 320)),
            expectedSubjectDn: PERSON_DN,
            profile: ehealthNaturalPerson,
            environment: 'acceptance',
            now: new Date(),
          },
          'test',
        );
        serial = normaliseSerialHex(issued.serialHex);
        throw new Error('the caller rolls back after the signature');
      })
      .catch(() => undefined);
    await issuer.settled();

    const text = await run([]);
    expect(text).toHaveLength(2);
    expect(text[0]).toMatch(
      new RegExp(`^#\\d+ signed serial=${serial} issuer=${issuer.issuerKeyId} tbs-sha256=[0-9a-f]{64} intent \\S+ signed \\S+ profile=ehealth-natural-person`),
    );
    expect(text[1]).toBe('1 orphan intent(s)');

    const [json] = await run(['--json']);
    const rows = JSON.parse(json!) as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ state: 'signed', serialHex: serial, issuerKeyId: issuer.issuerKeyId, profile: 'ehealth-natural-person' });
    expect(rows[0]!.tbsSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(rows[0]!).sort()).toEqual(
      ['id', 'state', 'issuerKeyId', 'serialHex', 'tbsSha256', 'subjectKeyId', 'subjectDn', 'profile', 'notBefore', 'notAfter', 'intentAt', 'signedAt'].sort(),
    );
  });
});
