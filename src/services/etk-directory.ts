import type { Clock } from '../domain/clock.js';
import { findEtkIdentifierType, normaliseApplicationId, normaliseForLookup, validateIdentifier } from '../identifiers/index.js';
import type { Database } from '../storage/database.js';
import { ETK_DIRECTORY_CHANNEL, directoryKey, etkRepository, type EtkHolder, type PublishedEtk } from '../storage/etk-repository.js';

/** One identifier of a GetEtk search, as the client sent it. */
export interface EtkQuery {
  readonly type: string;
  readonly value: string;
  /** Empty or absent = no application id (e-Contract's client always sends an empty element). */
  readonly applicationId?: string | undefined;
}

/**
 * A published ETK as the directory serves it. Only the DER is kept (off the JavaScript heap, so a large cache adds
 * nothing to garbage-collection pauses); base64 is made per response, which costs microseconds.
 */
export interface DirectoryEtk {
  readonly id: bigint;
  readonly holder: EtkHolder;
  readonly der: Buffer;
  readonly notBefore: number;
  readonly notAfter: number;
}

export type DirectoryAnswer =
  | { readonly kind: 'found'; readonly etk: DirectoryEtk }
  /** Several ETKs match and no application id narrows them: the client asks again with one of these identifiers. */
  | { readonly kind: 'several'; readonly matches: readonly DirectoryEtk[] }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'invalid'; readonly code: 'UNKNOWN_IDENTIFIER_TYPE' | 'INVALID_IDENTIFIER'; readonly message: string };

export interface EtkDirectoryOptions {
  readonly db: Database;
  readonly clock: Clock;
  /** Keep published ETKs in memory, kept coherent by LISTEN/NOTIFY. */
  readonly cache: boolean;
  readonly maxEntries: number;
  readonly maxAgeSeconds: number;
  readonly onListenError?: (error: unknown) => void;
}

interface CacheEntry {
  readonly etks: readonly DirectoryEtk[];
  readonly loadedAt: number;
}

/**
 * ETKDepot lookups (GetEtk over SOAP and REST).
 *
 * Matching, per identifier: the value is normalised as the connector does (left-padded with 0, truncated), then
 * validated (unknown type or invalid value → invalid). With an ApplicationID, the ETK with exactly that application
 * id; without one, the holder's ETK without application id if it has one, else all of its application ETKs, which
 * GetEtk lists as MatchingEtk (each names one ETK exactly, so the connector's re-query gets that ETK). When a type and
 * value have no ETK of their own, ETKs of the holders they are an alias of (a professional's NIHII → SSIN) match.
 * Only ETKs that are ACTIVE, of an unrevoked certificate and within their validity are ever returned.
 *
 * Cache: the published ETKs of a (type, value) are kept in memory once read. Every change of the directory sends a
 * NOTIFY on ETK_DIRECTORY_CHANNEL at commit; each process LISTENs and then drops its whole cache (changes are rare
 * next to lookups, and a flush also covers alias entries). The cache serves nothing until LISTEN is established,
 * a load that raced with an invalidation is not stored (epoch check), and entries expire after maxAgeSeconds in case a
 * notification is ever lost. Validity is checked on every read, so expiry needs no notification.
 */
export class EtkDirectory {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly loading = new Map<string, Promise<readonly DirectoryEtk[]>>();
  /** Incremented by every invalidation: a load started under an older epoch must not fill the cache. */
  private epoch = 0;
  private listening = false;
  private starting: Promise<void> | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(private readonly options: EtkDirectoryOptions) {}

  /** Subscribes to directory changes; until then (or with the cache off) every lookup reads the database. */
  start(): Promise<void> {
    if (!this.options.cache) return Promise.resolve();
    this.starting ??= this.options.db
      .listen(ETK_DIRECTORY_CHANNEL, () => this.invalidate())
      .then((unsubscribe) => {
        this.unsubscribe = unsubscribe;
        this.invalidate();
        this.listening = true;
      })
      .catch((error: unknown) => {
        // Without notifications a cache could serve a revoked ETK: stay uncached.
        this.options.onListenError?.(error);
      });
    return this.starting;
  }

  async stop(): Promise<void> {
    this.listening = false;
    this.invalidate();
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    await unsubscribe?.();
  }

  /** Drops every cached entry and every load in flight. */
  invalidate(): void {
    this.epoch++;
    this.entries.clear();
    this.loading.clear();
  }

  /** Whether lookups are currently served from memory (LISTEN established). */
  get caching(): boolean {
    return this.listening;
  }

  async lookup(queries: readonly EtkQuery[]): Promise<DirectoryAnswer> {
    const now = this.options.clock.now();
    const found = new Map<bigint, DirectoryEtk>();
    for (const query of queries) {
      const type = findEtkIdentifierType(query.type);
      if (!type) return { kind: 'invalid', code: 'UNKNOWN_IDENTIFIER_TYPE', message: `Unknown identifier type ${JSON.stringify(query.type)}` };
      const value = normaliseForLookup(type.type, query.value)!;
      const validation = validateIdentifier(type.type, value, { now });
      if (!validation.ok) {
        return { kind: 'invalid', code: 'INVALID_IDENTIFIER', message: `Invalid ${type.type} value ${JSON.stringify(query.value)} (${validation.reason})` };
      }
      const applicationId = normaliseApplicationId(query.applicationId);
      const valid = (await this.published(type.type, value)).filter((etk) => etk.notBefore <= now.getTime() && now.getTime() < etk.notAfter);
      for (const etk of select(valid, applicationId)) found.set(etk.id, etk);
    }
    const matches = [...found.values()];
    if (matches.length === 0) return { kind: 'not-found' };
    if (matches.length === 1) return { kind: 'found', etk: matches[0]! };
    return { kind: 'several', matches };
  }

  private published(type: string, value: string): Promise<readonly DirectoryEtk[]> {
    const key = directoryKey(type, value);
    if (this.listening) {
      const hit = this.entries.get(key);
      if (hit && Date.now() - hit.loadedAt < this.options.maxAgeSeconds * 1000) return Promise.resolve(hit.etks);
      const pending = this.loading.get(key);
      if (pending) return pending;
    }
    const epoch = this.epoch;
    const load = this.load(type, value).then((etks) => {
      if (this.listening && epoch === this.epoch) this.remember(key, etks);
      return etks;
    });
    if (this.listening) {
      this.loading.set(key, load);
      const forget = () => {
        if (this.loading.get(key) === load) this.loading.delete(key);
      };
      load.then(forget, forget);
    }
    return load;
  }

  private async load(type: string, value: string): Promise<readonly DirectoryEtk[]> {
    let rows = await etkRepository.findPublished(this.options.db, type, value);
    if (rows.length === 0) rows = await etkRepository.findPublishedByAlias(this.options.db, type, value);
    return rows.map(toDirectoryEtk);
  }

  private remember(key: string, etks: readonly DirectoryEtk[]): void {
    this.entries.delete(key);
    this.entries.set(key, { etks, loadedAt: Date.now() });
    // Maps iterate in insertion order: the first key is the oldest entry.
    while (this.entries.size > this.options.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }
}

/** The ETKs one identifier designates (see the class comment). */
function select(valid: readonly DirectoryEtk[], applicationId: string | undefined): readonly DirectoryEtk[] {
  if (applicationId !== undefined) return valid.filter((etk) => etk.holder.applicationId === applicationId);
  const withoutApplication = valid.filter((etk) => etk.holder.applicationId === undefined);
  return withoutApplication.length > 0 ? withoutApplication : valid;
}

function toDirectoryEtk(row: PublishedEtk): DirectoryEtk {
  return {
    id: row.id,
    holder: row.holder,
    der: row.etkDer,
    notBefore: row.notBefore.getTime(),
    notAfter: row.notAfter.getTime(),
  };
}
