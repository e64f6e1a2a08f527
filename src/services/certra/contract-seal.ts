import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Actor, RevocationReason } from '../../domain/certra.js';
import { ServiceError } from '../../domain/errors.js';
import { normaliseKeyId } from '../../domain/key-id.js';
import { dnCanonicalKey } from '../../identifiers/index.js';
import type { Queryable } from '../../storage/database.js';
import { certRaSecrets } from '../../storage/certra-registrations.js';
import type { LocalizedText } from './types.js';

/**
 * Contracts are sealed rather than stored: generateContract and generateRevocationContract are public, so they must
 * not write anything. The seal is an HMAC (key in certra_secrets) over everything that gives the contract its meaning
 * (kind, DN, Signer, reason, the certificate it revokes, the texts shown to the user, the issue time). It travels
 * inside each HTML text as <meta name="ehealth-contract-seal" content="v1.<issued-at seconds>.<base64url MAC>">, the
 * one place of ContractType a client echoes untouched, and is blanked out of the texts before the MAC is computed.
 */

export const SEAL_KEY_NAME = 'contract-seal-v1';
const SEAL_VERSION = 'v1';
const SEAL_META = /<meta name="ehealth-contract-seal" content="([^"]*)">/gu;
const SEAL_VALUE = /^v1\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})$/u;

export type ContractKind = 'certificate' | 'revocation';

/** What a contract binds, besides its texts. */
export interface SealedFacts {
  readonly kind: ContractKind;
  readonly dn: string;
  readonly signer: Actor;
  readonly revocationReason?: RevocationReason;
  /** Revocation contracts: the certificate they revoke (the contract type itself does not carry it). */
  readonly publicKeyIdentifier?: string;
}

/** The HTML meta element that carries a seal (empty content while the MAC is computed). */
export function sealMetaElement(seal: string): string {
  return `<meta name="ehealth-contract-seal" content="${seal}">`;
}

export class ContractSealer {
  private key: Buffer | undefined;

  /** The key is read once per process; every process reads the same row. */
  private async sealKey(q: Queryable): Promise<Buffer> {
    if (!this.key) {
      const key = await certRaSecrets.get(q, SEAL_KEY_NAME);
      if (!key) throw new Error(`the ${SEAL_KEY_NAME} secret is missing (migration 0002 not applied?)`);
      this.key = key;
    }
    return this.key;
  }

  /** Renders the texts twice: once with an empty seal to compute the MAC, then with the seal. */
  async seal(q: Queryable, facts: SealedFacts, issuedAt: Date, render: (sealMeta: string) => LocalizedText[]): Promise<LocalizedText[]> {
    const issuedAtSeconds = Math.floor(issuedAt.getTime() / 1000);
    const mac = this.mac(await this.sealKey(q), facts, issuedAtSeconds, render(sealMetaElement('')));
    return render(sealMetaElement(`${SEAL_VERSION}.${issuedAtSeconds}.${mac.toString('base64url')}`));
  }

  /**
   * Checks that the contract was issued by this service, unaltered, and is still valid; returns its issue time.
   * Every failure is CONTRACT_INVALID (which one is logged, not sent).
   */
  async verify(q: Queryable, facts: SealedFacts, texts: readonly LocalizedText[], now: Date, validityMs: number): Promise<Date> {
    const seals = new Set<string>();
    for (const { text } of texts) {
      const found = [...text.matchAll(SEAL_META)];
      if (found.length !== 1) throw invalid('a contract text has no seal, or more than one');
      seals.add(found[0]![1]!);
    }
    if (seals.size !== 1) throw invalid('the contract texts carry different seals');
    const [seal] = seals;
    const parsed = SEAL_VALUE.exec(seal!);
    if (!parsed) throw invalid('the contract seal is malformed');
    const issuedAtSeconds = Number(parsed[1]);
    const presented = Buffer.from(parsed[2]!, 'base64url');
    const blanked = texts.map((t) => ({ lang: t.lang, text: t.text.replace(SEAL_META, sealMetaElement('')) }));
    let expected: Buffer;
    try {
      expected = this.mac(await this.sealKey(q), facts, issuedAtSeconds, blanked);
    } catch (error) {
      if (error instanceof ServiceError) throw error;
      throw invalid('the contract DN cannot be parsed', error);
    }
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) throw invalid('the contract seal does not match its content');
    const issuedAt = new Date(issuedAtSeconds * 1000);
    if (now.getTime() - issuedAt.getTime() > validityMs) throw invalid(`the contract issued at ${issuedAt.toISOString()} has expired`);
    // A contract from the future was not issued by this clock: refuse rather than extend its life.
    if (issuedAt.getTime() - now.getTime() > 60_000) throw invalid('the contract is dated in the future');
    return issuedAt;
  }

  private mac(key: Buffer, facts: SealedFacts, issuedAtSeconds: number, texts: readonly LocalizedText[]): Buffer {
    // The DN is bound by meaning (the connector re-escapes it before echoing); everything else byte for byte.
    const canonical = JSON.stringify([
      SEAL_VERSION,
      facts.kind,
      issuedAtSeconds,
      dnCanonicalKey(facts.dn),
      facts.signer.ids.map((id) => [id.type, id.value]),
      facts.signer.firstNames,
      facts.signer.name,
      facts.revocationReason ?? null,
      facts.publicKeyIdentifier === undefined ? null : normaliseKeyId(facts.publicKeyIdentifier),
      texts.map((t) => [t.lang, t.text]),
    ]);
    return createHmac('sha256', key).update(canonical, 'utf8').digest();
  }
}

function invalid(detail: string, cause?: unknown): ServiceError {
  return new ServiceError('CONTRACT_INVALID', detail, { cause });
}
