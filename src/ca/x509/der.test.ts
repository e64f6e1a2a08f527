import fc from 'fast-check';
import {
  DerError,
  TAG,
  childrenOf,
  decodeOid,
  encodeLength,
  encodeOid,
  encodeSequence,
  encodeTlv,
  encodeUnsignedInteger,
  readSingleTlv,
  readTlv,
  tlvValue,
} from './der.js';

describe('DER reader', () => {
  it('reads short and long lengths', () => {
    const short = encodeTlv(TAG.OCTET_STRING, Buffer.alloc(5));
    expect(readSingleTlv(short)).toEqual({ tag: 4, start: 0, valueStart: 2, end: 7 });
    const long = encodeTlv(TAG.OCTET_STRING, Buffer.alloc(300));
    expect(long.subarray(0, 4)).toEqual(Buffer.from([0x04, 0x82, 0x01, 0x2c]));
    expect(readSingleTlv(long).end).toBe(304);
  });

  it.each([
    ['indefinite length', '3080'],
    ['non-minimal long form', `048105${'00'.repeat(5)}`],
    ['leading zero length octet', `04820005${'00'.repeat(5)}`],
    ['truncated value', '0405000000'],
    ['high tag number', '1f0100'],
  ])('refuses %s', (_what, hex) => {
    expect(() => readTlv(Buffer.from(hex, 'hex'), 0)).toThrow(DerError);
  });

  it('refuses trailing bytes after a single value', () => {
    expect(() => readSingleTlv(Buffer.from('050000', 'hex'))).toThrow(/trailing/);
  });

  it('splits a SEQUENCE into its children and refuses children overrunning it', () => {
    const seq = encodeSequence(encodeTlv(TAG.INTEGER, Buffer.from([1])), encodeTlv(TAG.NULL, Buffer.alloc(0)));
    expect(childrenOf(seq, readSingleTlv(seq)).map((c) => c.tag)).toEqual([TAG.INTEGER, TAG.NULL]);
    const broken = Buffer.from('30030203010203', 'hex'); // child claims 3 octets, parent holds 1 more
    expect(() => childrenOf(broken, readTlv(broken, 0))).toThrow(DerError);
  });

  it('round-trips OIDs', () => {
    for (const oid of ['1.2.840.113549.1.1.11', '2.5.29.37', '0.9.2342.19200300.100.1.25', '2.999.3', '1.3.6.1.4.1.311.60.2.1.3']) {
      const der = encodeOid(oid);
      expect(decodeOid(tlvValue(der, readSingleTlv(der)))).toBe(oid);
    }
    expect(encodeOid('1.2.840.113549.1.1.11').toString('hex')).toBe('06092a864886f70d01010b');
  });

  it('round-trips random OIDs and lengths (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 39 }),
        fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n }), { maxLength: 8 }),
        (a, b, rest) => {
          const oid = [a, b, ...rest].join('.');
          const der = encodeOid(oid);
          return decodeOid(tlvValue(der, readSingleTlv(der))) === oid;
        },
      ),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 70000 }), (n) => {
        const der = Buffer.concat([Buffer.from([0x04]), encodeLength(n), Buffer.alloc(n)]);
        return readSingleTlv(der).end === der.length;
      }),
      { numRuns: 50 },
    );
  });

  it('encodes unsigned integers minimally, adding a sign octet only when needed', () => {
    expect(encodeUnsignedInteger(Buffer.from([0x00, 0x00, 0x7f])).toString('hex')).toBe('02017f');
    expect(encodeUnsignedInteger(Buffer.from([0x80])).toString('hex')).toBe('02020080');
    expect(encodeUnsignedInteger(Buffer.alloc(0)).toString('hex')).toBe('020100');
  });
});
