import { createHash, verify as verifySignature } from 'node:crypto';

/**
 * The hash chain of the audit log: how a record's content is encoded and hashed, how a checkpoint is signed, and how
 * a chain read back from storage is verified (the first broken link, precisely).
 */

export const GENESIS_HASH = '0'.repeat(64);
const RECORD_FORMAT = 'ehealth-audit-record-v1';
const CHECKPOINT_FORMAT = 'ehealth-audit-checkpoint-v1';

/** What a record's hash covers (its sequence number is its position, checked by the chain walk). */
export interface AuditRecordContent {
  /** Microseconds since the Unix epoch (the database's timestamp precision). */
  readonly occurredUs: bigint;
  readonly actor: string;
  readonly actorSerial: string | null;
  readonly action: string;
  readonly subject: string | null;
  readonly details: unknown;
  readonly prevHash: string;
}

export interface SealedAuditRecord extends AuditRecordContent {
  readonly seq: bigint;
  readonly recordHash: string;
}

/** JSON with object keys sorted at every level: one text per value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** Each field length-prefixed (byte length), null distinct from '': no two contents encode alike. */
function encodeFields(fields: ReadonlyArray<string | null>): Buffer {
  const parts: Buffer[] = [];
  for (const field of fields) {
    if (field === null) parts.push(Buffer.from('N;'));
    else {
      const bytes = Buffer.from(field, 'utf8');
      parts.push(Buffer.from(`S${bytes.length}:`), bytes, Buffer.from(';'));
    }
  }
  return Buffer.concat(parts);
}

export function encodeAuditRecord(record: AuditRecordContent): Buffer {
  return encodeFields([
    RECORD_FORMAT,
    record.prevHash,
    record.occurredUs.toString(),
    record.actor,
    record.actorSerial,
    record.action,
    record.subject,
    canonicalJson(record.details),
  ]);
}

export function auditRecordHash(record: AuditRecordContent): string {
  return createHash('sha256').update(encodeAuditRecord(record)).digest('hex');
}

export interface AuditCheckpointContent {
  readonly seq: bigint;
  readonly headHash: string;
  readonly createdAt: Date;
}

export interface StoredAuditCheckpoint extends AuditCheckpointContent {
  readonly id: bigint;
  readonly keySpkiSha256: string;
  readonly signature: Buffer;
}

/** The bytes the audit key signs for a checkpoint. */
export function encodeAuditCheckpoint(checkpoint: AuditCheckpointContent): Buffer {
  return encodeFields([CHECKPOINT_FORMAT, checkpoint.seq.toString(), checkpoint.headHash, checkpoint.createdAt.toISOString()]);
}

export function spkiSha256(spki: Buffer): string {
  return createHash('sha256').update(spki).digest('hex');
}

/** RSASSA-PKCS1-v1_5 or DER ECDSA with SHA-256, as KeySigner.sign produces. */
export function checkpointSignatureValid(checkpoint: StoredAuditCheckpoint, publicKeySpki: Buffer): boolean {
  try {
    return verifySignature('sha256', encodeAuditCheckpoint(checkpoint), { key: publicKeySpki, format: 'der', type: 'spki' }, checkpoint.signature);
  } catch {
    return false;
  }
}

export type AuditBreakKind =
  | 'content-edited'
  | 'record-deleted'
  | 'record-inserted'
  | 'link-broken'
  | 'checkpoint-signature-invalid'
  | 'checkpoint-mismatch'
  | 'chain-truncated';

export interface AuditChainBreak {
  /** The sequence number where the chain first fails. */
  readonly seq: bigint;
  readonly kind: AuditBreakKind;
  readonly detail: string;
}

/**
 * Walks records in seq order (fed page by page) and remembers the first break. Classification, for the record at
 * position s whose predecessor's stored hash is h(s-1):
 * - seq jumps past s: the records in between were deleted;
 * - the recomputed hash differs from the stored one: its content (or its stored previous hash) was edited;
 * - intact but pointing to h(s-2): the record at s-1 was inserted;
 * - intact but pointing to a hash no record before it has: its predecessor was deleted (and the rest renumbered).
 */
export class AuditChainWalker {
  private expected = 1n;
  private previousHash = GENESIS_HASH;
  private beforePreviousHash: string | undefined;
  private firstBreak: AuditChainBreak | undefined;
  private readonly watched = new Map<bigint, string>();
  records = 0;

  /** Sequence numbers whose record hash is kept (the checkpoints'). */
  constructor(private readonly watchSeqs: ReadonlySet<bigint> = new Set()) {}

  get lastSeq(): bigint {
    return this.expected - 1n;
  }

  get break(): AuditChainBreak | undefined {
    return this.firstBreak;
  }

  hashAt(seq: bigint): string | undefined {
    return this.watched.get(seq);
  }

  push(record: SealedAuditRecord): void {
    this.records++;
    if (this.watchSeqs.has(record.seq)) this.watched.set(record.seq, record.recordHash);
    if (!this.firstBreak) this.check(record);
    this.beforePreviousHash = this.previousHash;
    this.previousHash = record.recordHash;
    this.expected = record.seq + 1n;
  }

  private check(record: SealedAuditRecord): void {
    const s = record.seq;
    if (s !== this.expected) {
      const missing = s - this.expected;
      this.firstBreak = {
        seq: this.expected,
        kind: 'record-deleted',
        detail:
          missing === 1n
            ? `record ${this.expected} is missing (the chain goes from ${this.expected - 1n} to ${s})`
            : `records ${this.expected}..${s - 1n} are missing (the chain goes from ${this.expected - 1n} to ${s})`,
      };
      return;
    }
    const recomputed = auditRecordHash(record);
    if (recomputed !== record.recordHash) {
      this.firstBreak = {
        seq: s,
        kind: 'content-edited',
        detail: `record ${s} was changed after it was sealed: its content hashes to ${recomputed}, the chain recorded ${record.recordHash}`,
      };
      return;
    }
    if (record.prevHash === this.previousHash) return;
    if (this.beforePreviousHash !== undefined && record.prevHash === this.beforePreviousHash) {
      this.firstBreak = {
        seq: s - 1n,
        kind: 'record-inserted',
        detail: `record ${s - 1n} is not part of the chain: record ${s} follows record ${s - 2n} directly (hash ${record.prevHash})`,
      };
      return;
    }
    this.firstBreak = {
      seq: s,
      kind: s === 1n ? 'link-broken' : 'record-deleted',
      detail:
        s === 1n
          ? `record 1 does not start the chain (previous hash ${record.prevHash}, expected the genesis value)`
          : `the record before ${s} was deleted and later records renumbered: record ${s} follows a record with hash ${record.prevHash}, which is not record ${s - 1n} (${this.previousHash})`,
    };
  }
}

/** Checks each checkpoint's signature and that the chain still holds the head it signed. */
export function checkCheckpoints(
  checkpoints: readonly StoredAuditCheckpoint[],
  walker: AuditChainWalker,
  publicKeySpki: Buffer | undefined,
): AuditChainBreak | undefined {
  for (const checkpoint of [...checkpoints].sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0))) {
    const valid = publicKeySpki !== undefined && checkpointSignatureValid(checkpoint, publicKeySpki);
    if (!valid) {
      return {
        seq: checkpoint.seq,
        kind: 'checkpoint-signature-invalid',
        detail:
          publicKeySpki === undefined
            ? `checkpoint #${checkpoint.id} at record ${checkpoint.seq} cannot be verified: no audit key is configured`
            : `checkpoint #${checkpoint.id} at record ${checkpoint.seq} (${checkpoint.createdAt.toISOString()}): the signature does not verify with the audit key (SPKI SHA-256 ${spkiSha256(publicKeySpki)})`,
      };
    }
    if (checkpoint.seq > walker.lastSeq) {
      return {
        seq: walker.lastSeq + 1n,
        kind: 'chain-truncated',
        detail: `the chain ends at record ${walker.lastSeq}, but checkpoint #${checkpoint.id} signed a chain of ${checkpoint.seq} records: records ${walker.lastSeq + 1n}..${checkpoint.seq} were deleted`,
      };
    }
    const stored = walker.hashAt(checkpoint.seq);
    if (stored !== checkpoint.headHash) {
      return {
        seq: checkpoint.seq,
        kind: 'checkpoint-mismatch',
        detail: `record ${checkpoint.seq} has hash ${stored ?? '(none)'}, but checkpoint #${checkpoint.id} signed ${checkpoint.headHash}: the chain up to it was rewritten`,
      };
    }
  }
  return undefined;
}

/** The first of two breaks by sequence number (the chain's own when tied). */
export function firstOf(a: AuditChainBreak | undefined, b: AuditChainBreak | undefined): AuditChainBreak | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.seq < a.seq ? b : a;
}
