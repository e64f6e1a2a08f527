import fc from 'fast-check';
import {
  DnParseError,
  dnCanonicalKey,
  dnEquals,
  dnEqualsOrdered,
  dnEqualsUnordered,
  escapeDnValue,
  formatDn,
  normaliseAttributeType,
  parseDn,
  tryParseDn,
  type DnAttribute,
} from './dn.js';

const JAVA_PERSON = 'CN=SSIN\\=85073003328,OU=eHealth-platform Belgium,OU=JAN TEST,OU=SSIN\\=85073003328,O=Federal Government,C=BE';
const NET_EHP =
  'CN="EHP=1990001916, VITALINKGATEWAY", OU=eHealth-platform Belgium, OU=VLAAMS AGENTSCHAP ZORG EN GEZONDHEID, OU="EHP=1990001916", OU=VITALINKGATEWAY, O=Federal Government, C=BE';

const tv = (dn: string) => parseDn(dn).map(({ type, value }) => [type, value]);

describe('parseDn', () => {
  test('Java RFC 2253 eHealth DN', () => {
    expect(parseDn(JAVA_PERSON)).toEqual([
      { type: 'CN', value: 'SSIN=85073003328', rdn: 0 },
      { type: 'OU', value: 'eHealth-platform Belgium', rdn: 1 },
      { type: 'OU', value: 'JAN TEST', rdn: 2 },
      { type: 'OU', value: 'SSIN=85073003328', rdn: 3 },
      { type: 'O', value: 'Federal Government', rdn: 4 },
      { type: 'C', value: 'BE', rdn: 5 },
    ]);
  });

  test('.NET display form with quoted values and ", " separators', () => {
    expect(tv(NET_EHP)).toEqual([
      ['CN', 'EHP=1990001916, VITALINKGATEWAY'],
      ['OU', 'eHealth-platform Belgium'],
      ['OU', 'VLAAMS AGENTSCHAP ZORG EN GEZONDHEID'],
      ['OU', 'EHP=1990001916'],
      ['OU', 'VITALINKGATEWAY'],
      ['O', 'Federal Government'],
      ['C', 'BE'],
    ]);
  });

  test('issuer DN with SERIALNUMBER', () => {
    expect(tv('CN=ZetesConfidens Private Trust PKI - eHealth issuing CA 001, SERIALNUMBER=001, O=ZETES SA, C=BE')).toEqual([
      ['CN', 'ZetesConfidens Private Trust PKI - eHealth issuing CA 001'],
      ['SERIALNUMBER', '001'],
      ['O', 'ZETES SA'],
      ['C', 'BE'],
    ]);
  });

  test('backslash escapes of every special character', () => {
    expect(tv('CN=a\\,b\\=c\\+d\\;e\\<f\\>g\\#h\\"i\\\\j')).toEqual([['CN', 'a,b=c+d;e<f>g#h"i\\j']]);
    expect(tv('CN=\\#start')).toEqual([['CN', '#start']]);
  });

  test('hex pairs are decoded as UTF-8, consecutive pairs together', () => {
    expect(tv('CN=Caf\\C3\\A9')).toEqual([['CN', 'Café']]);
    expect(tv('CN=\\41BC')).toEqual([['CN', 'ABC']]);
    expect(tv('CN=\\e2\\82\\ac 5')).toEqual([['CN', '€ 5']]);
    expect(() => parseDn('CN=\\C3')).toThrow(DnParseError);
    expect(() => parseDn('CN=\\C3x')).toThrow(DnParseError);
  });

  test('quoted values keep white space and special characters; \\" and "" are quotes', () => {
    expect(tv('CN="a, b = c + d; e"')).toEqual([['CN', 'a, b = c + d; e']]);
    expect(tv('OU=" x "')).toEqual([['OU', ' x ']]);
    expect(tv('CN="say ""hi"""')).toEqual([['CN', 'say "hi"']]);
    expect(tv('CN="x\\"y\\\\z"')).toEqual([['CN', 'x"y\\z']]);
    expect(tv('CN="",OU=b')).toEqual([
      ['CN', ''],
      ['OU', 'b'],
    ]);
  });

  test('white space around separators and "=" is ignored; unescaped trailing spaces are dropped, escaped ones kept', () => {
    expect(tv('  CN = a  ,  OU =b ;O= c\t,\nC=BE ')).toEqual([
      ['CN', 'a'],
      ['OU', 'b'],
      ['O', 'c'],
      ['C', 'BE'],
    ]);
    expect(tv('CN=a b  c')).toEqual([['CN', 'a b  c']]);
    expect(tv('CN=a\\ ')).toEqual([['CN', 'a ']]);
    expect(tv('CN=\\ a')).toEqual([['CN', ' a']]);
    expect(tv('CN=a\\20')).toEqual([['CN', 'a ']]);
  });

  test('unescaped "=", "<", ">" and inner "#" are accepted in values', () => {
    expect(tv('CN=SSIN=85073003328,OU=a<b>c#d')).toEqual([
      ['CN', 'SSIN=85073003328'],
      ['OU', 'a<b>c#d'],
    ]);
  });

  test('";" separates RDNs; "+" builds multi-valued RDNs', () => {
    expect(parseDn('CN=a+SERIALNUMBER=1;OU=b,C=BE')).toEqual([
      { type: 'CN', value: 'a', rdn: 0 },
      { type: 'SERIALNUMBER', value: '1', rdn: 0 },
      { type: 'OU', value: 'b', rdn: 1 },
      { type: 'C', value: 'BE', rdn: 2 },
    ]);
  });

  test.each([
    ['cn', 'CN'],
    ['commonName', 'CN'],
    ['2.5.4.3', 'CN'],
    ['OID.2.5.4.3', 'CN'],
    ['oid.2.5.4.11', 'OU'],
    ['2.5.4.5', 'SERIALNUMBER'],
    ['serialNumber', 'SERIALNUMBER'],
    ['SN', 'SN'],
    ['surname', 'SN'],
    ['2.5.4.4', 'SN'],
    ['G', 'GIVENNAME'],
    ['GN', 'GIVENNAME'],
    ['givenName', 'GIVENNAME'],
    ['2.5.4.42', 'GIVENNAME'],
    ['E', 'EMAILADDRESS'],
    ['emailAddress', 'EMAILADDRESS'],
    ['1.2.840.113549.1.9.1', 'EMAILADDRESS'],
    ['S', 'ST'],
    ['st', 'ST'],
    ['l', 'L'],
    ['dc', 'DC'],
    ['1.2.3.04', '1.2.3.4'],
    ['foo-bar', 'FOO-BAR'],
  ])('attribute type %s → %s', (raw, canonical) => {
    expect(normaliseAttributeType(raw)).toBe(canonical);
    expect(parseDn(`${raw}=v`)[0]!.type).toBe(canonical);
  });

  test('#hex values: BER strings are decoded, other types kept as text', () => {
    expect(tv('2.5.4.5=#130b3835303733303033333238')).toEqual([['SERIALNUMBER', '85073003328']]);
    expect(tv('CN=#0C03616263')).toEqual([['CN', 'abc']]);
    expect(tv('CN=#1E0400E90041')).toEqual([['CN', 'éA']]);
    expect(tv('CN=#0403010203 , C=BE')).toEqual([
      ['CN', '#0403010203'],
      ['C', 'BE'],
    ]);
    expect(() => parseDn('CN=#123')).toThrow(DnParseError);
    expect(() => parseDn('CN=#')).toThrow(DnParseError);
  });

  test('eID certificate DN (display form)', () => {
    expect(tv('SERIALNUMBER=85073003328, G=Jan, SN=Test, CN=Jan Test (Authentication), C=BE')).toEqual([
      ['SERIALNUMBER', '85073003328'],
      ['GIVENNAME', 'Jan'],
      ['SN', 'Test'],
      ['CN', 'Jan Test (Authentication)'],
      ['C', 'BE'],
    ]);
  });

  test('empty and blank strings are the empty DN', () => {
    expect(parseDn('')).toEqual([]);
    expect(parseDn('   ')).toEqual([]);
  });

  test.each(['CN', 'CN=a,', 'CN=a+', '=a', ',CN=a', 'CN="abc', 'CN=a\\', 'CN="a"b', 'CN=a,,OU=b', 'C N=a', 'CN=\uD800'])('%j is rejected', (bad) => {
    expect(() => parseDn(bad)).toThrow(DnParseError);
    expect(tryParseDn(bad)).toBeNull();
  });

  test('DnParseError carries the offset', () => {
    try {
      parseDn('CN=a,OU');
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(DnParseError);
      expect((e as DnParseError).position).toBe(7);
    }
  });
});

describe('formatDn / escapeDnValue', () => {
  test('Java RFC 2253 escaping', () => {
    expect(escapeDnValue('NIHII-HOSPITAL=71089815, MYAPP')).toBe('NIHII-HOSPITAL\\=71089815\\, MYAPP');
    expect(escapeDnValue('a+b;c<d>e#f"g\\h')).toBe('a\\+b\\;c\\<d\\>e\\#f\\"g\\\\h');
    expect(escapeDnValue('  a b  ')).toBe('\\ \\ a b\\ \\ ');
    expect(escapeDnValue('x\ny')).toBe('x\\0Ay');
    expect(escapeDnValue('Café')).toBe('Café');
  });

  test('RFC 4514 edge cases, escaped as Java X500Principal.getName("RFC2253") writes them', () => {
    const cases: ReadonlyArray<[string, string]> = [
      [' ', '\\ '], // a lone space is leading (and trailing): escaped once
      ['  ', '\\ \\ '],
      [' lead', '\\ lead'],
      ['trail ', 'trail\\ '],
      ['in side', 'in side'],
      ['#start', '\\#start'],
      ['mid#dle', 'mid\\#dle'], // RFC 4514 needs it only first; Java escapes it anywhere
      [',+"\\<>;=', '\\,\\+\\"\\\\\\<\\>\\;\\='],
      ['Zoë Ñandú 東京 😀', 'Zoë Ñandú 東京 😀'], // non-ASCII as it is (UTF-8 on the wire)
      ['nul\u0000', 'nul\\00'],
      ['', ''],
    ];
    for (const [value, escaped] of cases) {
      expect(escapeDnValue(value)).toBe(escaped);
      expect(parseDn(`CN=${escaped}`)).toEqual([{ type: 'CN', value, rdn: 0 }]);
    }
  });

  test('multi-valued RDNs are joined with "+", RDNs with ","; BER values are written as #hex', () => {
    const attributes = [
      { type: 'CN', value: 'a+b', rdn: 0 },
      { type: 'SERIALNUMBER', value: '123', rdn: 0 },
      { type: 'O', value: 'x,y', rdn: 1 },
      { type: 'C', value: 'BE', rdn: 2 },
    ];
    expect(formatDn(attributes)).toBe('CN=a\\+b+SERIALNUMBER=123,O=x\\,y,C=BE');
    expect(parseDn(formatDn(attributes))).toEqual(attributes);
    const ber = Uint8Array.from([0x01, 0x01, 0xff]); // BOOLEAN TRUE: not a directory string
    expect(
      formatDn([
        { type: '1.2.3.4', value: '#0101ff', ber },
        { type: 'C', value: 'BE' },
      ]),
    ).toBe('1.2.3.4=#0101ff,C=BE');
    expect(
      dnEqualsOrdered('1.2.3.4=#0101ff,C=BE', [
        { type: '1.2.3.4', value: '#0101ff' },
        { type: 'C', value: 'BE' },
      ]),
    ).toBe(true);
  });

  test('display style reproduces the .NET form of §6', () => {
    expect(formatDn(parseDn(NET_EHP), { style: 'display' })).toBe(NET_EHP);
    expect(escapeDnValue(' a', 'display')).toBe('" a"');
    expect(escapeDnValue('', 'display')).toBe('""');
    expect(escapeDnValue('plain', 'display')).toBe('plain');
  });

  test('RFC 2253 style reproduces the Java form', () => {
    expect(formatDn(parseDn(NET_EHP))).toBe(
      'CN=EHP\\=1990001916\\, VITALINKGATEWAY,OU=eHealth-platform Belgium,OU=VLAAMS AGENTSCHAP ZORG EN GEZONDHEID,OU=EHP\\=1990001916,OU=VITALINKGATEWAY,O=Federal Government,C=BE',
    );
    expect(formatDn(parseDn(JAVA_PERSON))).toBe(JAVA_PERSON);
  });

  test('multi-valued RDNs are joined with "+"; attributes without rdn are separate RDNs', () => {
    expect(formatDn(parseDn('CN=a+SERIALNUMBER=1,C=BE'))).toBe('CN=a+SERIALNUMBER=1,C=BE');
    expect(
      formatDn([
        { type: 'CN', value: 'a' },
        { type: 'C', value: 'BE' },
      ]),
    ).toBe('CN=a,C=BE');
  });
});

describe('DN equality', () => {
  const reversedJava = 'C=BE,O=Federal Government,OU=SSIN\\=85073003328,OU=JAN TEST,OU=eHealth-platform Belgium,CN=SSIN\\=85073003328';
  const unescaped = 'CN=SSIN=85073003328, OU=eHealth-platform Belgium, OU=JAN TEST, OU=SSIN=85073003328, O=Federal Government, C=BE';
  const quoted = 'CN="SSIN=85073003328", OU=eHealth-platform Belgium, OU=JAN TEST, OU="SSIN=85073003328", O=Federal Government, C=BE';

  test('escaping style and white space do not matter', () => {
    for (const other of [unescaped, quoted, JAVA_PERSON.replace(/,/gu, ' ; ')]) {
      expect(dnEqualsOrdered(JAVA_PERSON, other)).toBe(true);
      expect(dnEqualsUnordered(JAVA_PERSON, other)).toBe(true);
    }
  });

  test('RDN order matters only for the ordered comparison; dnEquals is the unordered one', () => {
    expect(dnEqualsOrdered(JAVA_PERSON, reversedJava)).toBe(false);
    expect(dnEqualsUnordered(JAVA_PERSON, reversedJava)).toBe(true);
    expect(dnEquals).toBe(dnEqualsUnordered);
  });

  test('attribute types compare after normalisation', () => {
    expect(dnEquals('2.5.4.3=a,2.5.4.11=b,2.5.4.6=BE', 'cn=a, ou=b, c=BE')).toBe(true);
    expect(dnEquals('2.5.4.5=#130b3835303733303033333238', 'SERIALNUMBER=85073003328')).toBe(true);
  });

  test('values: trimmed, NFC-normalised, case-sensitive except C', () => {
    expect(dnEquals('CN=a,C=be', 'CN=a,C=BE')).toBe(true);
    expect(dnEquals('OU=JAN TEST', 'OU=Jan Test')).toBe(false);
    expect(dnEquals('OU=" JAN TEST "', 'OU=JAN TEST')).toBe(true);
    expect(dnEquals('OU=Cafe\u0301', 'OU=Caf\u00e9')).toBe(true);
    expect(dnEquals('OU=JAN  TEST', 'OU=JAN TEST')).toBe(false);
  });

  test('multiplicity and RDN grouping count', () => {
    expect(dnEquals('OU=a,OU=a,C=BE', 'OU=a,C=BE')).toBe(false);
    expect(dnEquals('CN=a+OU=b', 'CN=a,OU=b')).toBe(false);
    expect(dnEquals('CN=a+OU=b', 'OU=b+CN=a')).toBe(true);
    expect(dnEqualsOrdered('CN=a+OU=b,C=BE', 'OU=b+CN=a,C=BE')).toBe(true);
  });

  test('an unparsable DN equals nothing', () => {
    expect(dnEquals('CN="x', 'CN="x')).toBe(false);
    expect(dnEqualsOrdered('CN=', 'CN=')).toBe(true);
  });

  test('dnCanonicalKey', () => {
    expect(dnCanonicalKey(JAVA_PERSON)).toBe(dnCanonicalKey(reversedJava));
    expect(dnCanonicalKey(JAVA_PERSON)).toBe(dnCanonicalKey(quoted));
    expect(dnCanonicalKey(JAVA_PERSON)).not.toBe(dnCanonicalKey(JAVA_PERSON.replace('JAN', 'JEAN')));
    expect(() => dnCanonicalKey('CN="x')).toThrow(DnParseError);
  });
});

// ------------------------------------------------------------------------------------------------
// Properties

const TYPES = ['CN', 'OU', 'O', 'C', 'L', 'ST', 'SERIALNUMBER', 'GIVENNAME', 'SN', 'EMAILADDRESS'];
const SPECIALS = [',', '=', '+', ';', '<', '>', '#', '"', '\\', ' ', '\t', '\n', 'é', '€', '😀', 'a', 'Z', '0'];

const valueArb = fc.oneof(
  fc.string({ unit: fc.constantFrom(...SPECIALS), maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 12 }),
);

/** Attribute lists in string order, with random multi-valued grouping. */
const dnArb: fc.Arbitrary<DnAttribute[]> = fc
  .array(fc.record({ type: fc.constantFrom(...TYPES), value: valueArb, joinPrev: fc.boolean() }), { minLength: 1, maxLength: 7 })
  .map((items) => {
    let rdn = 0;
    return items.map((it, k) => {
      if (k > 0 && !it.joinPrev) rdn++;
      return { type: it.type, value: it.value, rdn };
    });
  });

/** Non-empty values that are already trimmed (what dnEquals compares): for the "changed value" property. */
const HEX = (ch: string) => Array.from(new TextEncoder().encode(ch), (b) => `\\${b.toString(16).padStart(2, '0')}`).join('');

/**
 * An alternative, independently written encoder: every character is randomly written plainly (when
 * allowed), backslash-escaped or hex-escaped, or the whole value is quoted; random white space goes
 * around separators and '='; ',' or ';' between RDNs; keyword or OID types.
 */
function variantArb(attrs: DnAttribute[]): fc.Arbitrary<string> {
  const OIDS: Record<string, string> = {
    CN: '2.5.4.3',
    OU: '2.5.4.11',
    O: '2.5.4.10',
    C: '2.5.4.6',
    L: '2.5.4.7',
    ST: '2.5.4.8',
    SERIALNUMBER: '2.5.4.5',
    GIVENNAME: '2.5.4.42',
    SN: '2.5.4.4',
    EMAILADDRESS: '1.2.840.113549.1.9.1',
  };
  const ws = fc.constantFrom('', ' ', '  ', '\t', '\n');
  const n = attrs.length;
  return fc
    .record({
      quote: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
      modes: fc.array(fc.array(fc.constantFrom(0, 1, 2), { minLength: 64, maxLength: 64 }), { minLength: n, maxLength: n }),
      typeForm: fc.array(fc.constantFrom(0, 1, 2), { minLength: n, maxLength: n }),
      spaces: fc.array(fc.tuple(ws, ws, ws, ws), { minLength: n, maxLength: n }),
      semicolon: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
    })
    .map(({ quote, modes, typeForm, spaces, semicolon }) => {
      let out = '';
      attrs.forEach((a, k) => {
        const [s1, s2, s3, s4] = spaces[k]!;
        if (k > 0) out += s1 + (a.rdn === attrs[k - 1]!.rdn ? '+' : semicolon[k] ? ';' : ',') + s2;
        const type = typeForm[k] === 0 ? a.type : typeForm[k] === 1 ? a.type.toLowerCase() : `OID.${OIDS[a.type]}`;
        const chars = Array.from(a.value);
        let v: string;
        if (quote[k]) {
          v =
            '"' +
            chars
              .map((ch, i) => (ch === '"' ? (modes[k]![i % 64] === 0 ? '""' : '\\"') : ch === '\\' ? '\\\\' : modes[k]![i % 64] === 2 ? HEX(ch) : ch))
              .join('') +
            '"';
        } else {
          v = chars
            .map((ch, i) => {
              const mode = modes[k]![i % 64]!;
              const mustEscape =
                [',', ';', '+', '\\'].includes(ch) ||
                (i === 0 && (ch === '#' || ch === '"')) ||
                ((i === 0 || i === chars.length - 1) && [' ', '\t', '\n', '\r'].includes(ch));
              if (mode === 2 || (mustEscape && (ch === '\t' || ch === '\n' || ch === '\r'))) return HEX(ch);
              // (a backslash before a hex digit would start a hex pair, so hex digits are never backslash-escaped)
              if (mustEscape || (mode === 1 && !/[0-9A-Fa-f]/u.test(ch))) return `\\${ch}`;
              return ch;
            })
            .join('');
        }
        out += `${type}${s3}=${s4}${v}`;
      });
      return out;
    });
}

describe('DN properties', () => {
  test('parseDn(formatDn(x)) = x in both styles', () => {
    fc.assert(
      fc.property(dnArb, fc.constantFrom('rfc2253' as const, 'display' as const), (attrs, style) => {
        expect(parseDn(formatDn(attrs, { style }))).toEqual(attrs);
      }),
      { numRuns: 500 },
    );
  });

  test('any escaping / quoting / white-space / type-spelling variant parses to the same attributes', () => {
    fc.assert(
      fc.property(
        dnArb.chain((attrs) => fc.tuple(fc.constant(attrs), variantArb(attrs))),
        ([attrs, variant]) => {
          expect(parseDn(variant)).toEqual(attrs);
          expect(dnEqualsOrdered(variant, formatDn(attrs))).toBe(true);
          expect(dnEqualsUnordered(variant, formatDn(attrs, { style: 'display' }))).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('reversing the RDN order keeps unordered equality, breaks ordered equality unless symmetric', () => {
    fc.assert(
      fc.property(dnArb, (attrs) => {
        const groups: DnAttribute[][] = [];
        for (const a of attrs) (groups[a.rdn] ??= []).push(a);
        const reversed = groups.reverse().flatMap((g, i) => g.map((a) => ({ ...a, rdn: i })));
        const s = formatDn(attrs);
        const r = formatDn(reversed, { style: 'display' });
        expect(dnEqualsUnordered(s, r)).toBe(true);
        expect(dnCanonicalKey(s)).toBe(dnCanonicalKey(r));
        const key = (g: DnAttribute[]) => JSON.stringify(g.map((a) => [a.type, a.value.trim().normalize('NFC')]).sort());
        const palindrome = groups.every((g, i) => key(g) === key(groups[groups.length - 1 - i]!));
        expect(dnEqualsOrdered(s, r)).toBe(palindrome);
      }),
      { numRuns: 300 },
    );
  });

  test('changing one value (beyond white space) breaks equality', () => {
    fc.assert(
      fc.property(dnArb, fc.nat(), fc.constantFrom('x', 'É', '=', ','), (attrs, pick, extra) => {
        const k = pick % attrs.length;
        const changed = attrs.map((a, i) => (i === k ? { ...a, value: `${a.value + extra}q` } : a));
        expect(dnEqualsUnordered(formatDn(attrs), formatDn(changed))).toBe(false);
        expect(dnEqualsOrdered(formatDn(attrs), formatDn(changed))).toBe(false);
      }),
    );
  });
});
