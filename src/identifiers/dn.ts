/**
 * Distinguished names as strings: a lenient-but-unambiguous RFC 4514 / RFC 2253 / RFC 1779 parser,
 * a formatter (Java `X500Principal.getName("RFC2253")` style or .NET display style) and semantic
 * comparison.
 *
 * Parser (`parseDn`) accepts:
 * - `,` or `;` between RDNs, `+` inside a multi-valued RDN, white space (space, tab, CR, LF) around
 *   separators and around `=`, i.e. also the ", "-separated display forms of Java and .NET;
 * - backslash escapes: `\,` `\=` `\+` `\;` `\<` `\>` `\#` `\"` `\\` `\ ` (any escaped character is taken
 *   literally) and hex pairs (`\C3\A9` → "é"; consecutive pairs are decoded together as UTF-8);
 * - quoted values (`"EHP=1990001916, VITALINKGATEWAY"`), inside which `\x` escapes and a doubled `""`
 *   (.NET) stand for literal characters and white space is kept;
 * - unescaped `=`, `#` (not first), `<`, `>` and `"` (not first) inside unquoted values;
 * - `#hex` values (BER): string types are decoded (UTF8String, PrintableString, IA5String, …),
 *   anything else is kept as the literal text `#<lower-case hex>`;
 * - attribute types as keywords (case-insensitive, with aliases) or numeric OIDs, optionally with the
 *   RFC 1779 `OID.` prefix; they are normalised by `normaliseAttributeType`.
 * Unescaped leading/trailing white space of an unquoted value is dropped. `,` `;` `+` always separate
 * (a value containing them must escape or quote them), so every string has at most one reading.
 *
 * The result is flat and in string order: `[{ type, value, rdn }]`, where `rdn` is the 0-based index of
 * the RDN the attribute belongs to (attributes sharing an index form a multi-valued RDN).
 */

export interface DnAttribute {
  /** Normalised attribute type: CN, OU, O, C, L, ST, SERIALNUMBER, GIVENNAME, SN, EMAILADDRESS… or a numeric OID. */
  readonly type: string;
  readonly value: string;
  /** 0-based index of the RDN in string order. */
  readonly rdn: number;
}

/** Input accepted by the formatter and the comparisons; without `rdn` each attribute is its own RDN. */
export interface DnAttributeInput {
  readonly type: string;
  readonly value: string;
  readonly rdn?: number;
  /**
   * The value's BER encoding, for a value that is not a directory string: the formatter writes it as `#hex`
   * (RFC 4514 §2.4) instead of `value`, which should then be that same `#hex` text (what `parseDn` gives back).
   */
  readonly ber?: Uint8Array;
}

export class DnParseError extends Error {
  constructor(
    message: string,
    /** Offset in the input where the problem was found. */
    readonly position: number,
  ) {
    super(`${message} at offset ${position}`);
    this.name = 'DnParseError';
  }
}

const TYPE_ALIASES: Readonly<Record<string, string>> = {
  CN: 'CN',
  COMMONNAME: 'CN',
  '2.5.4.3': 'CN',
  OU: 'OU',
  ORGANIZATIONALUNITNAME: 'OU',
  '2.5.4.11': 'OU',
  O: 'O',
  ORGANIZATIONNAME: 'O',
  '2.5.4.10': 'O',
  C: 'C',
  COUNTRYNAME: 'C',
  '2.5.4.6': 'C',
  L: 'L',
  LOCALITYNAME: 'L',
  '2.5.4.7': 'L',
  ST: 'ST',
  S: 'ST',
  STATEORPROVINCENAME: 'ST',
  '2.5.4.8': 'ST',
  STREET: 'STREET',
  STREETADDRESS: 'STREET',
  '2.5.4.9': 'STREET',
  SERIALNUMBER: 'SERIALNUMBER',
  '2.5.4.5': 'SERIALNUMBER',
  // RFC 4519: SN is the surname (BouncyCastle's BCStyle.SN is serialNumber, but as an OID, not a string keyword).
  SN: 'SN',
  SURNAME: 'SN',
  '2.5.4.4': 'SN',
  GIVENNAME: 'GIVENNAME',
  G: 'GIVENNAME',
  GN: 'GIVENNAME',
  '2.5.4.42': 'GIVENNAME',
  T: 'TITLE',
  TITLE: 'TITLE',
  '2.5.4.12': 'TITLE',
  INITIALS: 'INITIALS',
  '2.5.4.43': 'INITIALS',
  GENERATION: 'GENERATIONQUALIFIER',
  GENERATIONQUALIFIER: 'GENERATIONQUALIFIER',
  '2.5.4.44': 'GENERATIONQUALIFIER',
  DNQ: 'DNQUALIFIER',
  DNQUALIFIER: 'DNQUALIFIER',
  '2.5.4.46': 'DNQUALIFIER',
  PSEUDONYM: 'PSEUDONYM',
  '2.5.4.65': 'PSEUDONYM',
  ORGANIZATIONIDENTIFIER: 'ORGANIZATIONIDENTIFIER',
  '2.5.4.97': 'ORGANIZATIONIDENTIFIER',
  E: 'EMAILADDRESS',
  EMAIL: 'EMAILADDRESS',
  EMAILADDRESS: 'EMAILADDRESS',
  '1.2.840.113549.1.9.1': 'EMAILADDRESS',
  DC: 'DC',
  DOMAINCOMPONENT: 'DC',
  '0.9.2342.19200300.100.1.25': 'DC',
  UID: 'UID',
  USERID: 'UID',
  '0.9.2342.19200300.100.1.1': 'UID',
};

/**
 * Canonical name of an attribute type: keywords and their aliases are upper-cased and mapped
 * (`commonName`, `cn`, `2.5.4.3`, `OID.2.5.4.3` → `CN`; `E`/`email` → `EMAILADDRESS`; `G`/`GN` → `GIVENNAME`;
 * `S` → `ST`); unknown numeric OIDs are returned without leading zeros; unknown keywords upper-cased.
 */
export function normaliseAttributeType(type: string): string {
  let t = type.trim();
  if (/^oid\./iu.test(t)) t = t.slice(4);
  if (/^[0-9]+(?:\.[0-9]+)*$/u.test(t))
    t = t
      .split('.')
      .map((arc) => BigInt(arc).toString())
      .join('.');
  else t = t.toUpperCase();
  return TYPE_ALIASES[t] ?? t;
}

const WS = new Set([' ', '\t', '\r', '\n']);
const TYPE_RE = /(?:[Oo][Ii][Dd]\.)?(?:[0-9]+(?:\.[0-9]+)*|[A-Za-z][A-Za-z0-9-]*)/y;
const HEX2 = /^[0-9A-Fa-f]{2}$/u;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses a DN string; throws `DnParseError` if it is not one. The empty string gives `[]`. */
export function parseDn(dn: string): DnAttribute[] {
  return new Parser(dn).parse();
}

/** `parseDn` that returns `null` instead of throwing. */
export function tryParseDn(dn: string): DnAttribute[] | null {
  try {
    return parseDn(dn);
  } catch (e) {
    if (e instanceof DnParseError) return null;
    throw e;
  }
}

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  parse(): DnAttribute[] {
    const out: DnAttribute[] = [];
    this.skipWs();
    if (this.i === this.s.length) return out;
    let rdn = 0;
    for (;;) {
      this.skipWs();
      const type = this.parseType();
      this.skipWs();
      if (this.s[this.i] !== '=') throw new DnParseError("'=' expected after the attribute type", this.i);
      this.i++;
      this.skipWs();
      const value = this.parseValue();
      out.push({ type, value, rdn });
      this.skipWs();
      if (this.i === this.s.length) return out;
      const c = this.s[this.i];
      this.i++;
      if (c === '+') continue;
      if (c === ',' || c === ';') {
        rdn++;
        continue;
      }
      throw new DnParseError(`separator expected, found ${JSON.stringify(c)}`, this.i - 1);
    }
  }

  private skipWs(): void {
    while (this.i < this.s.length && WS.has(this.s[this.i]!)) this.i++;
  }

  private parseType(): string {
    TYPE_RE.lastIndex = this.i;
    const m = TYPE_RE.exec(this.s);
    if (!m) throw new DnParseError('attribute type expected', this.i);
    this.i += m[0].length;
    return normaliseAttributeType(m[0]);
  }

  private parseValue(): string {
    const c = this.s[this.i];
    if (c === '#') return this.parseHexValue();
    if (c === '"') return this.parseQuotedValue();
    return this.parseStringValue();
  }

  private parseHexValue(): string {
    const start = this.i;
    this.i++;
    let hex = '';
    while (this.i < this.s.length && /[0-9A-Fa-f]/u.test(this.s[this.i]!)) hex += this.s[this.i++];
    if (hex.length === 0 || hex.length % 2 !== 0) throw new DnParseError('bad #hex value', start);
    const bytes = Uint8Array.from(hex.match(/../gu)!.map((h) => parseInt(h, 16)));
    return decodeBerString(bytes) ?? `#${hex.toLowerCase()}`;
  }

  /** Reads `\` + (two hex digits | any character) at this.i (which points at the backslash). */
  private readEscape(acc: ValueAccumulator): void {
    const at = this.i;
    const pair = this.s.slice(at + 1, at + 3);
    if (HEX2.test(pair)) {
      acc.byte(parseInt(pair, 16), at);
      this.i += 3;
      return;
    }
    const cp = this.s.codePointAt(at + 1);
    if (cp === undefined) throw new DnParseError('dangling backslash', at);
    const ch = String.fromCodePoint(cp);
    acc.char(ch, true);
    this.i += 1 + ch.length;
  }

  private parseQuotedValue(): string {
    const start = this.i;
    this.i++;
    const acc = new ValueAccumulator();
    for (;;) {
      if (this.i >= this.s.length) throw new DnParseError('unterminated quoted value', start);
      const c = this.s[this.i]!;
      if (c === '\\') {
        this.readEscape(acc);
      } else if (c === '"') {
        if (this.s[this.i + 1] === '"') {
          acc.char('"', true);
          this.i += 2;
        } else {
          this.i++;
          return acc.finish(false);
        }
      } else {
        acc.char(this.takeCodePoint(), true);
      }
    }
  }

  private parseStringValue(): string {
    const acc = new ValueAccumulator();
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === ',' || c === ';' || c === '+') break;
      if (c === '\\') {
        this.readEscape(acc);
        continue;
      }
      const ch = this.takeCodePoint();
      acc.char(ch, !WS.has(ch));
    }
    return acc.finish(true);
  }

  private takeCodePoint(): string {
    const cp = this.s.codePointAt(this.i)!;
    if (cp >= 0xd800 && cp <= 0xdfff) throw new DnParseError('unpaired surrogate', this.i);
    const ch = String.fromCodePoint(cp);
    this.i += ch.length;
    return ch;
  }
}

/** Builds a value from literal characters and hex-escaped UTF-8 bytes, remembering where trimming may cut. */
class ValueAccumulator {
  private value = '';
  private bytes: number[] = [];
  private bytesAt = 0;
  /** Length of `value` up to the last significant (non-white-space or escaped) character. */
  private keep = 0;

  byte(b: number, at: number): void {
    if (this.bytes.length === 0) this.bytesAt = at;
    this.bytes.push(b);
  }

  char(ch: string, significant: boolean): void {
    this.flush();
    this.value += ch;
    if (significant) this.keep = this.value.length;
  }

  finish(trimTrailing: boolean): string {
    this.flush();
    return trimTrailing ? this.value.slice(0, this.keep) : this.value;
  }

  private flush(): void {
    if (this.bytes.length === 0) return;
    let decoded: string;
    try {
      decoded = utf8.decode(Uint8Array.from(this.bytes));
    } catch {
      throw new DnParseError('hex-escaped bytes are not valid UTF-8', this.bytesAt);
    }
    this.bytes = [];
    this.value += decoded;
    this.keep = this.value.length;
  }
}

/** Decodes a DER/BER-encoded ASN.1 string value; `null` if it is not a (supported) string type. */
function decodeBerString(b: Uint8Array): string | null {
  if (b.length < 2) return null;
  const tag = b[0]!;
  let len = b[1]!;
  let off = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || b.length < 2 + n) return null;
    len = 0;
    for (let k = 0; k < n; k++) len = len * 256 + b[off++]!;
  }
  if (off + len !== b.length) return null;
  const c = b.subarray(off);
  try {
    switch (tag) {
      case 0x0c: // UTF8String
        return utf8.decode(c);
      case 0x12: // NumericString
      case 0x13: // PrintableString
      case 0x16: // IA5String
      case 0x1a: // VisibleString
        return c.every((x) => x < 0x80) ? String.fromCharCode(...c) : null;
      case 0x14: // TeletexString (treated as Latin-1, as most toolkits do)
        return String.fromCharCode(...c);
      case 0x1e: // BMPString
        return c.length % 2 === 0 ? new TextDecoder('utf-16be', { fatal: true }).decode(c) : null;
      case 0x1c: {
        // UniversalString (UTF-32BE)
        if (c.length % 4 !== 0) return null;
        let s = '';
        for (let k = 0; k < c.length; k += 4) s += String.fromCodePoint(((c[k]! << 24) >>> 0) + (c[k + 1]! << 16) + (c[k + 2]! << 8) + c[k + 3]!);
        return s;
      }
      default:
        return null;
    }
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------
// Formatting

export type DnFormatStyle =
  /**
   * RFC 4514 with the escaping of Java's `X500Principal.getName("RFC2253")`, which is what the eHealth connector
   * writes and parses: ',' separators, '+' inside a multi-valued RDN, `,=+<>#;"\` backslash-escaped anywhere (RFC 4514
   * requires it for `,+"\<>;`, for '#' only in first position; '=' is Java's extra), every leading and trailing space
   * escaped as `\ `, control characters as UTF-8 hex pairs (`\0A`), other characters (non-ASCII included) as they
   * are. This is the one DN text form the platform writes (contract DNs, certificate subjects and issuers).
   */
  | 'rfc2253'
  /** .NET/Java display: ', ' separators, values with special characters are quoted. */
  | 'display';

export interface FormatDnOptions {
  readonly style?: DnFormatStyle;
}

const RFC2253_ESCAPEES = new Set([',', '=', '+', '<', '>', '#', ';', '"', '\\']);
const NEEDS_QUOTES = /[,=+<>#;"\\\r\n]|^\s|\s$|^$/u;

function hexEscapeChar(ch: string): string {
  return Array.from(new TextEncoder().encode(ch), (b) => `\\${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

function isControl(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  return cp < 0x20 || cp === 0x7f;
}

/** Escapes one attribute value for the given style (see `DnFormatStyle`). */
export function escapeDnValue(value: string, style: DnFormatStyle = 'rfc2253'): string {
  const chars = Array.from(value);
  if (style === 'display') {
    if (!NEEDS_QUOTES.test(value) && !chars.some(isControl)) return value;
    return `"${chars.map((ch) => (ch === '"' || ch === '\\' ? `\\${ch}` : isControl(ch) ? hexEscapeChar(ch) : ch)).join('')}"`;
  }
  let lead = 0;
  while (lead < chars.length && chars[lead] === ' ') lead++;
  let trail = chars.length - 1;
  while (trail >= lead && chars[trail] === ' ') trail--;
  return chars
    .map((ch, k) => {
      if (RFC2253_ESCAPEES.has(ch)) return `\\${ch}`;
      if (isControl(ch)) return hexEscapeChar(ch);
      if (ch === ' ' && (k < lead || k > trail)) return '\\ ';
      return ch;
    })
    .join('');
}

/**
 * Formats attributes (in string order) as a DN string. Attributes with the same `rdn` index that are
 * adjacent are joined with '+'. Types are written as given (use canonical names, see `normaliseAttributeType`).
 */
export function formatDn(attributes: readonly DnAttributeInput[], options: FormatDnOptions = {}): string {
  const style = options.style ?? 'rfc2253';
  const sep = style === 'display' ? ', ' : ',';
  let out = '';
  attributes.forEach((a, k) => {
    if (k > 0) {
      const prev = attributes[k - 1]!;
      out += a.rdn !== undefined && prev.rdn === a.rdn ? '+' : sep;
    }
    out += `${a.type}=${a.ber ? `#${Array.from(a.ber, (b) => b.toString(16).padStart(2, '0')).join('')}` : escapeDnValue(a.value, style)}`;
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Comparison

type DnLike = string | readonly DnAttributeInput[];

function toAttributes(dn: DnLike): readonly DnAttributeInput[] | null {
  return typeof dn === 'string' ? tryParseDn(dn) : dn;
}

function avaKey(a: DnAttributeInput): string {
  const type = normaliseAttributeType(a.type);
  let value = a.value.trim().normalize('NFC');
  if (type === 'C') value = value.toUpperCase();
  return JSON.stringify([type, value]);
}

/** One key per RDN (AVAs of a multi-valued RDN sorted), in string order. */
function rdnKeys(attrs: readonly DnAttributeInput[]): string[] {
  const groups: string[][] = [];
  attrs.forEach((a, k) => {
    const prev = attrs[k - 1];
    const sameRdn = k > 0 && a.rdn !== undefined && prev !== undefined && prev.rdn === a.rdn;
    if (sameRdn) groups[groups.length - 1]!.push(avaKey(a));
    else groups.push([avaKey(a)]);
  });
  return groups.map((g) => g.sort().join('+'));
}

/**
 * Same RDNs in the same order. Attribute types compare after normalisation (case, aliases, OIDs);
 * values after trimming and NFC normalisation, case-sensitively except for C (country).
 * An unparsable string is equal to nothing.
 */
export function dnEqualsOrdered(a: DnLike, b: DnLike): boolean {
  const x = toAttributes(a);
  const y = toAttributes(b);
  if (!x || !y) return false;
  const kx = rdnKeys(x);
  const ky = rdnKeys(y);
  return kx.length === ky.length && kx.every((k, i) => k === ky[i]);
}

/**
 * Same multiset of RDNs, in any order (same value rules as `dnEqualsOrdered`). This is the comparison
 * CertRA must use between the contract DN, the CSR subject and stored DNs: the connector echoes the DN
 * with `TYPE\=` escaping, Java/BouncyCastle/.NET print RDNs in opposite orders, and CSR subjects encode
 * them in whatever order the client's toolkit chose.
 */
export function dnEqualsUnordered(a: DnLike, b: DnLike): boolean {
  const x = toAttributes(a);
  const y = toAttributes(b);
  if (!x || !y) return false;
  const kx = rdnKeys(x).sort();
  const ky = rdnKeys(y).sort();
  return kx.length === ky.length && kx.every((k, i) => k === ky[i]);
}

/** The comparison to use for eHealth DNs: `dnEqualsUnordered`. */
export const dnEquals = dnEqualsUnordered;

/**
 * A canonical string such that `dnCanonicalKey(a) === dnCanonicalKey(b)` ⇔ `dnEqualsUnordered(a, b)`
 * (for parsable inputs), usable as a database key. Throws `DnParseError` for an unparsable string.
 */
export function dnCanonicalKey(dn: DnLike): string {
  const attrs = typeof dn === 'string' ? parseDn(dn) : dn;
  return JSON.stringify(rdnKeys(attrs).sort());
}
