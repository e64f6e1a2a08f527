import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { DirectoryAnswer, DirectoryEtk } from '../../services/etk-directory.js';
import { canonicalizeExclusive } from '../../xml/dsig/canonicalize.js';
import { parseXmlStrict } from '../../xml/parse.js';
import { renderAnswer, type GivenIdentifier } from './get-etk.js';

/*
 * Signed GetEtk responses digest the payload as rendered (signSoapPayload's payloadIsCanonical): that is only right
 * if every GetEtkResponse is its own exclusive c14n, whatever the echoed criteria hold.
 */

// Any XML character, including those the escapes are for (line ends, tabs, quotes, markup characters).
const xmlText = fc
  .string({ unit: fc.oneof(fc.constantFrom('&', '<', '>', '"', "'", '\r', '\n', '\t', ']]>', 'é', '𝄞', ' '), fc.string({ maxLength: 1 })), maxLength: 16 })
  .map((text) =>
    Array.from(text)
      .filter((c) => isXmlChar(c.codePointAt(0)!))
      .join(''),
  );

const isXmlChar = (code: number) =>
  code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || code >= 0x10000;

const given: fc.Arbitrary<GivenIdentifier[]> = fc.array(
  fc.record({ type: xmlText, value: xmlText, applicationId: fc.option(xmlText, { nil: undefined }), applicationIdElement: fc.boolean() }),
  { maxLength: 3 },
);

function etk(applicationId: string | undefined): DirectoryEtk {
  return { id: 1n, holder: { type: 'SSIN', value: '50010100156', applicationId }, der: randomBytes(64), notBefore: 0, notAfter: 1 };
}

const answer: fc.Arbitrary<DirectoryAnswer> = fc.oneof(
  fc.constant<DirectoryAnswer>({ kind: 'found', etk: etk(undefined) }),
  fc.array(fc.option(xmlText, { nil: undefined }), { minLength: 2, maxLength: 3 }).map((ids): DirectoryAnswer => ({ kind: 'several', matches: ids.map(etk) })),
  fc.constant<DirectoryAnswer>({ kind: 'not-found' }),
  xmlText.map((message): DirectoryAnswer => ({ kind: 'invalid', code: 'INVALID_IDENTIFIER', message })),
);

describe('GetEtkResponse rendering', () => {
  it('is its own exclusive canonical form, for every kind of answer and any echoed criteria', () => {
    fc.assert(
      fc.property(answer, given, (rendered, criteria) => {
        const payload = renderAnswer(rendered, criteria);
        expect(canonicalizeExclusive(parseXmlStrict(payload).documentElement!)).toBe(payload);
      }),
      { numRuns: 500 },
    );
  });
});
