import { systemClock } from '../../src/domain/clock.js';
import { AuditChain } from '../../src/services/audit-chain.js';
import { auditLog } from '../../src/storage/certificate-registry.js';
import { openPostgres } from '../../src/storage/database.js';

/**
 * A separate process appending to the audit log of DATABASE_URL: ROUNDS transactions of two records each, sealing
 * after each (audit-chain.test.ts starts several at once to race them). No checkpoint key: sealing only.
 */
const url = process.env.DATABASE_URL!;
const name = process.env.WRITER ?? String(process.pid);
const rounds = Number(process.env.ROUNDS ?? '10');
const db = openPostgres(url, { max: 2 });
const chain = new AuditChain({ db, clock: systemClock, signer: undefined }, { checkpointEveryRecords: 1000, checkpointEveryMinutes: 60 });
try {
  for (let round = 0; round < rounds; round++) {
    await db.transaction(async (tx) => {
      await auditLog.record(tx, { actor: name, action: 'process.write', details: { round, n: 1 } });
      await auditLog.record(tx, { actor: name, action: 'process.write', details: { round, n: 2 } });
    });
    await chain.seal();
  }
} finally {
  await db.close();
}
