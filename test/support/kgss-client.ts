import type { KeyObject } from 'node:crypto';
import { seal, unseal } from '../../src/ca/etee/sealed-message.js';
import { parseEtk } from '../../src/ca/etk/index.js';
import { createKeyObjectSigner } from '../../src/ca/keys/key-signer.js';
import type { ReaderCredential } from '../../src/domain/kgss.js';
import { NS } from '../../src/soap/namespaces.js';
import { wrapInEnvelope } from '../../src/soap/envelope.js';
import { el, textEl } from '../../src/xml/builder.js';
import { childrenNamed, descendantsNamed, parseXmlStrict, textOf } from '../../src/xml/parse.js';
import { expectValidAgainstBothSchemaSets, referenceKgssContentValidator } from './schemas.js';
import type { Holder } from './etk-client.js';
import { signRequest } from './etk-wss.js';
import type { TestPlatform } from './platform.js';

/**
 * A KGSS v1 client for the tests, as the connector's KgssServiceImpl lays requests out: the …Content XML, sealed
 * (triple wrap) by the caller's authentication key to the KGSS's ETK, in a GetNewKeyRequest (no WS-Security) or a
 * GetKeyRequest (WS-Security X.509 by the same key). Every content and envelope is checked against the reference XSDs.
 */

const KGSS = NS.kgssProtocolV1;

export interface KgssParty {
  readonly holder: Holder;
  /** The party's own ETK and its encryption key (answers are sealed to it). */
  readonly etk: Buffer;
  readonly encryptionKey: KeyObject;
}

export interface KgssAnswer {
  readonly httpStatus: number;
  readonly body: string;
  readonly code: string;
  readonly message: string;
  readonly errors: ReadonlyArray<{ code: string; message: string }>;
  readonly sealed: Buffer | undefined;
}

function expectValidContent(xml: string): void {
  const result = referenceKgssContentValidator().validate(xml);
  if (!result.valid) throw new Error(`sealed content not valid against the reference KGSS inner schema: ${result.errors.join(' | ')}\n${xml}`);
}

export function credentialXml(credential: ReaderCredential) {
  return [el('Namespace', null, credential.namespace), el('Name', null, credential.name), credential.values.map((value) => el('Value', null, value))];
}

export function getNewKeyContent(input: { allowed: readonly ReaderCredential[]; excluded?: readonly ReaderCredential[]; etk: Buffer }): string {
  const xml = el(
    'GetNewKeyRequestContent',
    { xmlns: KGSS },
    input.allowed.map((credential) => el('AllowedReader', null, credentialXml(credential))),
    (input.excluded ?? []).map((credential) => el('ExludedReader', null, credentialXml(credential))),
    el('ETK', null, input.etk.toString('base64')),
  ).markup;
  expectValidContent(xml);
  return xml;
}

export function getKeyContent(keyIdentifier: Buffer, answerTo: { etk: Buffer } | { kek: Buffer; kekIdentifier?: Buffer }): string {
  const xml = el(
    'GetKeyRequestContent',
    { xmlns: KGSS },
    el('KeyIdentifier', null, keyIdentifier.toString('base64')),
    'etk' in answerTo
      ? el('ETK', null, answerTo.etk.toString('base64'))
      : [el('KeyEncryptionKey', null, answerTo.kek.toString('base64')), textEl('KeyEncryptionKeyIdentifier', answerTo.kekIdentifier?.toString('base64'))],
  ).markup;
  expectValidContent(xml);
  return xml;
}

/** Seals a content to the KGSS's ETK as the party (its authentication certificate signs both layers). */
export async function sealToKgss(content: string, party: Pick<KgssParty, 'holder'>, kgssEtk: Buffer, now: Date): Promise<Buffer> {
  return seal(
    Buffer.from(content, 'utf8'),
    { certificate: party.holder.certificate, chain: party.holder.chain.slice(1), signer: createKeyObjectSigner(party.holder.key, 'test party') },
    [{ certificate: parseEtk(kgssEtk).encryptionCertificate }],
    now,
  );
}

export function kgssEnvelope(request: 'GetNewKeyRequest' | 'GetKeyRequest', sealed: Buffer): string {
  const wrapper = request === 'GetNewKeyRequest' ? 'SealedNewKeyRequest' : 'SealedKeyRequest';
  return wrapInEnvelope(
    el(`kgss:${request}`, { 'xmlns:kgss': KGSS }, el(`kgss:${wrapper}`, null, el('kgss:SealedContent', null, sealed.toString('base64')))).markup,
  );
}

export function readKgssAnswer(httpStatus: number, body: string): KgssAnswer {
  expectValidAgainstBothSchemaSets(body);
  const document = parseXmlStrict(body);
  const response = [...descendantsNamed(document, KGSS, 'GetNewKeyResponse'), ...descendantsNamed(document, KGSS, 'GetKeyResponse')][0];
  if (!response) throw new Error(`not a KGSS response: ${body.slice(0, 600)}`);
  const status = childrenNamed(response, null, 'Status')[0]!;
  const sealedContent = descendantsNamed(response, KGSS, 'SealedContent')[0];
  return {
    httpStatus,
    body,
    code: textOf(childrenNamed(status, null, 'Code')[0]!),
    message: textOf(childrenNamed(status, null, 'Message')[0]!),
    errors: childrenNamed(response, null, 'Error').map((error) => ({
      code: textOf(childrenNamed(error, null, 'Code')[0]!),
      message: textOf(childrenNamed(error, null, 'Message')[0]!),
    })),
    sealed: sealedContent ? Buffer.from(textOf(sealedContent), 'base64') : undefined,
  };
}

export async function callKgss(t: TestPlatform, envelope: string): Promise<KgssAnswer> {
  const { status, body } = await t.soap('/Kgss/v1', envelope);
  return readKgssAnswer(status, body);
}

/** GetNewKey as the connector sends it: sealed content, no WS-Security. */
export async function getNewKey(
  t: TestPlatform,
  creator: KgssParty,
  kgssEtk: Buffer,
  allowed: readonly ReaderCredential[],
  excluded: readonly ReaderCredential[] = [],
) {
  const sealed = await sealToKgss(getNewKeyContent({ allowed, excluded, etk: creator.etk }), creator, kgssEtk, t.clock.now());
  return callKgss(t, kgssEnvelope('GetNewKeyRequest', sealed));
}

/** GetKey with WS-Security X.509 by the reader's authentication key. */
export async function getKey(
  t: TestPlatform,
  reader: KgssParty,
  kgssEtk: Buffer,
  keyIdentifier: Buffer,
  answerTo: { etk: Buffer } | { kek: Buffer; kekIdentifier?: Buffer } = { etk: reader.etk },
) {
  const sealed = await sealToKgss(getKeyContent(keyIdentifier, answerTo), reader, kgssEtk, t.clock.now());
  const envelope = signRequest(
    kgssEnvelope('GetKeyRequest', sealed),
    { key: reader.holder.key, certificate: reader.holder.certificate },
    { now: t.clock.now() },
  );
  return callKgss(t, envelope);
}

/** Opens an answer sealed to the party's ETK (or under a KEK), checks the KGSS signed it, returns the content element. */
export function openAnswer(answer: KgssAnswer, keys: { party?: KgssParty; kek?: Buffer }, kgssEtk: Buffer) {
  if (!answer.sealed) throw new Error(`no sealed answer: ${answer.code} ${answer.message} ${JSON.stringify(answer.errors)}`);
  const opened = unseal(
    answer.sealed,
    {
      decryptionKeys: keys.party ? [{ certificate: parseEtk(keys.party.etk).encryptionCertificate, privateKey: keys.party.encryptionKey }] : [],
      keks: keys.kek ? [{ key: keys.kek }] : [],
    },
    { maxBytes: 1_000_000 },
  );
  if (!opened.signer.der.equals(parseEtk(kgssEtk).authenticationCertificate)) throw new Error('the answer is not signed by the KGSS');
  const xml = opened.content.toString('utf8');
  expectValidContent(xml);
  const root = parseXmlStrict(xml).documentElement!;
  const value = (name: string) => {
    const found = childrenNamed(root, KGSS, name)[0];
    return found ? Buffer.from(textOf(found), 'base64') : undefined;
  };
  return { root, value };
}
