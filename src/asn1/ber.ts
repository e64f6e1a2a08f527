/**
 * A lazy BER reader for CMS as Bouncy Castle and OpenSSL write it: definite and indefinite lengths, constructed
 * (chunked) strings. An element is located by its header only; its children are read when asked for, so a reader
 * walking a SignedData never decodes the inside of the certificates it carries (asn1js builds the whole tree: most of
 * the cost of opening a sealed message). Low tag numbers only (CMS uses no other); everything else is refused.
 */

export class BerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BerError';
  }
}

export const TAG_CLASS = { universal: 0, application: 1, context: 2, private: 3 } as const;

export interface BerElement {
  readonly buffer: Buffer;
  readonly tagClass: number;
  readonly tagNumber: number;
  readonly constructed: boolean;
  /** Where the element starts (its identifier octet). */
  readonly start: number;
  readonly valueStart: number;
  /** Where the contents end (before the end-of-contents octets of an indefinite length). */
  readonly valueEnd: number;
  /** Where the element ends, end-of-contents included. */
  readonly end: number;
}

/** Deeper nesting than any CMS message has: a hostile input cannot make the reader recurse without bound. */
const MAX_DEPTH = 64;

const childrenCache = new WeakMap<BerElement, BerElement[]>();
/** How deep each element sits, so that children read later continue the count. */
const depths = new WeakMap<BerElement, number>();

/** The one element `bytes` holds (nothing before or after it). */
export function readBerElement(bytes: Buffer): BerElement {
  const element = readAt(bytes, 0, bytes.length, 0);
  if (element.end !== bytes.length) throw new BerError('trailing bytes after the BER element');
  return element;
}

function readAt(buffer: Buffer, offset: number, limit: number, depth: number): BerElement {
  if (depth > MAX_DEPTH) throw new BerError('BER nesting too deep');
  if (offset + 2 > limit) throw new BerError(`truncated BER element at ${offset}`);
  const identifier = buffer[offset]!;
  if ((identifier & 0x1f) === 0x1f) throw new BerError(`high tag number at ${offset}`);
  const tagClass = identifier >> 6;
  const constructed = (identifier & 0x20) !== 0;
  const tagNumber = identifier & 0x1f;
  let position = offset + 1;
  const first = buffer[position++]!;
  if (first === 0x80) {
    if (!constructed) throw new BerError(`indefinite length on a primitive element at ${offset}`);
    // The contents are elements up to the end-of-contents octets (00 00): read them to find where it ends.
    const children: BerElement[] = [];
    for (;;) {
      if (position + 2 > limit) throw new BerError(`indefinite length without end-of-contents at ${offset}`);
      if (buffer[position] === 0 && buffer[position + 1] === 0) break;
      const child = readAt(buffer, position, limit, depth + 1);
      children.push(child);
      position = child.end;
    }
    const element = { buffer, tagClass, tagNumber, constructed, start: offset, valueStart: offset + 2, valueEnd: position, end: position + 2 };
    childrenCache.set(element, children);
    depths.set(element, depth);
    return element;
  }
  let length: number;
  if (first < 0x80) length = first;
  else {
    const count = first & 0x7f;
    if (count > 4 || first === 0xff) throw new BerError(`unsupported length encoding at ${offset}`);
    if (position + count > limit) throw new BerError(`truncated length at ${offset}`);
    length = 0;
    for (let index = 0; index < count; index += 1) length = length * 256 + buffer[position++]!;
  }
  const valueEnd = position + length;
  if (valueEnd > limit) throw new BerError(`BER element at ${offset} runs past its container`);
  const element = { buffer, tagClass, tagNumber, constructed, start: offset, valueStart: position, valueEnd, end: valueEnd };
  depths.set(element, depth);
  return element;
}

/** The elements inside a constructed element, read on first use. */
export function berChildren(element: BerElement): BerElement[] {
  if (!element.constructed) throw new BerError('a primitive element has no children');
  let children = childrenCache.get(element);
  if (children === undefined) {
    children = [];
    let position = element.valueStart;
    while (position < element.valueEnd) {
      const child = readAt(element.buffer, position, element.valueEnd, depthOf(element) + 1);
      children.push(child);
      position = child.end;
    }
    childrenCache.set(element, children);
  }
  return children;
}

function depthOf(element: BerElement): number {
  return depths.get(element) ?? 0;
}

/** The contents octets of a primitive element. */
export function berValue(element: BerElement): Buffer {
  if (element.constructed) throw new BerError('a constructed element has no primitive value');
  return element.buffer.subarray(element.valueStart, element.valueEnd);
}

/** The element's bytes as they were read (identifier, length, contents). */
export function berRaw(element: BerElement): Buffer {
  return element.buffer.subarray(element.start, element.end);
}
