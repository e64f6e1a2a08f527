import { createHash } from 'node:crypto';
import type { CaMaterial } from '../../ca/hierarchy/index.js';
import type { Clock } from '../../domain/clock.js';
import { parseCertificate } from '../../x509/certificate.js';
import type { Database, Queryable } from '../../storage/database.js';
import { type StoredTrustList, trustListRepository } from '../../storage/trust-list-repository.js';
import {
  contentDigest,
  SERVICE_TYPES,
  TRUST_LIST_FILES,
  type TrustListContent,
  type TrustListEdition,
  type TrustListName,
  type TrustListOperator,
  type TrustListService,
} from './trust-list-content.js';

/** Makes the signed document of an edition (ETSI XML + XAdES, in the front end): the publisher only stores and serves it. */
export type TrustListRenderer = (content: TrustListContent, edition: TrustListEdition) => Promise<Buffer>;

export interface TrustListSettings {
  /** NextUpdate = issue + this (TSL_VALIDITY_DAYS). */
  readonly validityDays: number;
  /** An unchanged list is re-issued (new sequence number, new NextUpdate) this long after the last edition (TSL_REISSUE_DAYS). */
  readonly reissueDays: number;
  /** http(s) base under which /tsl/… is served (the DistributionPoints). */
  readonly publicationUrl: string;
  readonly operator: TrustListOperator;
}

export interface TrustListSources {
  readonly ca: Pick<CaMaterial, 'root' | 'issuingChain' | 'tslSigner'>;
  /** The Belgian eID CAs trusted for citizen signatures and authentication (development: the test citizen CA). */
  readonly eidCas: readonly Buffer[];
  /** A time-stamping authority's certificate, when one is configured. */
  readonly tsa?: Buffer;
}

/** What a request for a list gets: the exact bytes every process serves for the current edition. */
export interface PublishedTrustList {
  readonly document: Buffer;
  readonly sha256Hex: string;
  readonly sequenceNumber: bigint;
  readonly issuedAt: Date;
  readonly nextUpdate: Date;
}

/** A re-read of the stored edition is at most this old, so an edition made by another process is served quickly. */
const STORED_EDITION_TTL_MS = 10_000;

/**
 * Publishes the eHealth trusted lists from what the platform trusts and issues, signed XAdES by the TSL signer.
 * The current edition of each list is kept in the database: every process serves the same bytes, and a new edition
 * (higher TSLSequenceNumber) is made, under an advisory lock, only when the content changes or the re-issue time
 * comes, so the number grows across restarts and processes and never moves for nothing.
 */
export class TrustListPublisher {
  private readonly contents: ReadonlyMap<TrustListName, TrustListContent>;
  private readonly held = new Map<TrustListName, { edition: StoredTrustList; readAt: number }>();
  private readonly making = new Map<TrustListName, Promise<StoredTrustList>>();

  constructor(
    private readonly dependencies: {
      readonly db: Database;
      /** Where the current edition is read: a hot standby through the ReadRouter, or the primary (default). */
      readonly lookups?: Queryable;
      readonly clock: Clock;
      readonly sources: TrustListSources;
      readonly render: TrustListRenderer;
    },
    private readonly settings: TrustListSettings,
  ) {
    this.contents = new Map(trustListContents(dependencies.sources).map((content) => [content.list, content]));
  }

  /** Whether lists are published at all (a TSL signer is configured). */
  get enabled(): boolean {
    return this.dependencies.sources.ca.tslSigner !== undefined;
  }

  content(list: TrustListName): TrustListContent {
    return this.contents.get(list)!;
  }

  async current(list: TrustListName): Promise<PublishedTrustList> {
    const now = this.dependencies.clock.now();
    const held = this.held.get(list);
    if (held && Date.now() - held.readAt < STORED_EDITION_TTL_MS && this.isCurrent(list, held.edition, now)) return published(held.edition);
    let pending = this.making.get(list);
    if (!pending) {
      pending = this.refresh(list, now).finally(() => this.making.delete(list));
      this.making.set(list, pending);
    }
    return published(await pending);
  }

  private isCurrent(list: TrustListName, edition: StoredTrustList, now: Date): boolean {
    return edition.contentSha256 === contentDigest(this.content(list)) && now.getTime() < edition.issuedAt.getTime() + this.settings.reissueDays * 86_400_000;
  }

  private async refresh(list: TrustListName, now: Date): Promise<StoredTrustList> {
    const { db, lookups = db } = this.dependencies;
    // A new edition is only ever made on the primary, under the lock, after reading the stored one again there.
    let edition = await trustListRepository.current(lookups, list);
    if (!edition || !this.isCurrent(list, edition, now)) {
      edition = await db.transaction(async (tx) => {
        await trustListRepository.lock(tx, list);
        const stored = await trustListRepository.current(tx, list);
        if (stored && this.isCurrent(list, stored, now)) return stored; // another process made it meanwhile
        const next = await this.makeEdition(list, (stored?.sequenceNumber ?? 0n) + 1n, now);
        await trustListRepository.store(tx, next);
        return next;
      });
    }
    this.held.set(list, { edition, readAt: Date.now() });
    return edition;
  }

  private async makeEdition(list: TrustListName, sequenceNumber: bigint, now: Date): Promise<StoredTrustList> {
    if (!this.enabled) throw new Error('no TSL signer configured: trusted lists are not published');
    const content = this.content(list);
    const issuedAt = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const nextUpdate = new Date(issuedAt.getTime() + this.settings.validityDays * 86_400_000);
    const document = await this.dependencies.render(content, {
      sequenceNumber,
      issuedAt,
      nextUpdate,
      url: `${this.settings.publicationUrl.replace(/\/+$/, '')}/tsl/${TRUST_LIST_FILES[list]}.xml`,
      operator: this.settings.operator,
    });
    return {
      list,
      sequenceNumber,
      contentSha256: contentDigest(content),
      issuedAt,
      nextUpdate,
      document,
      documentSha256: createHash('sha256').update(document).digest('hex'),
    };
  }
}

function published(edition: StoredTrustList): PublishedTrustList {
  return {
    document: edition.document,
    sha256Hex: edition.documentSha256,
    sequenceNumber: edition.sequenceNumber,
    issuedAt: edition.issuedAt,
    nextUpdate: edition.nextUpdate,
  };
}

/**
 * Which certificate goes in which list, after the keystores the connector fills from each (facts doc §d):
 * transport → SSL truststore (CA/PKC: our CAs), person → CA keystore (CA/PKC: our CAs and the eID CAs),
 * application → TSL keystore (the TLIssuer service: the signer itself, which clients pin) and TSA truststore (TSA).
 * Each CA is its own service, named after its subject, so a withdrawn certificate simply leaves the list.
 */
export function trustListContents(sources: TrustListSources): TrustListContent[] {
  const caService = (der: Buffer): TrustListService => ({ type: SERVICE_TYPES.caPkc, name: parseCertificate(der).subjectDn, certificates: [der] });
  const ourCas = uniqueCertificates([sources.ca.root.cert, ...sources.ca.issuingChain]).map(caService);
  const application: TrustListService[] = [...ourCas];
  if (sources.ca.tslSigner) {
    application.push({
      type: SERVICE_TYPES.tlIssuerAsTheConnectorSpellsIt,
      name: parseCertificate(sources.ca.tslSigner.cert).subjectDn,
      certificates: [sources.ca.tslSigner.cert],
    });
  }
  if (sources.tsa) application.push({ type: SERVICE_TYPES.tsa, name: parseCertificate(sources.tsa).subjectDn, certificates: [sources.tsa] });
  return [
    { list: 'transport', services: ourCas },
    { list: 'person', services: [...ourCas, ...uniqueCertificates(sources.eidCas).map(caService)] },
    { list: 'application', services: application },
  ];
}

function uniqueCertificates(certificates: readonly Buffer[]): Buffer[] {
  const seen = new Set<string>();
  return certificates.filter((der) => {
    const key = der.toString('base64');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
