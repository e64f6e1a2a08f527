import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { derSequence, derTree, type DerTree, encodeSequence, encodeTlv, TAG } from './der.js';

interface Shape {
  readonly tag: number;
  readonly children: ReadonlyArray<Shape | Uint8Array>;
}

const shape: fc.Arbitrary<Shape> = fc.letrec<{ node: Shape }>((tie) => ({
  node: fc.record({
    tag: fc.constantFrom(TAG.SEQUENCE, TAG.SET, TAG.OCTET_STRING, 0xa0, 0x80),
    children: fc.array(fc.oneof({ depthSize: 'small' }, fc.uint8Array({ maxLength: 300 }), tie('node')), { maxLength: 4 }),
  }),
})).node;

/** The same nesting written lazily (DerTree) and eagerly (encodeTlv at each level, what DerTree must equal). */
const lazily = (node: Shape): DerTree => derTree(node.tag, ...node.children.map((child) => (child instanceof Uint8Array ? child : lazily(child))));
const eagerly = (node: Shape): Buffer => encodeTlv(node.tag, ...node.children.map((child) => (child instanceof Uint8Array ? child : eagerly(child))));

describe('DerTree (the DER writer that writes nested elements once)', () => {
  it('writes what encodeTlv writes, for any nesting and content length (short and long length forms)', () => {
    fc.assert(
      fc.property(shape, (node) => {
        const tree = lazily(node);
        const expected = eagerly(node);
        expect(tree.length).toBe(expected.length);
        expect(tree.toBuffer()).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('feeds a hash the same bytes it writes, without writing them', () => {
    fc.assert(
      fc.property(shape, (node) => {
        const tree = lazily(node);
        const fed = createHash('sha256');
        tree.feed((bytes) => fed.update(bytes));
        expect(fed.digest()).toEqual(createHash('sha256').update(tree.toBuffer()).digest());
      }),
    );
  });

  it('writes lengths of every form: 0, 127, 128, 255, 256 and 70,000 octets', () => {
    for (const size of [0, 127, 128, 255, 256, 70_000]) {
      const content = Buffer.alloc(size, 0x5a);
      const tree = derSequence(derTree(TAG.OCTET_STRING, content), Buffer.from([0x05, 0x00]));
      expect(tree.toBuffer()).toEqual(encodeSequence(encodeTlv(TAG.OCTET_STRING, content), Buffer.from([0x05, 0x00])));
    }
    expect(derTree(TAG.OCTET_STRING, Buffer.alloc(70_000)).toBuffer().subarray(0, 5)).toEqual(Buffer.from([0x04, 0x83, 0x01, 0x11, 0x70]));
  });

  it('writes into a buffer at an offset and says where it ended', () => {
    const tree = derSequence(Buffer.from([0x02, 0x01, 0x07]));
    const target = Buffer.alloc(10, 0xff);
    expect(tree.writeTo(target, 2)).toBe(7);
    expect(target).toEqual(Buffer.from([0xff, 0xff, 0x30, 0x03, 0x02, 0x01, 0x07, 0xff, 0xff, 0xff]));
  });
});
