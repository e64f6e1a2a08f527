/**
 * The read-only slice of an element that request readers need. Implemented over xmldom and over parseElementTree's light
 * tree (the transport's fast lane, which builds no DOM), so that one reader per operation serves both.
 */
export interface ElementView {
  readonly namespaceURI: string | null;
  readonly localName: string;
  /** Element children, in document order. */
  children(): ElementView[];
  /** Character data of an element holding text only. */
  text(): string;
}
