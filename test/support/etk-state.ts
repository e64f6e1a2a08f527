import type { Database } from '../../src/storage/database.js';
import { tableCounts } from './test-database.js';

/**
 * "Nothing changed": row counts of every table plus the mutable columns of the ETK tables (a consumed challenge or a
 * status change keeps the counts equal).
 */
export async function etkState(db: Database): Promise<unknown> {
  return {
    counts: await tableCounts(db),
    etks: await db.query('SELECT id, status, activated_at, ended_at FROM etks ORDER BY id'),
    challenges: await db.query('SELECT id, used_at FROM etk_challenges ORDER BY id'),
    certificates: await db.query('SELECT id, revoked_at FROM issued_certificates ORDER BY id'),
  };
}
