import { prefersBinary } from './rest.js';

describe('ETKDepot REST content negotiation', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['application/json', false],
    ['*/*', false],
    ['application/octet-stream', true],
    ['application/octet-stream, application/json', false],
    ['application/json;q=0.5, application/octet-stream', true],
    ['application/octet-stream;q=0.9, */*;q=0.1', true],
    ['application/octet-stream;q=0', false],
    ['APPLICATION/OCTET-STREAM', true],
    ['application/*, application/octet-stream', true],
  ])('Accept %j → binary %s', (accept, binary) => {
    expect(prefersBinary(accept)).toBe(binary);
  });
});
