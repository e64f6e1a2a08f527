import { openTestDatabase, testEngine, type TestDatabase } from '../../../test/support/test-database.js';
import { ServiceError } from '../../domain/errors.js';
import { ContractSealer, type SealedFacts } from './contract-seal.js';
import { certificateContractTexts } from './contract-text.js';
import type { LocalizedText } from './types.js';

const DN = 'CN=SSIN\\=85073003328,OU=eHealth-platform Belgium,OU=JAN TEST,OU=SSIN\\=85073003328,O=Federal Government,C=BE';
const SIGNER = { ids: [{ type: 'SSIN', value: '85073003328' }], firstNames: ['Jan'], name: 'Test' };
const ISSUED = new Date('2026-11-23T10:00:00Z');
const DAY = 24 * 60 * 60 * 1000;

function render(sealMeta: string): LocalizedText[] {
  return certificateContractTexts(
    {
      dn: DN,
      subject: { type: 'SSIN', id: '85073003328', name: 'JAN TEST' },
      signer: SIGNER,
      signerSsin: '85073003328',
      environment: 'acceptance',
      validityMonths: 12,
      replacementMonths: 3,
      issuedAt: ISSUED,
      validUntil: new Date(ISSUED.getTime() + DAY),
    },
    sealMeta,
  );
}

describe(`contract seal on ${testEngine}`, () => {
  let t: TestDatabase;
  let other: TestDatabase;
  const facts: SealedFacts = { kind: 'certificate', dn: DN, signer: SIGNER };
  let texts: LocalizedText[];

  beforeAll(async () => {
    [t, other] = await Promise.all([openTestDatabase(), openTestDatabase()]);
    texts = await new ContractSealer().seal(t.db, facts, ISSUED, render);
  });
  afterAll(async () => {
    await Promise.all([t.close(), other.close()]);
  });

  async function verdict(f: SealedFacts, x: readonly LocalizedText[], now = new Date(ISSUED.getTime() + 1000), db = t.db): Promise<string> {
    try {
      await new ContractSealer().verify(db, f, x, now, DAY);
      return 'valid';
    } catch (error) {
      return error instanceof ServiceError ? error.code : `unexpected ${String(error)}`;
    }
  }

  it('verifies what it sealed, in any process sharing the database', async () => {
    expect(await verdict(facts, texts)).toBe('valid');
  });

  it('accepts the DN as the connector echoes it (any RFC 2253 spelling), since the DN is bound by meaning', async () => {
    expect(
      await verdict(
        { ...facts, dn: 'CN=SSIN=85073003328, OU=eHealth-platform Belgium, OU=JAN TEST, OU="SSIN=85073003328", O=Federal Government, C=BE' },
        texts,
      ),
    ).toBe('valid');
  });

  it.each([
    ['another DN', { ...facts, dn: DN.replace('JAN TEST', 'JAN TESTER') }],
    ['another Signer name', { ...facts, signer: { ...SIGNER, name: 'Tester' } }],
    ['another kind', { ...facts, kind: 'revocation' as const }],
    ['a revocation reason added', { ...facts, revocationReason: 'keyCompromise' as const }],
    ['a public key identifier added', { ...facts, publicKeyIdentifier: 'AB'.repeat(20) }],
  ])('refuses %s', async (_name, altered) => {
    expect(await verdict(altered, texts)).toBe('CONTRACT_INVALID');
  });

  it('refuses altered, dropped, mixed or missing texts and seals', async () => {
    expect(
      await verdict(
        facts,
        texts.map((v) => (v.lang === 'nl' ? { ...v, text: v.text.replace('12 maanden', '120 maanden') } : v)),
      ),
    ).toBe('CONTRACT_INVALID');
    expect(await verdict(facts, texts.slice(0, 2))).toBe('CONTRACT_INVALID');
    expect(
      await verdict(
        facts,
        texts.map((v) => ({ ...v, lang: v.lang === 'fr' ? 'de' : v.lang })),
      ),
    ).toBe('CONTRACT_INVALID');
    const resealed = await new ContractSealer().seal(t.db, facts, new Date(ISSUED.getTime() + 1000), render);
    expect(await verdict(facts, [texts[0]!, resealed[1]!, texts[2]!])).toBe('CONTRACT_INVALID');
    expect(
      await verdict(
        facts,
        texts.map((v) => ({ ...v, text: v.text.replace(/<meta name="ehealth-contract-seal"[^>]*>/, '') })),
      ),
    ).toBe('CONTRACT_INVALID');
  });

  it('refuses a seal made with another key (another deployment)', async () => {
    expect(await verdict(facts, texts, undefined, other.db)).toBe('CONTRACT_INVALID');
  });

  it('refuses an expired contract and one dated in the future', async () => {
    expect(await verdict(facts, texts, new Date(ISSUED.getTime() + DAY))).toBe('valid');
    expect(await verdict(facts, texts, new Date(ISSUED.getTime() + DAY + 1000))).toBe('CONTRACT_INVALID');
    expect(await verdict(facts, texts, new Date(ISSUED.getTime() - 2 * 60 * 1000))).toBe('CONTRACT_INVALID');
  });

  it('escapes every value it puts into the HTML', () => {
    const [fr] = certificateContractTexts(
      {
        dn: DN,
        subject: { type: 'SSIN', id: '85073003328', name: 'JAN <SCRIPT>' },
        signer: { ...SIGNER, name: '<img src=x onerror=alert(1)>' },
        signerSsin: '85073003328',
        environment: 'production',
        validityMonths: 36,
        replacementMonths: 3,
        issuedAt: ISSUED,
        validUntil: ISSUED,
      },
      '',
    );
    expect(fr!.text).not.toContain('<img');
    expect(fr!.text).not.toContain('<SCRIPT>');
    expect(fr!.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(fr!.text).toContain('valable 36 mois');
  });
});
