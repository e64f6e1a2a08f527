import { formatKeyId, normaliseKeyId } from './key-id.js';

describe('key identifiers', () => {
  it('are upper-case hex of every octet, leading zeros kept, no separators (docs/wire-facts.md §1)', () => {
    const sha1 = Buffer.from('00a1b2c3d4e5f60718293a4b5c6d7e8f90abcdef', 'hex');
    expect(formatKeyId(sha1)).toBe('00A1B2C3D4E5F60718293A4B5C6D7E8F90ABCDEF');
    expect(formatKeyId(Buffer.alloc(0))).toBe('');
  });

  it('normalise hex text of either case to the same spelling', () => {
    expect(normaliseKeyId('00a1B2c3')).toBe('00A1B2C3');
    expect(normaliseKeyId(formatKeyId(Buffer.from([0xab, 0x01])))).toBe('AB01');
  });
});
