import type { Clock } from '../domain/clock.js';
import type { EtkHolder } from '../domain/identifier.js';
import { findEtkIdentifierType, normaliseApplicationId, normaliseForLookup, validateIdentifier } from '../identifiers/index.js';
import type { Database, Queryable } from '../storage/database.js';
import { NotifiedCache } from './notified-cache.js';
import { ETK_DIRECTORY_CHANNEL, directoryKey, etkRepository, type PublishedEtk } from '../storage/etk-repository.js';

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
  /** The primary: LISTEN for directory changes. */
  readonly db: Database;
  /** Where lookups read: a hot standby through the ReadRouter, or the primary (default). */
  readonly lookups?: Queryable;
  readonly clock: Clock;
  /** Keep published ETKs in memory, kept coherent by LISTEN/NOTIFY. */
  readonly cache: boolean;
  readonly maxEntries: number;
  readonly maxAgeSeconds: number;
  readonly onListenError?: (error: unknown) => void;
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
 * Cache: the published ETKs of a (type, value) are kept in a NotifiedCache: every change of the directory sends a
 * NOTIFY on ETK_DIRECTORY_CHANNEL at commit and each process then drops its cache. Validity is checked on every read,
 * so expiry needs no notification.
 */
export class EtkDirectory {
  private readonly cache: NotifiedCache<readonly DirectoryEtk[]>;

  constructor(private readonly options: EtkDirectoryOptions) {
    this.cache = new NotifiedCache({
      db: options.db,
      channel: ETK_DIRECTORY_CHANNEL,
      enabled: options.cache,
      maxEntries: options.maxEntries,
      maxAgeSeconds: options.maxAgeSeconds,
      onListenError: options.onListenError,
    });
  }

  /** Subscribes to directory changes; until then (or with the cache off) every lookup reads the database. */
  start(): Promise<void> {
    return this.cache.start();
  }

  stop(): Promise<void> {
    return this.cache.stop();
  }

  /** Drops every cached entry and every load in flight. */
  invalidate(): void {
    this.cache.invalidate();
  }

  /** Whether lookups are currently served from memory (LISTEN established). */
  get caching(): boolean {
    return this.cache.caching;
  }

  /**
   * The answer for a GetEtk search. Synchronous when every identifier's ETKs are in the cache (the busiest case: no
   * promise and no turn of the microtask queue), else a promise.
   */
  /** `everyApplication`: without an application id, every valid ETK of the identifier (REST lists them all), not only the one without. */
  lookup(queries: readonly EtkQuery[], options: { readonly everyApplication?: boolean } = {}): DirectoryAnswer | Promise<DirectoryAnswer> {
    const today = this.options.clock.now();
    const now = today.getTime();
    const identifiers: DirectoryIdentifier[] = [];
    for (const query of queries) {
      const type = findEtkIdentifierType(query.type);
      if (!type) return { kind: 'invalid', code: 'UNKNOWN_IDENTIFIER_TYPE', message: `Unknown identifier type ${JSON.stringify(query.type)}` };
      const value = normaliseForLookup(type.type, query.value)!;
      const validation = validateIdentifier(type.type, value, { now: today });
      if (!validation.ok) {
        return { kind: 'invalid', code: 'INVALID_IDENTIFIER', message: `Invalid ${type.type} value ${JSON.stringify(query.value)} (${validation.reason})` };
      }
      identifiers.push({ key: directoryKey(type.type, value), type: type.type, value, applicationId: normaliseApplicationId(query.applicationId) });
    }
    const cached = identifiers.map((identifier) => this.cache.peek(identifier.key));
    const every = options.everyApplication === true;
    if (cached.every((published) => published !== undefined)) return answer(identifiers, cached as Array<readonly DirectoryEtk[]>, now, every);
    return Promise.all(identifiers.map((identifier) => this.published(identifier))).then((published) => answer(identifiers, published, now, every));
  }

  private published(identifier: DirectoryIdentifier): Promise<readonly DirectoryEtk[]> {
    return this.cache.get(identifier.key, () => this.load(identifier.type, identifier.value));
  }

  private async load(type: string, value: string): Promise<readonly DirectoryEtk[]> {
    const lookups = this.options.lookups ?? this.options.db;
    let rows = await etkRepository.findPublished(lookups, type, value);
    if (rows.length === 0) rows = await etkRepository.findPublishedByAlias(lookups, type, value);
    return rows.map(toDirectoryEtk);
  }
}

/** One identifier of a search, normalised and validated, with its cache key. */
interface DirectoryIdentifier extends EtkHolder {
  readonly key: string;
}

/** The answer, given each identifier's published ETKs (in the same order). */
function answer(
  identifiers: readonly DirectoryIdentifier[],
  published: ReadonlyArray<readonly DirectoryEtk[]>,
  now: number,
  everyApplication: boolean,
): DirectoryAnswer {
  // Searches name one identifier or a few, each with one ETK or a few: arrays, not maps.
  const matches: DirectoryEtk[] = [];
  identifiers.forEach((identifier, index) => {
    for (const etk of select(published[index]!, identifier.applicationId, now, everyApplication))
      if (!matches.some((match) => match.id === etk.id)) matches.push(etk);
  });
  if (matches.length === 0) return { kind: 'not-found' };
  if (matches.length === 1) return { kind: 'found', etk: matches[0]! };
  return { kind: 'several', matches };
}

/** The ETKs one identifier designates among its published ones (see the class comment): only those valid now. */
function select(published: readonly DirectoryEtk[], applicationId: string | undefined, now: number, everyApplication: boolean): readonly DirectoryEtk[] {
  const valid = published.filter((etk) => etk.notBefore <= now && now < etk.notAfter);
  if (applicationId !== undefined) return valid.filter((etk) => etk.holder.applicationId === applicationId);
  if (everyApplication) return valid;
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
