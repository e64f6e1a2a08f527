import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import pino from 'pino';
import { mintCitizenIdentity } from '../../src/ca/hierarchy/index.js';
import { createServices, type PlatformServices } from '../../src/composition.js';
import { loadConfig } from '../../src/config/config.js';
import { FixedClock } from '../../src/domain/clock.js';
import { ServiceError, type ErrorCode } from '../../src/domain/errors.js';
import {
  certificateChain,
  generateCertificateContract,
  submitCertificateRequest,
  type Actor,
  type CertificateContract,
  type CertificateRequestOutcome,
  type CertRaDependencies,
} from '../../src/services/certra/index.js';
import type { AuthenticatedSigner } from '../../src/domain/authenticated-signer.js';
import type { ContactData } from '../../src/domain/certra.js';
import { parseEhealthDn } from '../../src/identifiers/index.js';
import { certificateRegistry } from '../../src/storage/certificate-registry.js';
import type { Database } from '../../src/storage/database.js';
import { CONTACT, csrFor, rsaKey, type Person } from './certra-client.js';
import type { Holder } from './etk-client.js';
import { eidSignatureSigner, signerFromCertificate } from './signers.js';
import { openTestDatabase, tableCounts, type TestDatabase } from './test-database.js';

/**
 * The services of the platform as `createServices` builds them (the composition root the server and the admin CLI
 * use), on the suite's database engine, a throwaway DATA_DIR (development CA hierarchy and test citizen CA) and a
 * clock the tests move. No front end, no SOAP, no HTTP.
 */
export interface TestServices {
  readonly services: PlatformServices;
  readonly clock: FixedClock;
  readonly database: TestDatabase;
  close(): Promise<void>;
}

export async function openTestServices(env: Record<string, string> = {}): Promise<TestServices> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ehealth-services-'));
  const database = await openTestDatabase({ migrate: false });
  // Whole seconds: contracts carry their issue time in seconds, so expiry edges fall where the tests put them.
  const wholeSecondNow = () => new Date(Math.floor(Date.now() / 1000) * 1000);
  const clock = new FixedClock(wholeSecondNow());
  const removeDataDir = () => rmSync(dataDir, { recursive: true, force: true });
  let services: PlatformServices;
  try {
    const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env });
    services = await createServices(config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), { database: database.db, clock });
    // Not before the development CA it has just created: what it issues then starts exactly at the clock.
    clock.set(wholeSecondNow());
  } catch (error) {
    await database.close();
    removeDataDir();
    throw error;
  }
  return {
    services,
    clock,
    database,
    async close() {
      await services.close();
      await database.close();
      removeDataDir();
    },
  };
}

/** A Belgian-eID-like identity from the services' test citizen CA, valid from the services' clock. */
export async function mintCitizen(t: TestServices, ssin: string, givenName: string, surname: string): Promise<Person> {
  const citizenCa = t.services.ca.citizenCa;
  if (!citizenCa) throw new Error('the test services have no test citizen CA');
  return { ssin, givenName, surname, identity: await mintCitizenIdentity({ ssin, givenName, surname }, citizenCa, { now: t.clock.now() }) };
}

/** The person as CertRA's Actor (SSIN, first name, surname): the Signer they claim to be, or the holder of their own certificate. */
export function actorOf(person: Person): Actor {
  return { ids: [{ type: 'SSIN', value: person.ssin }], firstNames: [person.givenName], name: person.surname };
}

/** generateContract: the sealed contract for a certificate of `holder` (the person themself by default) that `person` will sign. */
export function contractFor(deps: CertRaDependencies, person: Person, holder: Actor = actorOf(person), applicationId?: string): Promise<CertificateContract> {
  return generateCertificateContract(deps, { contactData: CONTACT, signer: actorOf(person), holder, applicationId });
}

/** generateCertificate signed with the person's eID Signature key: a CSR for the contract DN with `key`. */
export function submit(
  deps: CertRaDependencies,
  person: Person,
  contract: CertificateContract,
  key: KeyObject = rsaKey(),
  contactData: ContactData = CONTACT,
): Promise<CertificateRequestOutcome> {
  return submitAs(deps, eidSignatureSigner(person.identity), contract, key, contactData);
}

/** generateCertificate as `signer` authenticated it: a CSR for the contract DN with `key`. */
export function submitAs(
  deps: CertRaDependencies,
  signer: AuthenticatedSigner,
  contract: CertificateContract,
  key: KeyObject = rsaKey(),
  contactData: ContactData = CONTACT,
): Promise<CertificateRequestOutcome> {
  return submitCertificateRequest(deps, {
    signer,
    contactData,
    csrDer: csrFor(contract.dn, key),
    contract,
    baseServiceUsage: [],
    signedRequest: '<ns3:GenerateCertificateRequest/>',
  });
}

/** The connector's "new certificate" step on the services: generateContract, then generateCertificate. */
export async function requestCertificate(
  deps: CertRaDependencies,
  person: Person,
  holder: Actor = actorOf(person),
  options: { applicationId?: string; key?: KeyObject; contactData?: ContactData } = {},
): Promise<{ key: KeyObject; contract: CertificateContract; outcome: CertificateRequestOutcome }> {
  const contract = await contractFor(deps, person, holder, options.applicationId);
  const key = options.key ?? rsaKey();
  return { key, contract, outcome: await submit(deps, person, contract, key, options.contactData) };
}

/** The issued certificate (DER) of a request, read back with getCertificate's service function. */
export async function issuedCertificate(deps: CertRaDependencies, publicKeyIdentifier: string): Promise<Buffer> {
  const [leaf] = await certificateChain(deps, publicKeyIdentifier);
  return leaf!;
}

/** An eHealth certificate holder as EtkRA sees it: the Holder of etk-client.ts plus the signer its front end would authenticate. */
export interface ServiceHolder extends Holder {
  readonly signer: AuthenticatedSigner;
}

/**
 * An eHealth certificate issued through the CertRA services (generateContract, generateCertificate signed by `person`,
 * issued at once: the caller registers the test case or uses a policy that validates automatically), as an EtkRA holder.
 */
export async function issueHolder(
  t: TestServices,
  deps: CertRaDependencies,
  person: Person,
  holder: Actor = actorOf(person),
  options: { applicationId?: string } = {},
): Promise<ServiceHolder> {
  const { key, contract, outcome } = await requestCertificate(deps, person, holder, options);
  const certificate = await issuedCertificate(deps, outcome.publicKeyIdentifier);
  const [row] = await certificateRegistry.findBySubjectKeyId(t.database.db, outcome.publicKeyIdentifier);
  if (!row) throw new Error(`no registry row for ${outcome.publicKeyIdentifier}`);
  const issuingChain = t.services.ca.issuingChain;
  return {
    dn: parseEhealthDn(contract.dn)!,
    dnString: contract.dn,
    key,
    certificate,
    issued: {
      id: row.id,
      der: certificate,
      serialHex: row.serialHex,
      subjectKeyIdentifierHex: row.subjectKeyId,
      subjectDn: row.subjectDn,
      notBefore: row.notBefore,
      notAfter: row.notAfter,
    },
    chain: [certificate, ...t.services.issuer.chainWithoutRoot()],
    signer: signerFromCertificate('ehealth', certificate, issuingChain),
  };
}

/** The code of the ServiceError `action` is refused with (anything else fails the test). */
export async function refusalOf(action: () => Promise<unknown>): Promise<ErrorCode> {
  try {
    await action();
  } catch (error) {
    if (error instanceof ServiceError) return error.code;
    throw error;
  }
  throw new Error('expected a refusal, the call succeeded');
}

/**
 * "Nothing changed" for CertRA: row counts of every table plus the columns a decision, a revocation or a withdrawal
 * changes in place (see etk-state.ts for the ETK tables).
 */
export async function certRaState(db: Database): Promise<unknown> {
  return {
    counts: await tableCounts(db),
    requests: await db.query('SELECT id, status, issued_certificate_id, decided_at FROM certra_requests ORDER BY id'),
    certificates: await db.query('SELECT id, revoked_at FROM issued_certificates ORDER BY id'),
    mandates: await db.query('SELECT id, withdrawn_at FROM certra_mandates ORDER BY id'),
  };
}

/** Expects `action` to be refused with `code` and `state` (a snapshot of the database) to be the same after. */
export async function expectRefusedUnchanged(state: () => Promise<unknown>, code: ErrorCode, action: () => Promise<unknown>): Promise<void> {
  const before = await state();
  expect(await refusalOf(action)).toBe(code);
  expect(await state()).toEqual(before);
}

/**
 * Another services instance on the same database, DATA_DIR (so the same CA) and clock: the service restarted, or a
 * second process beside it. `database` stands for that process's own connection (a second pool on PostgreSQL).
 */
export async function openSiblingServices(
  t: TestServices,
  env: Record<string, string> = {},
  options: { database?: Database; logger?: pino.Logger } = {},
): Promise<PlatformServices> {
  const config = loadConfig({ DATA_DIR: t.services.config.dataDir, LOG_LEVEL: 'silent', ...env });
  return createServices(config, options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), {
    database: options.database ?? t.database.db,
    clock: t.clock,
  });
}
