import { PGlite } from '@electric-sql/pglite';
const db = await PGlite.create();
console.log((await db.query(`select gen_random_uuid() u, hashtextextended('abc', 7351) h, pg_advisory_xact_lock(hashtextextended('abc',1)) l, decode(replace(gen_random_uuid()::text,'-','') || replace(gen_random_uuid()::text,'-',''), 'hex') k`)).rows);
await db.close();
