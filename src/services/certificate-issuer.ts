import {
  issue,
  prepareFromCsr,
  prepareFromTemplate,
  isCaError,
  type PrepareFromCsrInput,
  type PrepareFromTemplateInput,
  type PreparedCertificate,
} from '../ca/issuance/index.js';
import type { CaMaterial } from '../ca/hierarchy/index.js';
import { ServiceError } from '../domain/errors.js';
import { formatKeyId, normaliseKeyId } from '../domain/key-id.js';
import type { Database, Queryable } from '../storage/database.js';
import {
  auditLog,
  certificateRegistry,
  DuplicateSerialError,
  type IssuanceIntent,
  type UnrecordedIntentRow,
  normaliseSerialHex,
} from '../storage/certificate-registry.js';

export interface IssuedRecord {
  /** issued_certificates.id */
  id: bigint;
  der: Buffer;
  serialHex: string;
  subjectKeyIdentifierHex: string;
  subjectDn: string;
  notBefore: Date;
  notAfter: Date;
}

/** The CAs whose keys issue through this service (the root only for its own OCSP responder, when its key is online). */
export type SigningCa = 'issuing' | 'root';

export interface CertificateIssuerOptions {
  /** The OCSP responder URL written into the AIA of every certificate issued from now on; none when OCSP is off. */
  readonly ocspUrl?: string;
  /** Told when a journal write that had to wait for the caller's transaction to end fails (PGlite only). */
  readonly onJournalError?: (error: unknown) => void;
}

const SERIAL_ATTEMPTS = 3;

/** Where the key-use journal is written for one issuance: one statement per record, each atomic on its own. */
interface Journal {
  /** True when what `q` writes survives the caller's transaction. */
  readonly independent: boolean;
  readonly q: Queryable;
}

/** The journal row of an issuance, kept up to date so that it can be written back after a rollback. */
type JournalRecord = Omit<UnrecordedIntentRow, 'intentAt'> & { intentAt: Date; failure?: unknown };

/**
 * Issues through the CA the Boulder way: prepare (checks + lints) → journal the intent (serial, SHA-256 of the TBS
 * to be signed; the database refuses duplicate serials) and COMMIT it → sign once → journal the outcome → record the
 * certificate in the caller's transaction, with audit lines around it.
 *
 * The journal is committed in transactions of its own, never the caller's: whatever the caller does after the
 * signature (its own statements fail, it rolls back, the process dies), the use of the CA key stays on record. A
 * journalled intent whose certificate is never recorded is an orphan, listed by `listOrphanIntents`. Each journal
 * record (the row change and its audit line) is one statement; on PostgreSQL they run on `Database.autonomous`
 * (connections of their own). PGlite has a single session: called
 * inside a caller's transaction there, the journal is written in that transaction and written back as soon as it
 * ends should it have rolled back (a process death in between loses it: PGlite is the development engine).
 *
 * CA refusals become ServiceErrors with the public code that fits them.
 */
export class CertificateIssuer {
  private readonly pendingRestores = new Set<Promise<void>>();

  constructor(
    private readonly ca: CaMaterial,
    /** The database the key-use journal commits to (the caller's, outside the caller's transaction). */
    private readonly journal: Database,
    private readonly options: CertificateIssuerOptions = {},
  ) {}

  /** `tx`: the caller's transaction (or the Database itself), in which the issued certificate is recorded. */
  async issueFromCsr(tx: Queryable, input: Omit<PrepareFromCsrInput, 'issuer'>, actor: string): Promise<IssuedRecord> {
    return this.run(tx, actor, 'issuing', () => prepareFromCsr({ ...input, issuer: this.issuerInput('issuing') }));
  }

  /** `signedBy`: the issuing CA (default), or the root when its key is online (the root's own OCSP responder). */
  async issueFromTemplate(
    tx: Queryable,
    input: Omit<PrepareFromTemplateInput, 'issuer'>,
    actor: string,
    signedBy: SigningCa = 'issuing',
  ): Promise<IssuedRecord> {
    return this.run(tx, actor, signedBy, () => prepareFromTemplate({ ...input, issuer: this.issuerInput(signedBy) }));
  }

  /** The issuing CA certificate and its chain up to (excluding) the root: what getCertificate returns after the leaf. */
  chainWithoutRoot(): Buffer[] {
    return this.ca.issuingChain.filter((certificate) => !certificate.equals(this.ca.root.cert));
  }

  private get ocspUrl(): string | undefined {
    return this.options.ocspUrl;
  }

  get issuerKeyId(): string {
    return formatKeyId(this.ca.issuing.fields.subjectKeyIdentifier);
  }

  /** Resolves once every journal write waiting for a caller's transaction to end is done (PGlite). */
  async settled(): Promise<void> {
    while (this.pendingRestores.size > 0) await Promise.all([...this.pendingRestores]);
  }

  private issuerInput(role: SigningCa) {
    const ca = this.ca[role];
    if (ca.signer === undefined) throw new ServiceError('INTERNAL_ERROR', `the ${role} CA key is offline`);
    return {
      certificateDer: ca.cert,
      signer: ca.signer,
      crlUrl: ca.crlUrl,
      caIssuersUrl: ca.certificateUrl,
      ...(this.ocspUrl ? { ocspUrl: this.ocspUrl } : {}),
    };
  }

  private journalFor(tx: Queryable): Journal {
    const db = this.journal;
    if (db.autonomous) return { independent: true, q: db.autonomous };
    // Outside a transaction each statement commits by itself.
    if (tx === db) return { independent: true, q: db };
    // PGlite inside the caller's transaction: its one session commits nothing else before that transaction ends.
    return { independent: false, q: tx };
  }

  private async run(tx: Queryable, actor: string, signedBy: SigningCa, prepare: () => Promise<PreparedCertificate>): Promise<IssuedRecord> {
    const journal = this.journalFor(tx);
    for (let attempt = 1; ; attempt++) {
      let prepared;
      try {
        prepared = await prepare();
      } catch (error) {
        throw toServiceError(error);
      }
      const intent: IssuanceIntent & { tbsSha256Hex: string; intentAt: Date } = {
        issuerKeyId: formatKeyId(this.ca[signedBy].fields.subjectKeyIdentifier),
        serialHex: prepared.serialHex,
        subjectKeyId: normaliseKeyId(prepared.subjectKeyIdentifierHex),
        subjectDn: prepared.subjectDn,
        profile: prepared.profileName,
        notBefore: prepared.notBefore,
        notAfter: prepared.notAfter,
        tbsSha256Hex: prepared.tbsSha256Hex,
        intentAt: new Date(),
      };
      let id: bigint;
      try {
        id = await certificateRegistry.journalIntent(journal.q, intent, intentAudit(actor, intent));
      } catch (error) {
        // 128 random bits make this practically impossible; retrying keeps the guarantee without trusting luck.
        if (error instanceof DuplicateSerialError && attempt < SERIAL_ATTEMPTS) continue;
        throw error;
      }
      const record: JournalRecord = { ...intent, id, state: 'intent', signedAt: null };
      if (!journal.independent) this.restoreAfterCallerTransaction(record, actor);

      // The intent is on record: from here on the key may sign, and whatever follows cannot erase that.
      let issued;
      let failure: unknown;
      try {
        issued = await issue(prepared);
        if (issued.tbsSha256Hex !== prepared.tbsSha256Hex) {
          throw new Error(`the signed TBSCertificate (SHA-256 ${issued.tbsSha256Hex}) is not the one recorded before signing (${prepared.tbsSha256Hex})`);
        }
      } catch (error) {
        failure = error;
      }
      record.state = failure === undefined ? 'signed' : 'sign_failed';
      if (failure === undefined) record.signedAt = new Date();
      else record.failure = failure;
      try {
        await certificateRegistry.journalSigningOutcome(
          journal.q,
          id,
          record.state as 'signed' | 'sign_failed',
          record.signedAt ?? new Date(),
          outcomeAudit(actor, record, failure),
        );
      } catch (error) {
        throw failure === undefined ? error : toServiceError(failure);
      }
      if (failure !== undefined || !issued) throw toServiceError(failure);

      await certificateRegistry.recordIssued(tx, id, issued.der, new Date(), prepared.tbsSha256Hex);
      return {
        id,
        der: issued.der,
        serialHex: issued.serialHex,
        subjectKeyIdentifierHex: normaliseKeyId(issued.subjectKeyIdentifierHex),
        subjectDn: issued.subjectDn,
        notBefore: issued.notBefore,
        notAfter: issued.notAfter,
      };
    }
  }

  /**
   * PGlite, inside a caller's transaction: queued now, this runs as soon as that transaction ends (PGlite serialises
   * transactions) and writes the journal row and its audit lines back if the transaction rolled back.
   */
  private restoreAfterCallerTransaction(record: JournalRecord, actor: string): void {
    const restore: Promise<void> = this.journal
      .transaction(async (q) => {
        if (!(await certificateRegistry.restoreIntent(q, record))) return;
        await auditLog.record(q, intentAudit(actor, record, { registryId: record.id, restoredAfterRollback: true }));
        if (record.state !== 'intent') await auditLog.record(q, outcomeAudit(actor, record, record.failure, true));
      })
      .catch((error: unknown) => this.options.onJournalError?.(error))
      .finally(() => this.pendingRestores.delete(restore));
    this.pendingRestores.add(restore);
  }
}

/** The audit record of an intent; journalIntent adds the registry id of a new one. */
function intentAudit(
  actor: string,
  intent: Omit<IssuanceIntent, 'tbsSha256Hex'> & { tbsSha256Hex?: string | null },
  restored?: { registryId: bigint; restoredAfterRollback: true },
) {
  return {
    actor,
    action: 'certificate.sign.intent',
    subject: intent.subjectKeyId,
    details: {
      ...(restored ? { registryId: restored.registryId.toString() } : {}),
      serial: normaliseSerialHex(intent.serialHex),
      tbsSha256: intent.tbsSha256Hex,
      profile: intent.profile,
      subjectDn: intent.subjectDn,
      ...(restored ? { restoredAfterRollback: true } : {}),
    },
  };
}

function outcomeAudit(actor: string, record: JournalRecord, failure: unknown, restoredAfterRollback = false) {
  const details = {
    registryId: record.id.toString(),
    serial: normaliseSerialHex(record.serialHex),
    tbsSha256: record.tbsSha256Hex,
    ...(failure === undefined ? {} : { reason: failure instanceof Error ? failure.message : String(failure) }),
    ...(restoredAfterRollback ? { restoredAfterRollback } : {}),
  };
  return { actor, action: failure === undefined ? 'certificate.sign.done' : 'certificate.sign.failed', subject: record.subjectKeyId, details };
}

/** A use of the CA key whose certificate was never recorded: the intent was committed, then nothing or a lost signature. */
export type OrphanIntent = UnrecordedIntentRow;

/**
 * The orphan intents, oldest first: committed before signing, never completed by a recorded certificate (the
 * caller's transaction rolled back after the signature, the process died, or signing failed). An issuance in
 * progress elsewhere shows here too until its caller commits.
 */
export async function listOrphanIntents(db: Queryable): Promise<OrphanIntent[]> {
  return certificateRegistry.listUnrecordedIntents(db);
}

/** At most this many serials are written into the start-up warning; ca:intents:orphans lists them all. */
const SERIALS_IN_WARNING = 100;

/** Start-up reconciliation: warns with the count and the serials of the orphan intents; returns the count. */
export async function warnAboutOrphanIntents(db: Queryable, logger: { warn(details: object, message: string): void }): Promise<number> {
  const orphans = await listOrphanIntents(db);
  if (orphans.length > 0) {
    logger.warn(
      { count: orphans.length, serials: orphans.slice(0, SERIALS_IN_WARNING).map((o) => o.serialHex), states: countStates(orphans) },
      `${orphans.length} use(s) of a CA key left no recorded certificate (issuance intent committed, certificate never recorded): see the admin command ca:intents:orphans`,
    );
  }
  return orphans.length;
}

function countStates(orphans: readonly OrphanIntent[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const orphan of orphans) counts[orphan.state] = (counts[orphan.state] ?? 0) + 1;
  return counts;
}

/** Maps CA refusals to the public catalogue; anything else stays an internal error. */
export function toServiceError(error: unknown): unknown {
  if (!isCaError(error)) return error;
  switch (error.code) {
    case 'WEAK_KEY':
    case 'UNSUPPORTED_KEY':
      return new ServiceError('WEAK_KEY', error.message, { cause: error });
    case 'DN_MISMATCH':
    case 'SUBJECT_NOT_ALLOWED':
      return new ServiceError('DN_MISMATCH', error.message, { cause: error });
    case 'BAD_CSR':
    case 'BAD_CSR_SIGNATURE':
    case 'UNSUPPORTED_SIGNATURE_ALGORITHM':
      return new ServiceError('BAD_CSR', error.message, { cause: error });
    case 'LINT_FAILED':
      return new ServiceError('ISSUANCE_REFUSED', `issuance refused by lint ${error.lintName ?? ''}`.trim(), { cause: error });
    default:
      return new ServiceError('INTERNAL_ERROR', 'Internal error', { cause: error });
  }
}
