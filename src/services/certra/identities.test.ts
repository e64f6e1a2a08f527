import { ServiceError } from '../../domain/errors.js';
import { assertSignerIs, ssinOf, type SignerIdentity } from './identities.js';

const NOW = new Date('2026-11-23T00:00:00Z');
const eid: SignerIdentity = { ssin: '85073003328', givenName: 'Jan Pieter', surname: 'Van den Bossche' };

function codeOf(action: () => void): string | undefined {
  try {
    action();
    return undefined;
  } catch (error) {
    return error instanceof ServiceError ? error.code : `unexpected ${String(error)}`;
  }
}

describe('the Signer element against the eID that signed', () => {
  it.each([
    ['exact', { firstNames: ['Jan Pieter'], name: 'Van den Bossche' }, undefined],
    ['first given name only, other case, hyphen', { firstNames: ['JAN'], name: 'VAN-DEN BOSSCHE' }, undefined],
    ['no first name', { firstNames: [], name: 'van den bossche' }, undefined],
    ['another surname', { firstNames: ['Jan'], name: 'Bossche' }, 'SIGNER_MISMATCH'],
    ['another given name', { firstNames: ['Pieter'], name: 'Van den Bossche' }, 'SIGNER_MISMATCH'],
    ['more given names than the eID', { firstNames: ['Jan', 'Pieter', 'Karel'], name: 'Van den Bossche' }, 'SIGNER_MISMATCH'],
  ])('%s', (_name, names, expected) => {
    expect(codeOf(() => assertSignerIs(eid, { ids: [{ type: 'SSIN', value: '85073003328' }], ...names }, NOW))).toBe(expected);
  });

  it('refuses another SSIN, a missing or repeated SSIN, and a wrong check digit', () => {
    const actor = (ids: Array<{ type: string; value: string }>) => ({ ids, firstNames: ['Jan'], name: 'Van den Bossche' });
    expect(codeOf(() => assertSignerIs(eid, actor([{ type: 'SSIN', value: '79041214518' }]), NOW))).toBe('SIGNER_MISMATCH');
    expect(codeOf(() => ssinOf(actor([{ type: 'NIHII11', value: '12345625001' }]), NOW, 'Signer'))).toBe('INVALID_REQUEST');
    expect(
      codeOf(() =>
        ssinOf(
          actor([
            { type: 'SSIN', value: '85073003328' },
            { type: 'SSIN', value: '79041214518' },
          ]),
          NOW,
          'Signer',
        ),
      ),
    ).toBe('INVALID_REQUEST');
    expect(codeOf(() => ssinOf(actor([{ type: 'SSIN', value: '85073003329' }]), NOW, 'Signer'))).toBe('INVALID_IDENTIFIER');
  });
});
