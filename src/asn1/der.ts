/**
 * A small, strict DER reader and writer, shared by the CA (issuance, lints, CRLs, ETKs) and path validation. Both need
 * exact byte slices (the TBS that was signed, names compared byte for byte), which generic ASN.1 decoders do not
 * keep, and the CA needs fast encoding. Only low tag numbers (< 31) are supported: X.509 and PKCS#10 need nothing else.
 */

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  VISIBLE_STRING: 0x1a,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** One TLV; offsets are absolute in the buffer it was read from. */
export interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly valueStart: number;
  readonly end: number;
}

export function readTlv(buf: Uint8Array, offset: number, limit: number = buf.length): Tlv {
  if (offset + 2 > limit) throw new DerError(`truncated TLV at ${offset}`);
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`high tag number at ${offset}`);
  let pos = offset + 1;
  const first = buf[pos++]!;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else {
    const count = first & 0x7f;
    // Indefinite lengths are BER, not DER; more than 4 length octets is never a certificate.
    if (count === 0 || count > 4) throw new DerError(`unsupported length encoding at ${offset}`);
    if (pos + count > limit) throw new DerError(`truncated length at ${offset}`);
    if (buf[pos] === 0) throw new DerError(`non-minimal length at ${offset}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[pos++]!;
    if (length < 0x80) throw new DerError(`non-minimal length at ${offset}`);
  }
  const end = pos + length;
  if (end > limit) throw new DerError(`TLV at ${offset} overruns its container`);
  return { tag, start: offset, valueStart: pos, end };
}

/** The whole buffer as exactly one TLV, without trailing bytes. */
export function readSingleTlv(buf: Uint8Array): Tlv {
  const tlv = readTlv(buf, 0);
  if (tlv.end !== buf.length) throw new DerError('trailing bytes after the DER value');
  return tlv;
}

/** The TLVs directly inside a constructed TLV; they must fill it exactly. */
export function childrenOf(buf: Uint8Array, parent: Tlv): Tlv[] {
  if ((parent.tag & 0x20) === 0) throw new DerError(`tag 0x${parent.tag.toString(16)} is not constructed`);
  const out: Tlv[] = [];
  for (let pos = parent.valueStart; pos < parent.end; ) {
    const child = readTlv(buf, pos, parent.end);
    out.push(child);
    pos = child.end;
  }
  return out;
}

export function expectTag(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv) throw new DerError(`${what}: missing`);
  if (tlv.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, got 0x${tlv.tag.toString(16)}`);
  return tlv;
}

/** The whole TLV (header included), as a view. */
export function tlvBytes(buf: Buffer, tlv: Tlv): Buffer {
  return buf.subarray(tlv.start, tlv.end);
}

/** The TLV's value only, as a view. */
export function tlvValue(buf: Buffer, tlv: Tlv): Buffer {
  return buf.subarray(tlv.valueStart, tlv.end);
}

export function decodeOid(bytes: Uint8Array): string {
  if (bytes.length === 0) throw new DerError('empty OBJECT IDENTIFIER');
  const arcs: bigint[] = [];
  let value = 0n;
  let started = false;
  for (const byte of bytes) {
    if (!started && byte === 0x80) throw new DerError('non-minimal OID arc');
    started = true;
    value = (value << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0n;
      started = false;
    }
  }
  if (started) throw new DerError('truncated OID arc');
  const first = arcs[0]!;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join('.');
}

export function decodeBoolean(buf: Buffer, tlv: Tlv): boolean {
  expectTag(tlv, TAG.BOOLEAN, 'BOOLEAN');
  if (tlv.end - tlv.valueStart !== 1) throw new DerError('BOOLEAN must be one octet');
  const octet = buf[tlv.valueStart]!;
  if (octet !== 0x00 && octet !== 0xff) throw new DerError('BOOLEAN must be 0x00 or 0xFF in DER');
  return octet === 0xff;
}

/** A small non-negative INTEGER (path lengths). */
export function decodeSmallUnsigned(buf: Buffer, tlv: Tlv): number {
  expectTag(tlv, TAG.INTEGER, 'INTEGER');
  const bytes = tlvValue(buf, tlv);
  if (bytes.length === 0 || bytes.length > 4 || (bytes[0]! & 0x80) !== 0) throw new DerError('INTEGER out of range');
  return bytes.reduce((n, b) => n * 256 + b, 0);
}

/** A BIT STRING's content octets, refusing unused bits (keys and signatures are whole octets). */
export function bitStringOctets(buf: Buffer, tlv: Tlv): Buffer {
  expectTag(tlv, TAG.BIT_STRING, 'BIT STRING');
  if (tlv.end === tlv.valueStart) throw new DerError('empty BIT STRING');
  if (buf[tlv.valueStart] !== 0) throw new DerError('BIT STRING with unused bits where whole octets are expected');
  return buf.subarray(tlv.valueStart + 1, tlv.end);
}

/** A named-bit BIT STRING (keyUsage) as a bit test function, bit 0 being the most significant bit of the first octet. */
export function namedBits(buf: Buffer, tlv: Tlv): (bit: number) => boolean {
  expectTag(tlv, TAG.BIT_STRING, 'BIT STRING');
  if (tlv.end === tlv.valueStart) throw new DerError('empty BIT STRING');
  const unused = buf[tlv.valueStart]!;
  if (unused > 7) throw new DerError('BIT STRING with more than 7 unused bits');
  const octets = buf.subarray(tlv.valueStart + 1, tlv.end);
  return (bit) => {
    const index = bit >> 3;
    return index < octets.length && (octets[index]! & (0x80 >> (bit & 7))) !== 0;
  };
}

/** UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ), the only forms RFC 5280 allows. */
export function decodeTime(buf: Buffer, tlv: Tlv): Date {
  const text = tlvValue(buf, tlv).toString('latin1');
  let match: RegExpExecArray | null;
  let year: number;
  if (tlv.tag === TAG.UTC_TIME) {
    match = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    if (!match) throw new DerError(`bad UTCTime ${text}`);
    const yy = Number(match[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (tlv.tag === TAG.GENERALIZED_TIME) {
    match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    if (!match) throw new DerError(`bad GeneralizedTime ${text}`);
    year = Number(match[1]);
  } else {
    throw new DerError(`tag 0x${tlv.tag.toString(16)} is not a time`);
  }
  const [month, day, hour, minute, second] = match.slice(2, 7).map(Number) as [number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(ms);
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw new DerError(`invalid date ${text}`);
  }
  return check;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }); // ignoreBOM: a leading U+FEFF is kept, not dropped

/**
 * The directory string types found in certificate names, decoded to text. Throws DerError when the bytes are not a
 * valid string of their type (invalid UTF-8, a non-ASCII octet in an ASCII type): such a value has no text, and must
 * not be given one by a lossy decoding (node's 'ascii' would turn 0xC5 into 'E').
 */
export function decodeDirectoryString(buf: Buffer, tlv: Tlv): string {
  const bytes = tlvValue(buf, tlv);
  switch (tlv.tag) {
    case TAG.UTF8_STRING:
      try {
        return strictUtf8.decode(bytes);
      } catch {
        throw new DerError('invalid UTF-8 in UTF8String');
      }
    case TAG.PRINTABLE_STRING:
    case TAG.IA5_STRING:
    case TAG.VISIBLE_STRING:
      if (bytes.some((octet) => octet > 0x7f)) throw new DerError(`non-ASCII octet in tag 0x${tlv.tag.toString(16)} string`);
      return bytes.toString('latin1');
    case TAG.T61_STRING:
      return bytes.toString('latin1');
    case TAG.BMP_STRING: {
      if (bytes.length % 2 !== 0) throw new DerError('odd BMPString length');
      let out = '';
      for (let i = 0; i < bytes.length; i += 2) out += String.fromCharCode(bytes.readUInt16BE(i));
      return out;
    }
    case TAG.UNIVERSAL_STRING: {
      if (bytes.length % 4 !== 0) throw new DerError('bad UniversalString length');
      let out = '';
      for (let i = 0; i < bytes.length; i += 4) out += String.fromCodePoint(bytes.readUInt32BE(i));
      return out;
    }
    default:
      throw new DerError(`tag 0x${tlv.tag.toString(16)} is not a directory string`);
  }
}

// Writer
export function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function encodeTlv(tag: number, ...contents: Uint8Array[]): Buffer {
  const length = contents.reduce((sum, c) => sum + c.length, 0);
  return Buffer.concat([Buffer.from([tag]), encodeLength(length), ...contents]);
}

export const encodeSequence = (...parts: Uint8Array[]): Buffer => encodeTlv(TAG.SEQUENCE, ...parts);

/** Bytes, or an element still to be written. */
export type DerPart = Uint8Array | DerTree;

/**
 * A DER element written once, into one buffer, when asked (toBuffer), or fed to a hash without being written at all.
 * encodeTlv copies its contents into each enclosing element in turn: a CMS message nesting a few kilobytes five levels
 * deep allocated and copied them five times.
 */
export class DerTree {
  /** The whole element's length (identifier, length octets, contents). */
  readonly length: number;
  private readonly header: Buffer;

  constructor(
    tag: number,
    private readonly parts: readonly DerPart[],
  ) {
    let contentLength = 0;
    for (const part of parts) contentLength += part.length;
    this.header = Buffer.concat([Buffer.from([tag]), encodeLength(contentLength)]);
    this.length = this.header.length + contentLength;
  }

  toBuffer(): Buffer {
    const target = Buffer.allocUnsafe(this.length);
    const written = this.writeTo(target, 0);
    if (written !== this.length) throw new DerError(`DER writer wrote ${written} bytes of ${this.length}`);
    return target;
  }

  /** Writes the element at `offset`; returns where it ends. */
  writeTo(target: Buffer, offset: number): number {
    let at = offset + this.header.copy(target, offset);
    for (const part of this.parts) {
      if (part instanceof DerTree) at = part.writeTo(target, at);
      else {
        target.set(part, at);
        at += part.length;
      }
    }
    return at;
  }

  /** Feeds the element's encoding to `sink` (a hash's update) piece by piece. */
  feed(sink: (bytes: Uint8Array) => unknown): void {
    sink(this.header);
    for (const part of this.parts) {
      if (part instanceof DerTree) part.feed(sink);
      else sink(part);
    }
  }
}

export const derTree = (tag: number, ...parts: DerPart[]): DerTree => new DerTree(tag, parts);
export const derSequence = (...parts: DerPart[]): DerTree => new DerTree(TAG.SEQUENCE, parts);

export function encodeBitString(octets: Uint8Array): Buffer {
  return encodeTlv(TAG.BIT_STRING, Buffer.from([0]), octets);
}

export function encodeOctetString(octets: Uint8Array): Buffer {
  return encodeTlv(TAG.OCTET_STRING, octets);
}

/** INTEGER from an unsigned big-endian magnitude (adds the sign octet when needed, drops redundant zeros). */
export function encodeUnsignedInteger(magnitude: Uint8Array): Buffer {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const trimmed = magnitude.subarray(i);
  const content = trimmed.length === 0 ? Buffer.from([0]) : (trimmed[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed;
  return encodeTlv(TAG.INTEGER, content);
}

const pad2 = (value: number): string => String(value).padStart(2, '0');

function timeText(date: Date, fullYear: boolean): string {
  if (!Number.isFinite(date.getTime())) throw new DerError('invalid date');
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) throw new DerError('date out of range');
  const rest = `${pad2(date.getUTCMonth() + 1)}${pad2(date.getUTCDate())}${pad2(date.getUTCHours())}${pad2(date.getUTCMinutes())}${pad2(date.getUTCSeconds())}Z`;
  return `${fullYear ? String(year).padStart(4, '0') : pad2(year % 100)}${rest}`;
}

/** GeneralizedTime YYYYMMDDHHMMSSZ (UTC, milliseconds dropped). */
export function encodeGeneralizedTime(date: Date): Buffer {
  return encodeTlv(TAG.GENERALIZED_TIME, Buffer.from(timeText(date, true), 'latin1'));
}

/**
 * A certificate or CRL time (RFC 5280 §4.1.2.5, §5.1.2.4): UTCTime YYMMDDHHMMSSZ from 1950 through 2049, GeneralizedTime
 * otherwise (UTC, milliseconds dropped). `decodeTime` reads both.
 */
export function encodeTime(date: Date): Buffer {
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) return encodeTlv(TAG.UTC_TIME, Buffer.from(timeText(date, false), 'latin1'));
  return encodeGeneralizedTime(date);
}

/** The OIDs a process encodes are the few its structures use; each is computed once (BigInt arcs are slow). */
const encodedOids = new Map<string, Buffer>();
const MAX_ENCODED_OIDS = 512;

/** The DER of an OBJECT IDENTIFIER. The Buffer may be shared: callers copy it (encodeTlv does), never write into it. */
export function encodeOid(oid: string): Buffer {
  const known = encodedOids.get(oid);
  if (known) return known;
  const der = encodeOidUncached(oid);
  if (encodedOids.size < MAX_ENCODED_OIDS) encodedOids.set(oid, der);
  return der;
}

function encodeOidUncached(oid: string): Buffer {
  const arcs = oid.split('.').map((a) => {
    if (!/^\d+$/.test(a)) throw new DerError(`bad OID ${oid}`);
    return BigInt(a);
  });
  if (arcs.length < 2) throw new DerError(`bad OID ${oid}`);
  const values = [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)];
  const out: number[] = [];
  for (const v of values) {
    const chunk: number[] = [Number(v & 0x7fn)];
    for (let rest = v >> 7n; rest > 0n; rest >>= 7n) chunk.unshift(Number(rest & 0x7fn) | 0x80);
    out.push(...chunk);
  }
  return encodeTlv(TAG.OID, Buffer.from(out));
}
