import type { Queryable } from './database.js';

export interface CaIdentity {
  readonly rootSha256: string;
  readonly development: boolean;
}

export const caIdentityRepository = {
  /** Records `identity` when the database has none yet; returns the one it holds (the first process's). */
  async claim(q: Queryable, identity: CaIdentity): Promise<CaIdentity> {
    await q.query('INSERT INTO ca_identity (root_sha256, development) VALUES ($1, $2) ON CONFLICT (singleton) DO NOTHING', [
      identity.rootSha256,
      identity.development,
    ]);
    const [row] = await q.query<{ root_sha256: string; development: boolean } & Record<string, unknown>>('SELECT root_sha256, development FROM ca_identity');
    return { rootSha256: row!.root_sha256, development: row!.development };
  },

  /** A configured hierarchy replaced the recorded one (a planned change of root): the database now belongs to it. */
  async replace(q: Queryable, identity: CaIdentity): Promise<void> {
    await q.query('UPDATE ca_identity SET root_sha256 = $1, development = $2, recorded_at = now()', [identity.rootSha256, identity.development]);
  },
};
