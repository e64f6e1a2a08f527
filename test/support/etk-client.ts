import { constants, createHash, privateDecrypt, type KeyObject } from 'node:crypto';
import { buildEncryptionCertificate } from '../../src/ca/etk/index.js';
import { createKeyObjectSigner } from '../../src/ca/keys/key-signer.js';
import { ehealthNaturalPerson, ehealthOrganisation } from '../../src/ca/profiles/index.js';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Name, Version, type Extension } from '@peculiar/asn1-x509';
import { parseCertificate, type KeyUsageName } from '../../src/x509/certificate.js';
import {
  buildCsr,
  certificateTime,
  encodeTbsCertificate,
  keyUsageExtension,
  parseSubjectPublicKeyInfo,
  signatureAlgorithmFor,
  signTbsCertificate,
  toAlgorithmIdentifier,
  type DnSequence,
} from '../../src/ca/x509/index.js';
import { buildEhealthDn, cbeCheckDigits, ehealthDnAttributes, nihiiCheckDigits, ssinCheckDigits, type EhealthDnInput } from '../../src/identifiers/index.js';
import type { IssuedRecord } from '../../src/services/certificate-issuer.js';
import { NS, STATUS_SUCCESS_V2 } from '../../src/soap/namespaces.js';
import { wrapInEnvelope } from '../../src/soap/envelope.js';
import { certificateRegistry } from '../../src/storage/certificate-registry.js';
import { etkRepository } from '../../src/storage/etk-repository.js';
import { el, textEl, type Child } from '../../src/xml/builder.js';
import { signEnveloped } from '../../src/xml/dsig/enveloped.js';
import { childElements, descendantsNamed, parseXmlStrict, textOf, type Element } from '../../src/xml/parse.js';
import { sharedTestKey, spkiOf } from '../../src/ca/issuance/testing.js';
import type { TestPlatform } from './platform.js';
import { expectValidAgainstBothSchemaSets } from './schemas.js';

/**
 * Plays the eHealth client against the platform: an eHealth authentication certificate issued by our CA (the CertRA
 * step, done directly through the issuer until CertRA lands), EtkRA requests signed as the connector signs them
 * (RaUtils.sign), GetEtk requests, and readers for the responses.
 */

export interface Holder {
  readonly dn: EhealthDnInput;
  readonly dnString: string;
  readonly key: KeyObject;
  readonly certificate: Buffer;
  readonly issued: IssuedRecord;
  /** Signer certificate first, then the issuing CA (no root), as the connector's credential chain. */
  readonly chain: readonly Buffer[];
}

let keySlot = 100;
/** A distinct RSA-2048 key per call within a test file (generated once per slot and process). */
export function freshKey(): KeyObject {
  return sharedTestKey('RSA-2048', keySlot++);
}

/** Issues an eHealth authentication certificate for this DN from a CSR, as CertRA will. */
export async function mintHolder(t: TestPlatform, dn: EhealthDnInput, options: { key?: KeyObject; now?: Date } = {}): Promise<Holder> {
  const key = options.key ?? freshKey();
  const subject: DnSequence = [...ehealthDnAttributes(dn)].reverse().map((a) => ({ type: a.type as DnSequence[number]['type'], value: a.value }));
  const dnString = buildEhealthDn(dn);
  const context = t.platform.services;
  const issued = await t.database.db.transaction((tx) =>
    context.issuer.issueFromCsr(
      tx,
      {
        csrDer: buildCsr(subject, key),
        expectedSubjectDn: dnString,
        profile: dn.type === 'SSIN' ? ehealthNaturalPerson : ehealthOrganisation,
        environment: context.config.environment,
        now: options.now ?? t.clock.now(),
      },
      'test',
    ),
  );
  return { dn, dnString, key, certificate: issued.der, issued, chain: [issued.der, ...context.issuer.chainWithoutRoot()] };
}

/** Revokes as CertRA revoke does: the certificate in the registry and its ETKs, in one transaction. */
export async function revokeHolder(t: TestPlatform, holder: Holder, at: Date = t.clock.now()): Promise<number> {
  return t.database.db.transaction(async (tx) => {
    await certificateRegistry.revoke(tx, holder.issued.id, at, 'keyCompromise');
    return etkRepository.revokeForCertificate(tx, holder.issued.id, at);
  });
}

export type EtkRaRequestName = 'StartETKRegistrationRequest' | 'CompleteETKRegistrationRequest' | 'ActivateETKRequest';

/** An EtkRA v2 request element signed with the holder's authentication key, in a SOAP envelope. */
export function etkRaEnvelope(name: EtkRaRequestName, signer: Pick<Holder, 'key' | 'chain'>, content: Child[], options: { issueInstant?: Date } = {}): string {
  const request = el(`erp:${name}`, { 'xmlns:erp': NS.etkraProtocolV2, IssueInstant: (options.issueInstant ?? new Date()).toISOString() }, ...content).markup;
  const signed = signEnveloped(request, { key: signer.key, certificateChain: signer.chain });
  return wrapInEnvelope(signed.replace(/^<\?xml[^>]*\?>/, ''));
}

export interface EtkRaResult {
  readonly httpStatus: number;
  readonly body: string;
  readonly statusCode: string;
  readonly statusMessage: string | undefined;
  readonly response: Element;
}

/** POSTs to /EtkRa/v2, checks the envelope against both schema sets, and reads Status. */
export async function callEtkRa(t: TestPlatform, envelope: string): Promise<EtkRaResult> {
  const { status, body } = await t.soap('/EtkRa/v2', envelope);
  expectValidAgainstBothSchemaSets(body);
  const document = parseXmlStrict(body);
  const bodyElement = descendantsNamed(document, NS.soap11, 'Body')[0]!;
  const response = childElements(bodyElement)[0]!;
  const statusCode = descendantsNamed(response, NS.commonsCoreV2, 'StatusCode')[0];
  const message = descendantsNamed(response, NS.commonsCoreV2, 'StatusMessage')[0];
  return {
    httpStatus: status,
    body,
    statusCode: statusCode?.getAttribute('Value') ?? '',
    statusMessage: message ? textOf(message) : undefined,
    response,
  };
}

export function etkRaText(result: EtkRaResult, localName: string): string | undefined {
  const [element] = descendantsNamed(result.response, NS.etkraProtocolV2, localName);
  return element ? textOf(element) : undefined;
}

/** The public-key encryption of the connector (RSA/ECB/PKCS1Padding), undone by hand: Node refuses PKCS#1 v1.5 decryption. */
export function decryptChallenge(challenge: Buffer, encryptionKey: KeyObject): Buffer {
  const encrypted = challenge.subarray(0, challenge.length - 32);
  const block = privateDecrypt({ key: encryptionKey, padding: constants.RSA_NO_PADDING }, encrypted);
  if (block[0] !== 0 || block[1] !== 2) throw new Error('not a PKCS#1 v1.5 encryption block');
  const separator = block.indexOf(0, 2);
  const serial = block.subarray(separator + 1);
  const digest = challenge.subarray(challenge.length - 32);
  if (!createHash('sha256').update(serial).digest().equals(digest)) throw new Error('the challenge digest does not match the serial');
  // The connector keeps the first 16 bytes as the serial.
  return serial.subarray(0, 16);
}

export interface Registration {
  readonly encryptionKey: KeyObject;
  readonly etk: Buffer;
  readonly toBeActivated: boolean;
  readonly encryptionCertificate: Buffer;
}

/** startETKRegistration with a (fresh or given) encryption key; returns the decrypted serial. */
export async function startRegistration(
  t: TestPlatform,
  holder: Holder,
  encryptionKey: KeyObject = freshKey(),
): Promise<{ serial: Buffer; challenge: Buffer; result: EtkRaResult }> {
  const result = await callEtkRa(
    t,
    etkRaEnvelope('StartETKRegistrationRequest', holder, [textEl('erp:PublicEncryptionKey', spkiOf(encryptionKey).toString('base64'))], {
      issueInstant: t.clock.now(),
    }),
  );
  if (result.statusCode !== STATUS_SUCCESS_V2) throw new Error(`startETKRegistration refused: ${result.statusMessage}`);
  const challenge = Buffer.from(etkRaText(result, 'Challenge')!, 'base64');
  return { serial: decryptChallenge(challenge, encryptionKey), challenge, result };
}

/** The connector's ToBeRegistered for a serial (CertificateUtils.generateCert). */
export async function toBeRegistered(holder: Holder, encryptionKey: KeyObject, serial: Uint8Array): Promise<Buffer> {
  return buildEncryptionCertificate({
    authenticationCertificate: holder.certificate,
    authenticationSigner: createKeyObjectSigner(holder.key, 'test holder'),
    encryptionPublicKeySpki: spkiOf(encryptionKey),
    serialNumber: serial,
  });
}

export async function completeRegistration(t: TestPlatform, holder: Pick<Holder, 'key' | 'chain'>, certificate: Buffer): Promise<EtkRaResult> {
  return callEtkRa(
    t,
    etkRaEnvelope('CompleteETKRegistrationRequest', holder, [textEl('erp:ToBeRegistered', certificate.toString('base64'))], { issueInstant: t.clock.now() }),
  );
}

export async function activate(t: TestPlatform, holder: Pick<Holder, 'key' | 'chain'>): Promise<EtkRaResult> {
  return callEtkRa(t, etkRaEnvelope('ActivateETKRequest', holder, [], { issueInstant: t.clock.now() }));
}

/** The whole EtkRA registration of a holder. */
export async function register(t: TestPlatform, holder: Holder, encryptionKey: KeyObject = freshKey()): Promise<Registration> {
  const { serial } = await startRegistration(t, holder, encryptionKey);
  const encryptionCertificate = await toBeRegistered(holder, encryptionKey, serial);
  const result = await completeRegistration(t, holder, encryptionCertificate);
  if (result.statusCode !== STATUS_SUCCESS_V2) throw new Error(`completeETKRegistration refused: ${result.statusMessage}`);
  return {
    encryptionKey,
    etk: Buffer.from(etkRaText(result, 'ETK')!, 'base64'),
    toBeActivated: etkRaText(result, 'ToBeActivated') === 'true',
    encryptionCertificate,
  };
}

export interface IdentifierInput {
  readonly type: string;
  readonly value: string;
  /** null: an empty ApplicationID element, as e-Contract's client sends. */
  readonly applicationId?: string | null;
}

export function getEtkEnvelope(identifiers: readonly IdentifierInput[]): string {
  return wrapInEnvelope(
    el(
      'p:GetEtkRequest',
      { 'xmlns:p': NS.etkdepotProtocolV1 },
      el(
        'p:SearchCriteria',
        null,
        identifiers.map((identifier) =>
          el(
            'p:Identifier',
            null,
            textEl('p:Type', identifier.type),
            textEl('p:Value', identifier.value),
            identifier.applicationId === null ? el('p:ApplicationID', null) : textEl('p:ApplicationID', identifier.applicationId),
          ),
        ),
      ),
    ).markup,
  );
}

export interface GetEtkResult {
  readonly httpStatus: number;
  readonly body: string;
  readonly code: string;
  readonly message: string;
  readonly etk: Buffer | undefined;
  readonly matching: Array<{ type: string; value: string; applicationId: string | undefined }>;
  readonly errors: Array<{ code: string; message: string }>;
}

/** Reads a GetEtkResponse envelope (after checking it against both schema sets). */
export function readGetEtkResponse(httpStatus: number, body: string): GetEtkResult {
  expectValidAgainstBothSchemaSets(body);
  const document = parseXmlStrict(body);
  const response = descendantsNamed(document, NS.etkdepotProtocolV1, 'GetEtkResponse')[0];
  if (!response) throw new Error(`not a GetEtkResponse: ${body.slice(0, 500)}`);
  const status = descendantsNamed(response, NS.commonsCoreV1, 'Status')[0]!;
  const etk = descendantsNamed(response, NS.etkdepotProtocolV1, 'ETK')[0];
  const dep = (parent: Element, name: string) => {
    const found = descendantsNamed(parent, NS.etkdepotProtocolV1, name)[0];
    return found ? textOf(found) : undefined;
  };
  return {
    httpStatus,
    body,
    code: textOf(descendantsNamed(status, null, 'Code')[0]!),
    message: textOf(descendantsNamed(status, null, 'Message')[0]!),
    etk: etk ? Buffer.from(textOf(etk), 'base64') : undefined,
    matching: descendantsNamed(response, NS.etkdepotProtocolV1, 'MatchingEtk').map((match) => ({
      type: dep(match, 'Type')!,
      value: dep(match, 'Value')!,
      applicationId: dep(match, 'ApplicationID'),
    })),
    errors: descendantsNamed(response, NS.etkdepotProtocolV1, 'Error').map((error) => ({ code: dep(error, 'Code')!, message: dep(error, 'Message')! })),
  };
}

export async function getEtk(t: TestPlatform, identifiers: readonly IdentifierInput[], headers?: Record<string, string>): Promise<GetEtkResult> {
  const { status, body } = await t.soap('/EtkDepot/v1', getEtkEnvelope(identifiers), headers);
  return readGetEtkResponse(status, body);
}

/** Distinct valid identifiers for tests: the n-th SSIN born 1985-07-30, CBE, NIHII (organisation) number. */
export function testSsin(n: number): string {
  const base = `850730${String(n % 1000).padStart(3, '0')}`;
  return `${base}${ssinCheckDigits(base, 1900)}`;
}
export function testCbe(n: number): string {
  const base = `0${String(n % 10_000_000).padStart(7, '0')}`;
  return `${base}${cbeCheckDigits(base)}`;
}
export function testNihii(n: number): string {
  const base = String(100_000 + (n % 900_000)).padStart(6, '0');
  return `${base}${nihiiCheckDigits(base)}`;
}

export interface ToBeRegisteredVariant {
  /** DER Name; default: the authentication certificate's subject. */
  readonly subjectDer?: Buffer;
  readonly issuerDer?: Buffer;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** null: no keyUsage extension at all. */
  readonly keyUsage?: { readonly usages: readonly KeyUsageName[]; readonly critical: boolean } | null;
  readonly extraExtensions?: readonly Extension[];
  /** Key that signs the certificate; default the authentication key. */
  readonly signerKey?: KeyObject;
  /** SPKI carried; default the encryption key's. */
  readonly publicKeySpki?: Buffer;
  readonly serialOctets?: Uint8Array;
}

/** ToBeRegistered with one rule broken (or none): the negative tests of completeETKRegistration. */
export async function toBeRegisteredVariant(holder: Holder, encryptionKey: KeyObject, serial: Uint8Array, variant: ToBeRegisteredVariant): Promise<Buffer> {
  const authentication = parseCertificate(holder.certificate);
  const signer = createKeyObjectSigner(variant.signerKey ?? holder.key, 'test signer');
  const algorithm = signatureAlgorithmFor(signer.keyAlgorithm);
  const positiveSerial = serial[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), Buffer.from(serial)]) : Buffer.from(serial);
  const keyUsage = variant.keyUsage === undefined ? { usages: ['keyEncipherment', 'dataEncipherment'] as KeyUsageName[], critical: true } : variant.keyUsage;
  const tbs = encodeTbsCertificate({
    version: Version.v3,
    serialNumber: variant.serialOctets ?? positiveSerial,
    signature: toAlgorithmIdentifier(algorithm),
    issuer: AsnConvert.parse(variant.issuerDer ?? authentication.subjectDer, Name),
    notBefore: certificateTime(variant.notBefore ?? authentication.notBefore),
    notAfter: certificateTime(variant.notAfter ?? authentication.notAfter),
    subject: AsnConvert.parse(variant.subjectDer ?? authentication.subjectDer, Name),
    subjectPublicKeyInfo: parseSubjectPublicKeyInfo(variant.publicKeySpki ?? spkiOf(encryptionKey)),
    extensions: [...(keyUsage ? [keyUsageExtension(keyUsage.usages, keyUsage.critical)] : []), ...(variant.extraExtensions ?? [])],
  });
  return signTbsCertificate(tbs, signer, algorithm);
}
