import { BerError, berChildren, berRaw, berValue, readBerElement, TAG_CLASS } from './ber.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

describe('lazy BER reader', () => {
  it('reads definite and indefinite lengths and chunked octet strings as Bouncy Castle writes them', () => {
    // SEQUENCE (indefinite) { OID 1.2.840.113549.1.7.1, [0] (indefinite) { OCTET STRING (constructed, indefinite) { "ab", "c" } } }
    const bytes = hex('30 80 06 09 2a864886f70d010701 a0 80 24 80 04 02 6162 04 01 63 0000 0000 0000');
    const sequence = readBerElement(bytes);
    expect({ tagClass: sequence.tagClass, tagNumber: sequence.tagNumber, constructed: sequence.constructed, end: sequence.end }).toEqual({
      tagClass: TAG_CLASS.universal,
      tagNumber: 16,
      constructed: true,
      end: bytes.length,
    });
    const [oid, explicit] = berChildren(sequence);
    expect(berValue(oid!)).toEqual(hex('2a864886f70d010701'));
    expect(explicit!.tagClass).toBe(TAG_CLASS.context);
    const [chunked] = berChildren(explicit!);
    expect(berChildren(chunked!).map((chunk) => berValue(chunk).toString())).toEqual(['ab', 'c']);
    expect(berRaw(oid!)).toEqual(hex('06 09 2a864886f70d010701'));
  });

  it('reads long-form lengths and leaves the inside of an element unread until asked', () => {
    const inner = Buffer.alloc(300, 0x41);
    const bytes = Buffer.concat([hex('30 82 0130'), hex('04 82 012c'), inner]);
    const sequence = readBerElement(bytes);
    const [octets] = berChildren(sequence);
    expect(berValue(octets!)).toEqual(inner);
  });

  it('refuses what is not one well-formed element', () => {
    const cases: Array<[string, Buffer]> = [
      ['trailing bytes', hex('04 01 61 00')],
      ['truncated', hex('04 05 6162')],
      ['indefinite primitive', hex('04 80 61 0000')],
      ['indefinite without end-of-contents', hex('30 80 04 01 61')],
      ['high tag number', hex('1f 81 00 00')],
      ['five-byte length', hex('04 85 0000000001 61')],
      ['child past its parent', hex('30 03 04 05 61')],
    ];
    for (const [what, bytes] of cases) {
      expect({
        what,
        refused: (() => {
          try {
            const element = readBerElement(bytes);
            if (element.constructed) berChildren(element);
            return false;
          } catch (error) {
            return error instanceof BerError;
          }
        })(),
      }).toEqual({ what, refused: true });
    }
  });

  it('refuses nesting deeper than any CMS message', () => {
    const depth = 100;
    const bomb = Buffer.concat([Buffer.alloc(depth * 2).map((_, index) => (index % 2 === 0 ? 0x30 : 0x80)), Buffer.alloc(depth * 2)]);
    expect(() => readBerElement(bomb)).toThrow(/nesting too deep/u);
  });
});
