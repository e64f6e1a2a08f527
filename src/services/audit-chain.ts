import type { KeySigner } from '../ca/keys/key-signer.js';
import {
  AuditChainWalker,
  auditRecordHash,
  checkCheckpoints,
  encodeAuditCheckpoint,
  firstOf,
  GENESIS_HASH,
  spkiSha256,
  type AuditChainBreak,
  type StoredAuditCheckpoint,
} from '../domain/audit-chain.js';
import type { Clock } from '../domain/clock.js';
import { auditChainStore, type AuditListFilter, type AuditListRow } from '../storage/audit-log.js';
import type { Database } from '../storage/database.js';

export interface AuditChainOptions {
  /** A checkpoint once this many records were sealed since the last one (AUDIT_CHECKPOINT_EVERY_RECORDS). */
  readonly checkpointEveryRecords: number;
  /** A checkpoint when the last one is older than this and records were sealed since (AUDIT_CHECKPOINT_EVERY_MINUTES). */
  readonly checkpointEveryMinutes: number;
}

export interface SealOutcome {
  readonly sealed: number;
  readonly head: { seq: bigint; hash: string } | undefined;
  readonly checkpoint: StoredAuditCheckpoint | undefined;
}

export interface AuditVerification {
  readonly ok: boolean;
  readonly records: number;
  readonly lastSeq: bigint;
  readonly unsealed: bigint;
  readonly checkpoints: number;
  readonly lastCheckpointSeq: bigint | undefined;
  /** Sealed records after the last checkpoint: chained, not yet covered by a signature. */
  readonly uncovered: bigint;
  readonly firstBreak: AuditChainBreak | undefined;
}

const SEAL_BATCH = 500;

/**
 * Seals committed audit records into the hash chain and signs checkpoints with the platform's audit key. Sealing runs
 * in a transaction of its own under the chain's advisory lock (every process, every connection): one chain, no fork.
 */
export class AuditChain {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly deps: { db: Database; clock: Clock; signer: KeySigner | undefined },
    private readonly options: AuditChainOptions,
  ) {}

  get signing(): boolean {
    return this.deps.signer !== undefined;
  }

  /** The public key checkpoints verify with (the configured audit key's). */
  get publicKeySpki(): Buffer | undefined {
    return this.deps.signer?.publicKeySpki;
  }

  /** Chains every committed unsealed record; writes a checkpoint when one is due, or always with force. */
  async seal(options: { forceCheckpoint?: boolean } = {}): Promise<SealOutcome> {
    return this.deps.db.transaction(async (tx) => {
      await auditChainStore.lockChain(tx);
      let head = await auditChainStore.head(tx);
      let sealed = 0;
      for (;;) {
        const batch = await auditChainStore.unsealed(tx, SEAL_BATCH);
        const links = [];
        for (const row of batch) {
          const prevHash = head?.hash ?? GENESIS_HASH;
          const seq = (head?.seq ?? 0n) + 1n;
          const hash = auditRecordHash({ ...row, prevHash });
          links.push({ id: row.id, seq, prevHash, recordHash: hash });
          head = { seq, hash };
          sealed++;
        }
        await auditChainStore.seal(tx, links);
        if (batch.length < SEAL_BATCH) break;
      }
      let checkpoint: StoredAuditCheckpoint | undefined;
      const signer = this.deps.signer;
      if (signer && head) {
        const now = this.deps.clock.now();
        const last = await auditChainStore.lastCheckpoint(tx);
        const since = head.seq - (last?.seq ?? 0n);
        // T minutes after the last checkpoint, or after the first record when there is none yet.
        const reference = since > 0n ? (last?.createdAt ?? (await auditChainStore.occurredAt(tx, 1n))) : undefined;
        const due =
          options.forceCheckpoint === true ||
          since >= BigInt(this.options.checkpointEveryRecords) ||
          (reference !== undefined && now.getTime() - reference.getTime() >= this.options.checkpointEveryMinutes * 60_000);
        if (due) {
          const content = { seq: head.seq, headHash: head.hash, createdAt: new Date(now.getTime()) };
          const signature = await signer.sign(encodeAuditCheckpoint(content), 'SHA-256');
          const stored = { ...content, keySpkiSha256: spkiSha256(signer.publicKeySpki), signature };
          checkpoint = { ...stored, id: await auditChainStore.insertCheckpoint(tx, stored) };
        }
      }
      return { sealed, head, checkpoint };
    });
  }

  /** Seals every interval; errors go to onError (the next run tries again). */
  start(intervalMs: number, onError: (error: unknown) => void): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.seal()
        .catch(onError)
        .finally(() => {
          this.running = undefined;
        });
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * Verifies the whole chain as stored: every record's hash and link, and every checkpoint's signature and head.
   * Reads only; unsealed records are counted, not judged.
   */
  static async verify(db: Database, publicKeySpki: Buffer | undefined): Promise<AuditVerification> {
    const checkpoints = await auditChainStore.checkpoints(db);
    const walker = new AuditChainWalker(new Set(checkpoints.map((c) => c.seq)));
    let after = 0n;
    for (;;) {
      const page = await auditChainStore.sealedAfter(db, after, 1000);
      for (const record of page) walker.push(record);
      if (page.length < 1000) break;
      after = page[page.length - 1]!.seq;
    }
    const firstBreak = firstOf(walker.break, checkCheckpoints(checkpoints, walker, publicKeySpki));
    const lastCheckpointSeq = checkpoints[0]?.seq;
    return {
      ok: firstBreak === undefined,
      records: walker.records,
      lastSeq: walker.lastSeq,
      unsealed: await auditChainStore.countUnsealed(db),
      checkpoints: checkpoints.length,
      lastCheckpointSeq,
      uncovered: walker.lastSeq - (lastCheckpointSeq ?? 0n) > 0n ? walker.lastSeq - (lastCheckpointSeq ?? 0n) : 0n,
      firstBreak,
    };
  }

  /** Audit records matching the filter, in chain order (not yet sealed ones last). */
  static list(db: Database, filter: AuditListFilter): Promise<AuditListRow[]> {
    return auditChainStore.list(db, filter);
  }
}
