import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { KgssError, type KgssReader, type KgssResponseRecipient, type KgssService } from '../../services/kgss/kgss-service.js';
import type { ReaderCredential } from '../../domain/kgss.js';
import { SoapFault } from '../../soap/fault.js';
import { NS } from '../../soap/namespaces.js';
import type { SoapCall, SoapOperation, SoapService } from '../../soap/service.js';
import { el, textEl } from '../../xml/builder.js';
import type { Clock } from '../../domain/clock.js';
import { WsSecurityError } from '../../xml/dsig/errors.js';
import { carriesSamlAssertion, verifySamlHolderOfKey, type SamlHolderOfKeyVerification } from '../../xml/dsig/ws-security-saml-verify.js';
import { childElements, childrenNamed, optionalChild, parseXmlStrict, textOf, XmlParseError, type Document, type Element } from '../../xml/parse.js';
import { compileSchemaSet, type XmlValidator } from '../../xml/schema-validator.js';
import type { VerifiedWsSecurity, WsSecurityGate } from '../etkdepot/ws-security-gate.js';

const KGSS = NS.kgssProtocolV1;
/** The sealed contents are small XML documents; anything bigger is not a KGSS request. */
const MAX_CONTENT_CHARS = 64 * 1024;

export interface KgssFrontEndDependencies {
  readonly kgss: KgssService;
  /** WS-Security X.509 on GetKey (verified whenever a request carries a signature). */
  readonly wsSecurity: Pick<WsSecurityGate, 'verify'>;
  /** SAML 1.1 holder-of-key on GetKey: the STS certificates whose assertions are accepted (none: refused). */
  readonly saml: { readonly stsCertificates: readonly Buffer[]; readonly clock: Clock; readonly clockSkewSeconds: number };
  /** Validates a sealed content document against our KGSS schema (the …Content elements). */
  readonly contentValidator: XmlValidator;
  readonly logger: Logger;
}

/** What verifyEnvelope hands the operations: the verified X.509 signer or SAML assertion, or undefined for an unsigned request. */
export type KgssSecurity =
  | { readonly kind: 'x509'; readonly verified: VerifiedWsSecurity }
  | { readonly kind: 'saml-hok'; readonly verified: SamlHolderOfKeyVerification }
  | undefined;

/**
 * KGSS v1 at /Kgss/v1 (wsdl/kgss-v1.wsdl). GetNewKey is unsigned (the connector sends it so: the sealed content's
 * signatures authenticate the creator); GetKey must carry WS-Security. Outcomes are GetNewKeyResponse/GetKeyResponse
 * with Status 200, or Status 400/500 and an Error naming the refusal (NO_KEY_FOUND for an unknown key and for a reader
 * who may not read it alike), never a stack trace; nothing is stored on failure.
 */
export function createKgssSoapService(frontEnd: KgssFrontEndDependencies): SoapService<KgssSecurity> {
  return {
    path: '/Kgss/v1',
    wsdlFile: 'kgss-v1.wsdl',
    operations: [getNewKeyOperation(frontEnd), getKeyOperation(frontEnd)],
    understoodHeaders: [{ namespace: NS.wsse, localName: 'Security' }],
    async verifyEnvelope(call) {
      const document = call.envelope.document;
      if (carriesSamlAssertion(document)) return { kind: 'saml-hok', verified: verifySaml(document, frontEnd.saml) };
      const verified = await frontEnd.wsSecurity.verify(document);
      return verified ? { kind: 'x509', verified } : undefined;
    },
  };
}

function getNewKeyOperation(frontEnd: KgssFrontEndDependencies): SoapOperation<unknown, KgssSecurity> {
  return {
    name: 'GetNewKey',
    requestElement: { namespace: KGSS, localName: 'GetNewKeyRequest' },
    async handle(call) {
      return answer('GetNewKeyResponse', 'SealedNewKeyResponse', call, frontEnd.logger, async () => {
        const sealed = sealedContentOf(requestElement(call), 'SealedNewKeyRequest');
        const { content, sender } = await frontEnd.kgss.openRequest(sealed);
        const request = readContent(content, 'GetNewKeyRequestContent', frontEnd.contentValidator);
        const etk = Buffer.from(textOf(childrenNamed(request, KGSS, 'ETK')[0]!), 'base64');
        const created = await frontEnd.kgss.createKey(sender, {
          allowedReaders: childrenNamed(request, KGSS, 'AllowedReader').map(credentialOf),
          excludedReaders: childrenNamed(request, KGSS, 'ExludedReader').map(credentialOf),
          etk,
        });
        const response = el(
          'GetNewKeyResponseContent',
          { xmlns: KGSS },
          el('NewKeyIdentifier', null, created.keyIdentifier.toString('base64')),
          el('NewKey', null, created.key.toString('base64')),
        ).markup;
        return frontEnd.kgss.sealResponse(Buffer.from(response, 'utf8'), { etk }, sender.certificate);
      });
    },
  };
}

function getKeyOperation(frontEnd: KgssFrontEndDependencies): SoapOperation<unknown, KgssSecurity> {
  return {
    name: 'GetKey',
    requestElement: { namespace: KGSS, localName: 'GetKeyRequest' },
    async handle(call) {
      // The reader is who signed the message; without a signature there is nobody to check the access list against.
      const security = call.security;
      if (!security) throw new SoapFault('WS_SECURITY_REQUIRED', 'GetKey must be signed with WS-Security (X.509 or a SAML holder-of-key assertion)');
      return answer('GetKeyResponse', 'SealedKeyResponse', call, frontEnd.logger, async () => {
        const sealed = sealedContentOf(requestElement(call), 'SealedKeyRequest');
        const { content, sender } = await frontEnd.kgss.openRequest(sealed);
        const signerDer = security.kind === 'x509' ? security.verified.signer.certificate : security.verified.holderCertificate;
        // The sealed request and the message must come from the same party: its signature is what the reader proved.
        if (!sender.certificate.der.equals(signerDer)) {
          throw new KgssError('SENDER_NOT_TRUSTED', 'the sealed request is not signed by the WS-Security signer');
        }
        const certificate = sender.certificate;
        const request = readContent(content, 'GetKeyRequestContent', frontEnd.contentValidator);
        const keyIdentifier = Buffer.from(textOf(childrenNamed(request, KGSS, 'KeyIdentifier')[0]!), 'base64');
        // A SAML reader is what its STS asserts; an X.509 reader is what our registries know of its certificate.
        const reader: KgssReader =
          security.kind === 'saml-hok'
            ? { certificate, attributes: security.verified.attributes, authentication: 'saml-hok' }
            : { certificate, attributes: frontEnd.kgss.readerAttributesOf(certificate), authentication: 'x509' };
        const key = await frontEnd.kgss.releaseKey(keyIdentifier, reader);
        const response = el('GetKeyResponseContent', { xmlns: KGSS }, el('Key', null, key.toString('base64'))).markup;
        return frontEnd.kgss.sealResponse(Buffer.from(response, 'utf8'), recipientOf(request, keyIdentifier), certificate);
      });
    },
  };
}

/** The Body's request element: the signed Body when a WS-Security signature verified, else the envelope's payload. */
function requestElement(call: SoapCall<unknown, KgssSecurity>): Element {
  return call.security ? childElements(call.security.verified.body)[0]! : call.envelope.payload;
}

/** A SAML holder-of-key message, verified (a failure is the Client fault WS_SECURITY_INVALID). */
function verifySaml(document: Document, saml: KgssFrontEndDependencies['saml']): SamlHolderOfKeyVerification {
  if (saml.stsCertificates.length === 0)
    throw new SoapFault('WS_SECURITY_INVALID', 'SAML assertions are not accepted here: no STS is configured (KGSS_STS_CERT_FILES)');
  try {
    return verifySamlHolderOfKey(document, {
      stsCertificates: saml.stsCertificates,
      at: saml.clock.now(),
      clockSkewSeconds: saml.clockSkewSeconds,
      maxTimestampAgeSeconds: 300,
    });
  } catch (error) {
    if (error instanceof WsSecurityError) throw new SoapFault('WS_SECURITY_INVALID', `${error.reason}: ${error.detail}`, { cause: error });
    throw error;
  }
}

function sealedContentOf(request: Element, wrapper: string): Buffer {
  const holder = childrenNamed(request, KGSS, wrapper)[0];
  const sealedContent = holder && childrenNamed(holder, KGSS, 'SealedContent')[0];
  // The schema has checked the shape; Node's base64 decoding skips whitespace (line breaks) and never throws.
  return Buffer.from(sealedContent ? textOf(sealedContent) : '', 'base64');
}

/** The sealed content: a standalone XML document of one …Content element, parsed hardened and checked against the schema. */
function readContent(content: Buffer, expected: string, validator: XmlValidator): Element {
  const text = content.toString('utf8');
  if (text.length > MAX_CONTENT_CHARS) throw new KgssError('INVALID_REQUEST', `the sealed content is larger than ${MAX_CONTENT_CHARS} characters`);
  let root: Element;
  try {
    root = parseXmlStrict(text).documentElement!;
  } catch (error) {
    if (error instanceof XmlParseError) throw new KgssError('INVALID_REQUEST', `the sealed content is not acceptable XML: ${error.message}`);
    throw error;
  }
  if (root.namespaceURI !== KGSS || root.localName !== expected) throw new KgssError('INVALID_REQUEST', `the sealed content is not a ${expected}`);
  const validation = validator.validate(text);
  if (!validation.valid)
    throw new KgssError('INVALID_REQUEST', `the sealed ${expected} does not conform to the schema: ${validation.errors.slice(0, 3).join('; ')}`);
  return root;
}

function credentialOf(element: Element): ReaderCredential {
  return {
    namespace: textOf(childrenNamed(element, KGSS, 'Namespace')[0]!),
    name: textOf(childrenNamed(element, KGSS, 'Name')[0]!),
    values: childrenNamed(element, KGSS, 'Value').map((value) => textOf(value)),
  };
}

/** GetKey's answer goes to the reader's ETK, or under the one-off KeyEncryptionKey it sent. */
function recipientOf(request: Element, keyIdentifier: Buffer): KgssResponseRecipient {
  const etk = optionalChild(request, KGSS, 'ETK');
  if (etk) return { etk: Buffer.from(textOf(etk), 'base64') };
  const kek = optionalChild(request, KGSS, 'KeyEncryptionKey');
  if (!kek) throw new KgssError('INVALID_REQUEST', 'GetKeyRequestContent names neither an ETK nor a KeyEncryptionKey to answer to');
  const key = Buffer.from(textOf(kek), 'base64');
  if (![16, 24, 32].includes(key.length)) throw new KgssError('INVALID_REQUEST', 'the KeyEncryptionKey must be an AES key of 16, 24 or 32 bytes');
  const identifier = optionalChild(request, KGSS, 'KeyEncryptionKeyIdentifier');
  // The library tries the key it holds on the (single) KEK recipient whatever its identifier: default to the key id.
  return { kek: key, kekIdentifier: identifier ? Buffer.from(textOf(identifier), 'base64') : keyIdentifier };
}

type ResponseName = 'GetNewKeyResponse' | 'GetKeyResponse';

/** Runs an operation and renders its response: Status 200 with the sealed answer, or the refusal. */
async function answer(name: ResponseName, sealedName: string, call: SoapCall, logger: Logger, run: () => Promise<Buffer>): Promise<string> {
  const root = { 'xmlns:kgss': KGSS, Id: `_${randomUUID()}` };
  try {
    const sealed = await run();
    return el(
      `kgss:${name}`,
      root,
      el('Status', null, el('Code', null, '200'), el('Message', null, 'OK')),
      el(`kgss:${sealedName}`, null, el('kgss:SealedContent', null, sealed.toString('base64'))),
    ).markup;
  } catch (error) {
    if (!(error instanceof KgssError)) throw error;
    logger.info({ requestId: call.requestId, code: error.code, detail: error.message }, `KGSS ${name.replace('Response', '')} refused`);
    return el(
      `kgss:${name}`,
      root,
      el('Status', null, el('Code', null, '400'), el('Message', null, error.code)),
      el('Error', null, el('Code', null, error.code), textEl('Message', publicMessage(error), { Lang: 'EN' })),
    ).markup;
  }
}

/** What the caller is told: the code's meaning; the detail (which could say whether a key exists) stays in the log. */
function publicMessage(error: KgssError): string {
  switch (error.code) {
    case 'NO_KEY_FOUND':
      return 'No key with this identifier is available to this reader';
    case 'SENDER_NOT_TRUSTED':
      return `The sender is not accepted: ${error.message}`;
    default:
      return error.message;
  }
}

/** The validator of the sealed contents: our KGSS schema, its …Content elements as documents of their own. */
export function compileKgssContentValidator(xsdDirectory: string): XmlValidator {
  return compileSchemaSet({ baseDirectory: xsdDirectory, imports: new Map([[KGSS, 'ehealth-etee-kgss-protocol-1_0.xsd']]), soapEnvelope: false });
}
