import { createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AuditChain } from '../../services/audit-chain.js';
import { auditVerificationView, auditView, type AuditView } from '../../services/admin/views.js';
import { defineCommand, defineListCommand, UsageError, type AdminCommand } from '../command.js';

/**
 * The tamper-evident audit log: every record is hash-chained to the one before; checkpoints of the chain's head are
 * signed by the platform's audit key. audit:verify recomputes the chain from the database and reports its first
 * broken link.
 */

/** The audit public key from a PEM file: a certificate or a SubjectPublicKeyInfo. */
function publicKeyFromFile(path: string): Buffer {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --public-key ${path}: ${(error as Error).message}`);
  }
  try {
    const key = pem.includes('BEGIN CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem);
    return key.export({ type: 'spki', format: 'der' });
  } catch (error) {
    throw new UsageError(`--public-key ${path} holds no certificate or public key: ${(error as Error).message}`);
  }
}

type VerificationView = ReturnType<typeof auditVerificationView>;

/** The verdict as text or JSON; a broken chain is exit 1. */
function printVerification(result: VerificationView, json: boolean, out: (line: string) => void): void {
  if (json) out(JSON.stringify(result, null, 2));
  else {
    out(
      `${result.records} record(s) chained (last ${result.lastSeq}), ${result.checkpoints} signed checkpoint(s)` +
        `${result.lastCheckpointSeq !== null ? ` (last at ${result.lastCheckpointSeq})` : ''}, ${result.uncoveredRecords} record(s) after the last checkpoint, ${result.unsealed} not yet chained`,
    );
    if (result.firstBreak) out(`BROKEN at record ${result.firstBreak.seq}: ${result.firstBreak.kind}: ${result.firstBreak.detail}`);
    else out('OK: the audit chain is intact');
  }
  const broken = result.firstBreak;
  if (broken) throw new Error(`audit chain broken at record ${broken.seq} (${broken.kind})`);
}

export const verifyAuditCommand = defineCommand({
  name: 'audit:verify',
  summary: 'verify the audit log: every hash link and every signed checkpoint; report the first broken link',
  details: [
    'Reads the database directly (a stopped embedded instance, or DATABASE_URL) and recomputes the hash of every record',
    'in sequence order. The first failure is reported with its sequence number and kind: content-edited, record-deleted,',
    'record-inserted, link-broken, checkpoint-signature-invalid, checkpoint-mismatch (the chain up to a signed head was',
    'rewritten) or chain-truncated (records a checkpoint covered are gone). Records after the last checkpoint are chained',
    'but not yet covered by a signature: their number is reported. Checkpoints verify with the configured audit key',
    '(AUDIT_KEY, or the development key), or with --public-key. Exit 0: intact; 1: broken (or cannot verify).',
  ].join('\n'),
  options: {
    'public-key': {
      type: 'string',
      placeholder: 'PEM',
      description: 'verify checkpoints with this audit certificate or public key (PEM) instead of the configured key',
    },
    json: { type: 'boolean', description: 'print the result as one JSON object' },
  },
  async run(context, options, out) {
    const publicKey = options['public-key'] !== undefined ? publicKeyFromFile(options['public-key']) : context.services.auditChain.publicKeySpki;
    printVerification(auditVerificationView(await AuditChain.verify(context.db, publicKey)), options.json, out);
  },
  async remote(client, options, out) {
    if (options['public-key'] !== undefined) throw new UsageError('--public-key verifies offline: run audit:verify without --url');
    printVerification(await client.get<VerificationView>('/audit/verification'), options.json, out);
  },
});

export const checkpointAuditCommand = defineCommand({
  name: 'audit:checkpoint',
  summary: 'chain pending audit records and sign a checkpoint of the head now',
  options: {},
  async run(context, _options, out) {
    if (!context.services.auditChain.signing) throw new Error('no audit key is configured (AUDIT_KEY): checkpoints cannot be signed');
    const outcome = await context.services.auditChain.seal({ forceCheckpoint: true });
    if (!outcome.checkpoint) {
      out('the audit log is empty: nothing to sign');
      return;
    }
    out(
      `checkpoint #${outcome.checkpoint.id} signed at record ${outcome.checkpoint.seq} (head ${outcome.checkpoint.headHash}); ${outcome.sealed} record(s) chained now`,
    );
  },
});

function parseDate(value: string | undefined, option: string): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new UsageError(`--${option} ${value} is not an ISO 8601 date`);
  return date;
}

export const listAuditCommand = defineListCommand({
  name: 'audit:list',
  summary: 'audit records, filtered (export with --json)',
  details: 'Records in chain order; those not yet chained come last with no sequence number. --action accepts a trailing * (prefix).',
  options: {
    actor: { type: 'string', placeholder: 'ACTOR', description: 'only records by this actor (operator name or officer certificate subject)' },
    action: { type: 'string', placeholder: 'ACTION', description: 'only this action, e.g. certra.request.approved or certificate.sign.*' },
    subject: { type: 'string', placeholder: 'SUBJECT', description: 'only records about this subject (public key identifier, SSIN, CA key id…)' },
    since: { type: 'string', placeholder: 'ISO-DATE', description: 'only records at or after this time' },
    until: { type: 'string', placeholder: 'ISO-DATE', description: 'only records before this time' },
    limit: { type: 'string', placeholder: 'N', default: '1000', description: 'at most N records' },
  },
  counted: 'audit record(s)',
  list: async (context, options) => (await AuditChain.list(context.db, auditFilter(options))).map(auditView),
  remote: (client, options) => {
    const filter = auditFilter(options);
    return client.get<AuditView[]>('/audit', {
      actor: filter.actor,
      action: filter.action,
      subject: filter.subject,
      since: filter.since?.toISOString(),
      until: filter.until?.toISOString(),
      limit: String(filter.limit),
    });
  },
  text: (r: AuditView) =>
    `${r.seq === null ? '-' : `#${r.seq}`} ${r.occurredAt} ${r.actor}${r.actorSerial ? ` (serial ${r.actorSerial})` : ''} ${r.action}` +
    `${r.subject ? ` subject=${r.subject}` : ''} ${JSON.stringify(r.details)}`,
  json: (r: AuditView) => r,
});

function auditFilter(options: { actor?: string; action?: string; subject?: string; since?: string; until?: string; limit: string }) {
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new UsageError(`--limit ${options.limit} is not a number from 1 to 100000`);
  return {
    actor: options.actor,
    action: options.action,
    subject: options.subject,
    since: parseDate(options.since, 'since'),
    until: parseDate(options.until, 'until'),
    limit,
  };
}

/** The commands of this file, for the command index (src/cli/commands/index.ts). */
export const AUDIT_COMMANDS: readonly AdminCommand[] = [verifyAuditCommand, listAuditCommand, checkpointAuditCommand];
