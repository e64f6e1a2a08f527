import type { Database } from '../storage/database.js';

/** How a cache keeps its entries (ETKDEPOT_CACHE, ETKDEPOT_CACHE_ENTRIES, ETKDEPOT_CACHE_MAX_AGE_SECONDS). */
export interface NotifiedCacheSettings {
  /** Off: every get() loads (nothing is kept). */
  readonly enabled: boolean;
  readonly maxEntries: number;
  /** Entries are reloaded after this long, in case a notification is ever lost. */
  readonly maxAgeSeconds: number;
  readonly onListenError?: (error: unknown) => void;
}

export interface NotifiedCacheOptions extends NotifiedCacheSettings {
  readonly db: Database;
  /** The NOTIFY channel every change of the cached data is announced on, from inside the changing transaction. */
  readonly channel: string;
}

interface Entry<V> {
  readonly value: V;
  readonly loadedAt: number;
}

/**
 * An in-process cache kept coherent across processes by PostgreSQL LISTEN/NOTIFY: every process LISTENs on the
 * channel and drops its whole cache on any notification (changes are rare next to reads, and a flush covers every
 * derived entry). Nothing is served until LISTEN is established (without notifications a cache could serve revoked
 * data), a load that raced with an invalidation is not stored (epoch check), concurrent loads of one key are shared,
 * and entries expire after maxAgeSeconds.
 */
export class NotifiedCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly loading = new Map<string, Promise<V>>();
  /** Incremented by every invalidation: a load started under an older epoch must not fill the cache. */
  private epoch = 0;
  private listening = false;
  private starting: Promise<void> | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(private readonly options: NotifiedCacheOptions) {}

  /** Subscribes to the channel; until then (or when disabled) every get() loads. */
  start(): Promise<void> {
    if (!this.options.enabled) return Promise.resolve();
    this.starting ??= this.options.db
      .listen(this.options.channel, () => this.invalidate())
      .then((unsubscribe) => {
        this.unsubscribe = unsubscribe;
        this.invalidate();
        this.listening = true;
      })
      .catch((error: unknown) => {
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

  /** Drops every entry and every load in flight. */
  invalidate(): void {
    this.epoch++;
    this.entries.clear();
    this.loading.clear();
  }

  /** Whether values are currently served from memory (LISTEN established). */
  get caching(): boolean {
    return this.listening;
  }

  /** The cached value if there is one (and values are being served from memory). */
  peek(key: string): V | undefined {
    if (!this.listening) return undefined;
    const hit = this.entries.get(key);
    return hit && Date.now() - hit.loadedAt < this.options.maxAgeSeconds * 1000 ? hit.value : undefined;
  }

  /** The cached value, else load()'s (kept when `keep` approves it, default always). */
  get(key: string, load: () => Promise<V>, keep: (value: V) => boolean = () => true): Promise<V> {
    if (this.listening) {
      const hit = this.peek(key);
      if (hit !== undefined) return Promise.resolve(hit);
      const pending = this.loading.get(key);
      if (pending) return pending;
    }
    const epoch = this.epoch;
    const loaded = load().then((value) => {
      if (this.listening && epoch === this.epoch && keep(value)) this.remember(key, value);
      return value;
    });
    if (this.listening) {
      this.loading.set(key, loaded);
      const forget = () => {
        if (this.loading.get(key) === loaded) this.loading.delete(key);
      };
      loaded.then(forget, forget);
    }
    return loaded;
  }

  private remember(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { value, loadedAt: Date.now() });
    // Maps iterate in insertion order: the first key is the oldest entry.
    while (this.entries.size > this.options.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }
}
