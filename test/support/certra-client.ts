import { createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { mintCitizenIdentity, type CitizenIdentity } from '../../src/ca/hierarchy/index.js';
import { buildCsr, publicKeyIdentifier } from '../../src/ca/x509/index.js';
import { formatKeyId } from '../../src/domain/key-id.js';
import type { DnAttributeType } from '../../src/x509/name.js';
import type { AdminContext } from '../../src/cli/admin-context.js';
import type { ContactData } from '../../src/domain/certra.js';
import { runAdminCommand } from '../../src/cli/command.js';
import { ADMIN_COMMANDS } from '../../src/cli/commands/index.js';
import { parseDn } from '../../src/identifiers/index.js';
import { NS, STATUS_SUCCESS_V2 } from '../../src/soap/namespaces.js';
import { el, textEl, type Child, type Xml } from '../../src/xml/builder.js';
import { signEnveloped, type DigestMethodName, type SignatureMethodName } from '../../src/xml/dsig/index.js';
import { childElements, childrenNamed, descendantsNamed, parseXmlStrict, textOf, type Element } from '../../src/xml/parse.js';
import { expectValidAgainstBothSchemaSets } from './schemas.js';
import type { TestPlatform } from './platform.js';

/**
 * A CertRA v2 client for the tests that lays requests out as the eHealth technical connector does (docs/wire-facts.md §0, §4.1):
 * JAXB-style prefixes with commons core v2 as the default namespace, Id="_<uuid>", IssueInstant in local time with an
 * offset, and for signed operations an enveloped XML-DSig appended as the last child of the request element
 * (Id="xmldsig-…", one Reference to #Id, enveloped-signature + exc-c14n, rsa-sha256, X509Data with the chain),
 * signed on the request element alone before it is put into the SOAP Body.
 */

const CRP = NS.certraProtocolV2;
const CERT = NS.certraCoreV2;
const CC = NS.commonsCoreV2;

/** The prefixes JAXB picks for a CertRA request (never relied upon by the server). */
const REQUEST_NAMESPACES = { xmlns: CC, 'xmlns:ns2': CERT, 'xmlns:ns3': CRP, 'xmlns:ns4': NS.eteeCoreV2 } as const;

export interface Person {
  readonly ssin: string;
  readonly givenName: string;
  readonly surname: string;
  readonly identity: CitizenIdentity;
}

export interface SigningCredential {
  readonly privateKey: KeyObject;
  /** Signer first, then its chain. */
  readonly chain: readonly Buffer[];
}

export const CONTACT: ContactData = { emailPrivate: 'jan.test@example.be', phonePrivate: '+32 2 123 45 67' };

export function signatureCredential(person: Person): SigningCredential {
  return { privateKey: person.identity.signature.privateKey, chain: [person.identity.signature.certificate, ...person.identity.chain] };
}

export function authenticationCredential(person: Person): SigningCredential {
  return { privateKey: person.identity.authentication.privateKey, chain: [person.identity.authentication.certificate, ...person.identity.chain] };
}

/** A Belgian-eID-like identity from the development test citizen CA, valid from the platform's clock. */
export async function mintPerson(t: TestPlatform, ssin: string, givenName: string, surname: string): Promise<Person> {
  const citizenCa = t.platform.services.ca.citizenCa;
  if (!citizenCa) throw new Error('the test platform has no test citizen CA');
  return { ssin, givenName, surname, identity: await mintCitizenIdentity({ ssin, givenName, surname }, citizenCa, { now: t.clock.now() }) };
}

export function rsaKey(bits = 2048): KeyObject {
  return generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 65537 }).privateKey;
}

/** A PKCS#10 request whose subject is the DN string (in any RFC 2253 spelling), encoded C first as clients do. */
export function csrFor(dn: string, key: KeyObject): Buffer {
  const attributes = parseDn(dn)
    .reverse()
    .map((a) => ({ type: a.type as DnAttributeType, value: a.value }));
  return buildCsr(attributes, key);
}

/** IssueInstant as the connector writes it: local time with an explicit offset (here +01:00). */
export function issueInstant(at: Date): string {
  const local = new Date(at.getTime() + 60 * 60 * 1000);
  return `${local.toISOString().slice(0, 23)}+01:00`;
}

function requestElement(name: string, at: Date, ...children: Child[]): string {
  return el(`ns3:${name}`, { ...REQUEST_NAMESPACES, Id: `_${randomUUID()}`, IssueInstant: issueInstant(at) }, ...children).markup;
}

export interface Actor {
  readonly ids: ReadonlyArray<{ type: string; value: string }>;
  readonly firstNames?: readonly string[];
  readonly name: string;
}

function actorContent(actor: Actor): Child[] {
  return [
    actor.ids.map((id) => el('Id', { Type: id.type }, id.value)),
    (actor.firstNames ?? []).map((f) => el('FirstName', null, f)),
    el('Name', null, actor.name),
  ];
}

function contactXml(name: string, contact: ContactData): Xml {
  return el(
    name,
    null,
    el('ns2:EmailPrivate', null, contact.emailPrivate),
    textEl('ns2:EmailGeneral', contact.emailGeneral),
    el('ns2:PhonePrivate', null, contact.phonePrivate),
    textEl('ns2:PhoneGeneral', contact.phoneGeneral),
  );
}

export function signerOf(person: Person): Actor {
  return { ids: [{ type: 'SSIN', value: person.ssin }], firstNames: [person.givenName], name: person.surname };
}

// ---------------------------------------------------------------------------------------------------------------
// Request builders (XML of the request element)

export function generateContractRequest(at: Date, input: { signer: Actor; holder: Actor; applicationId?: string; contact?: ContactData }): string {
  return requestElement(
    'GenerateContractRequest',
    at,
    contactXml('ns3:ContactData', input.contact ?? CONTACT),
    el('ns3:Signer', null, actorContent(input.signer)),
    el('ns3:CertificateIdentifier', null, el('ns2:Actor', null, actorContent(input.holder)), textEl('ns2:ApplicationId', input.applicationId)),
  );
}

/** The Contract element of a response, re-emitted inside a request as the connector echoes it (JAXB object → XML). */
export interface Contract {
  readonly dn: string;
  readonly signer: Actor;
  readonly reason?: string;
  readonly texts: ReadonlyArray<{ lang: string; text: string }>;
}

function contractXml(name: string, contract: Contract): Xml {
  return el(
    name,
    null,
    el('ns2:DN', null, contract.dn),
    el('ns2:Signer', null, actorContent(contract.signer)),
    textEl('ns2:RevocationReason', contract.reason),
    el(
      'ns2:Text',
      null,
      contract.texts.map((t) => el('ns2:Value', { 'xml:lang': t.lang }, t.text)),
    ),
  );
}

export function generateCertificateRequest(
  at: Date,
  input: { contract: Contract; csr: Buffer; contact?: ContactData; baseServices?: readonly string[] },
): string {
  return requestElement(
    'GenerateCertificateRequest',
    at,
    el(
      'ns3:EHealthCSR',
      null,
      contactXml('ns2:ContactData', input.contact ?? CONTACT),
      el('ns2:CSR', null, input.csr.toString('base64')),
      contractXml('ns2:Contract', input.contract),
      (input.baseServices ?? []).map((s) => el('ns2:BaseServiceUsage', null, s)),
    ),
  );
}

export function getCertificateRequest(at: Date, publicKeyIdentifier: string): string {
  return requestElement('GetCertificateRequest', at, el('ns3:PublicKeyIdentifier', null, publicKeyIdentifier));
}

export function generateRevocationContractRequest(at: Date, input: { publicKeyIdentifier: string; signer: Actor; reason: string }): string {
  return requestElement(
    'GenerateRevocationContractRequest',
    at,
    el('ns3:PublicKeyIdentifier', null, input.publicKeyIdentifier),
    el('ns3:Signer', null, actorContent(input.signer)),
    el('ns3:RevocationReason', null, input.reason),
  );
}

export function revokeRequest(at: Date, input: { publicKeyIdentifier: string; contract: Contract }): string {
  return requestElement('RevokeRequest', at, el('ns3:PublicKeyIdentifier', null, input.publicKeyIdentifier), contractXml('ns3:Contract', input.contract));
}

export function getActorQualitiesRequest(at: Date, ssin: string): string {
  return requestElement('GetActorQualitiesRequest', at, el('ns3:SSIN', { Type: 'SSIN' }, ssin));
}

export function getGenericOrganizationTypesRequest(at: Date): string {
  return requestElement('GetGenericOrganizationTypesRequest', at);
}

export function getExistingApplicationIdsRequest(at: Date, organisation: { type: string; value: string }): string {
  return requestElement('GetExistingApplicationIdsRequest', at, el('ns3:OrganizationIdentifier', { Type: organisation.type }, organisation.value));
}

export function getCertificateInfoForCitizenRequest(at: Date): string {
  return requestElement('GetCertificateInfoForCitizenRequest', at);
}

export function getCertificateInfoForAuthenticationCertificateRequest(at: Date): string {
  return requestElement('GetCertificateInfoForAuthenticationCertificateRequest', at);
}

export function submitCsrForForeignerRequest(at: Date, input: { person: Actor; csr: Buffer; contact?: ContactData }): string {
  return requestElement(
    'SubmitCSRForForeignerRequest',
    at,
    el('ns3:ForeignPerson', null, actorContent(input.person)),
    contactXml('ns3:ContactData', input.contact ?? CONTACT),
    el('ns3:CSR', null, input.csr.toString('base64')),
  );
}

/** Signs a request element as RaUtils.sign does; returns the signed element's XML (no declaration). */
export function sign(
  requestXml: string,
  credential: SigningCredential,
  options: { signatureMethod?: SignatureMethodName; digestMethod?: DigestMethodName } = {},
): string {
  return signEnveloped(requestXml, { key: credential.privateKey, certificateChain: credential.chain, ...options }).replace(/^<\?xml[^>]*\?>\s*/, '');
}

/** The SOAP 1.1 envelope SAAJ builds around the request. */
export function envelope(requestXml: string): string {
  return `<SOAP-ENV:Envelope xmlns:SOAP-ENV="${NS.soap11}"><SOAP-ENV:Header/><SOAP-ENV:Body>${requestXml}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;
}

// ---------------------------------------------------------------------------------------------------------------
// Responses

export interface EteeError {
  readonly code: string;
  readonly message: string;
  readonly parameters: Record<string, string>;
}

export interface CertRaResponse {
  readonly httpStatus: number;
  readonly body: string;
  /** The response element (the Body's child). */
  readonly element: Element;
  readonly success: boolean;
  readonly statusCode: string | undefined;
  readonly errors: readonly EteeError[];
  /** Convenience: the first error code, or 'Success'. */
  readonly outcome: string;
}

/** Reads a CertRA response the way the connector does, after checking it against both schema sets. */
export function readResponse(httpStatus: number, body: string): CertRaResponse {
  expectValidAgainstBothSchemaSets(body);
  const document = parseXmlStrict(body);
  const bodyElement = descendantsNamed(document, NS.soap11, 'Body')[0]!;
  const element = childElements(bodyElement)[0]!;
  const status = childrenNamed(element, CC, 'Status')[0];
  const statusCode = status ? (childrenNamed(status, CC, 'StatusCode')[0]!.getAttribute('Value') ?? undefined) : undefined;
  const errors: EteeError[] = [];
  const detail = status ? childrenNamed(status, CC, 'StatusDetail')[0] : undefined;
  if (detail) {
    for (const child of childElements(detail)) {
      // The connector unmarshals every StatusDetail child as EteeStatusDetail: anything else would crash it.
      if (child.namespaceURI !== NS.eteeCoreV2 || child.localName !== 'EteeStatusDetail') throw new Error(`StatusDetail holds ${child.localName}`);
      for (const error of childrenNamed(child, null, 'Errors')) {
        const parameters: Record<string, string> = {};
        for (const p of childrenNamed(error, null, 'Parameters'))
          parameters[textOf(childrenNamed(p, null, 'Name')[0]!)] = textOf(childrenNamed(p, null, 'Value')[0]!);
        errors.push({ code: textOf(childrenNamed(error, null, 'Code')[0]!), message: textOf(childrenNamed(error, null, 'Message')[0]!), parameters });
      }
    }
  }
  const success = statusCode === STATUS_SUCCESS_V2;
  if (status && !success && errors.length === 0) throw new Error('a non-Success CertRA response without EteeStatusDetail errors');
  return { httpStatus, body, element, success, statusCode, errors, outcome: success ? 'Success' : (errors[0]?.code ?? `fault:${body.slice(0, 200)}`) };
}

export function child(element: Element, localName: string, namespace: string = CRP): Element {
  const found = childrenNamed(element, namespace, localName)[0];
  if (!found) throw new Error(`no ${localName} in ${element.localName}`);
  return found;
}

export function childTexts(element: Element, localName: string, namespace: string = CRP): string[] {
  return childrenNamed(element, namespace, localName).map((e) => textOf(e));
}

/** The Contract of a (revocation) contract response, ready to be echoed. */
export function contractOf(response: CertRaResponse): Contract {
  const contract = child(response.element, 'Contract');
  const signer = child(contract, 'Signer', CERT);
  const reason = childrenNamed(contract, CERT, 'RevocationReason')[0];
  return {
    dn: textOf(child(contract, 'DN', CERT)),
    signer: {
      ids: childrenNamed(signer, CC, 'Id').map((id) => ({ type: id.getAttribute('Type')!, value: textOf(id) })),
      firstNames: childrenNamed(signer, CC, 'FirstName').map((e) => textOf(e)),
      name: textOf(childrenNamed(signer, CC, 'Name')[0]!),
    },
    ...(reason ? { reason: textOf(reason) } : {}),
    texts: childrenNamed(child(contract, 'Text', CERT), CERT, 'Value').map((v) => ({ lang: v.getAttributeNS(NS.xml, 'lang')!, text: textOf(v) })),
  };
}

/** A CertificateInfo element as a plain object (the fields the tests look at). */
export interface CertificateInfoView {
  readonly publicKeyIdentifier: string;
  readonly entityType: string;
  readonly identifier: { type: string; value: string };
  readonly applicationId: string | undefined;
  readonly status: string;
  readonly etkStatus: string;
  readonly automaticallyValidated: boolean;
  readonly serialNumber: string | undefined;
  readonly dn: string | undefined;
  readonly validNotAfter: string | undefined;
  readonly revocable: boolean;
  readonly replaceable: boolean;
  readonly replacementPeriodStart: string | undefined;
  readonly baseServiceUsage: readonly string[];
}

export function certificateInfoOf(info: Element): CertificateInfoView {
  const text = (parent: Element, name: string): string | undefined => {
    const found = childrenNamed(parent, CERT, name)[0];
    return found ? textOf(found) : undefined;
  };
  const entity = child(info, 'CertificateEntity', CERT);
  const certificateIdentifier = child(entity, 'CertificateIdentifier', CERT);
  const id = childrenNamed(child(certificateIdentifier, 'Actor', CERT), CC, 'Id')[0]!;
  const details = childrenNamed(info, CERT, 'AuthenticationCertificateDetails')[0];
  return {
    publicKeyIdentifier: text(info, 'PublicKeyIdentifier')!,
    entityType: entity.getAttribute('EntityType')!,
    identifier: { type: id.getAttribute('Type')!, value: textOf(id) },
    applicationId: text(certificateIdentifier, 'ApplicationId'),
    status: text(info, 'AuthenticationCertificateStatus')!,
    etkStatus: text(info, 'ETKStatus')!,
    automaticallyValidated: text(info, 'AutomaticallyValidated') === 'true',
    serialNumber: details ? text(details, 'SerialNumber') : undefined,
    dn: details ? text(details, 'DN') : undefined,
    validNotAfter: details ? text(details, 'ValidNotAfter') : undefined,
    revocable: text(info, 'Revocable') === 'true',
    replaceable: text(info, 'Replaceable') === 'true',
    replacementPeriodStart: text(info, 'ReplacementPeriodStartDate'),
    baseServiceUsage: childrenNamed(info, CERT, 'BaseServiceUsage').map((e) => textOf(e)),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The client

export class CertRaClient {
  constructor(private readonly t: TestPlatform) {}

  private now(): Date {
    return this.t.clock.now();
  }

  /** Posts a request element (signed or not) in a SOAP envelope and reads the response. */
  async send(requestXml: string): Promise<CertRaResponse> {
    const response = await this.t.soap('/CertRa/v2', envelope(requestXml));
    return readResponse(response.status, response.body);
  }

  generateContract(input: { signer: Actor; holder: Actor; applicationId?: string; contact?: ContactData }): Promise<CertRaResponse> {
    return this.send(generateContractRequest(this.now(), input));
  }

  /** The whole "new certificate" step of the connector: contract DN → CSR → signed generateCertificate. */
  generateCertificate(person: Person, contract: Contract, csr: Buffer, options: { baseServices?: readonly string[] } = {}): Promise<CertRaResponse> {
    return this.send(sign(generateCertificateRequest(this.now(), { contract, csr, ...options }), signatureCredential(person)));
  }

  getCertificate(publicKeyIdentifier: string): Promise<CertRaResponse> {
    return this.send(getCertificateRequest(this.now(), publicKeyIdentifier));
  }

  generateRevocationContract(person: Person, publicKeyIdentifier: string, reason: string): Promise<CertRaResponse> {
    return this.send(generateRevocationContractRequest(this.now(), { publicKeyIdentifier, signer: signerOf(person), reason }));
  }

  revoke(person: Person, publicKeyIdentifier: string, contract: Contract): Promise<CertRaResponse> {
    return this.send(sign(revokeRequest(this.now(), { publicKeyIdentifier, contract }), signatureCredential(person)));
  }

  getActorQualities(person: Person, ssin: string = person.ssin): Promise<CertRaResponse> {
    return this.send(sign(getActorQualitiesRequest(this.now(), ssin), authenticationCredential(person)));
  }

  getGenericOrganizationTypes(): Promise<CertRaResponse> {
    return this.send(getGenericOrganizationTypesRequest(this.now()));
  }

  getExistingApplicationIds(organisation: { type: string; value: string }): Promise<CertRaResponse> {
    return this.send(getExistingApplicationIdsRequest(this.now(), organisation));
  }

  async getCertificateInfoForCitizen(person: Person): Promise<{ response: CertRaResponse; infos: CertificateInfoView[] }> {
    const response = await this.send(sign(getCertificateInfoForCitizenRequest(this.now()), authenticationCredential(person)));
    return { response, infos: childrenNamed(response.element, CRP, 'CertificateInfo').map(certificateInfoOf) };
  }

  async getCertificateInfoForAuthenticationCertificate(
    credential: SigningCredential,
  ): Promise<{ response: CertRaResponse; info: CertificateInfoView | undefined }> {
    const response = await this.send(sign(getCertificateInfoForAuthenticationCertificateRequest(this.now()), credential));
    const info = childrenNamed(response.element, CRP, 'CertificateInfo')[0];
    return { response, info: info ? certificateInfoOf(info) : undefined };
  }

  submitCsrForForeigner(input: { person: Actor; csr: Buffer; contact?: ContactData }): Promise<CertRaResponse> {
    return this.send(submitCsrForForeignerRequest(this.now(), input));
  }

  /**
   * The usual path for a holder: generateContract → CSR on the contract DN → generateCertificate. Returns the key,
   * the contract and the generateCertificate response.
   */
  async requestCertificate(
    person: Person,
    holder: Actor,
    options: { applicationId?: string; key?: KeyObject; baseServices?: readonly string[] } = {},
  ): Promise<{ key: KeyObject; contract: Contract; response: CertRaResponse; publicKeyIdentifier: string | undefined }> {
    const contractResponse = await this.generateContract({
      signer: signerOf(person),
      holder,
      ...(options.applicationId ? { applicationId: options.applicationId } : {}),
    });
    if (!contractResponse.success) throw new Error(`generateContract failed: ${contractResponse.outcome}`);
    const contract = contractOf(contractResponse);
    const key = options.key ?? rsaKey();
    const response = await this.generateCertificate(
      person,
      contract,
      csrFor(contract.dn, key),
      options.baseServices ? { baseServices: options.baseServices } : {},
    );
    const pki = childrenNamed(response.element, CRP, 'PublicKeyIdentifier')[0];
    return { key, contract, response, publicKeyIdentifier: pki ? textOf(pki) : undefined };
  }
}

/** The X509Certificate entries of a GetCertificateResponse (DER). */
export function certificateChainOf(response: CertRaResponse): Buffer[] {
  return childTexts(response.element, 'X509Certificate').map((b64) => Buffer.from(b64, 'base64'));
}

// ---------------------------------------------------------------------------------------------------------------
// The admin CLI, run in-process against the test platform

/** Runs an admin command (as `npm run admin -- <name> --key value…` would) as the given operator; returns its output lines. */
export async function runAdmin(t: TestPlatform, name: string, options: Record<string, string | true>, operator = 'officer.dupont'): Promise<string[]> {
  const command = ADMIN_COMMANDS.find((c) => c.name === name);
  if (!command) throw new Error(`no admin command ${name}`);
  const c = t.platform.services;
  const context: AdminContext = { config: c.config, logger: c.logger, clock: c.clock, db: c.db, ca: c.ca, services: c, operator, close: async () => undefined };
  const lines: string[] = [];
  // Through the command's declared options, as the CLI parses them (--key=value keeps values such as ' ' or '-x').
  const args = Object.entries(options).map(([key, value]) => (value === true ? `--${key}` : `--${key}=${value}`));
  await runAdminCommand(command, context, args, (line) => lines.push(line));
  return lines;
}

/**
 * A foreigner's certificate request (submitCSRForForeigner, José Müller with the BIS number) POSTed over HTTP to a
 * running server; it waits for an officer. Returns its public key identifier.
 */
export async function submitForeignerOverHttp(baseUrl: string, bis: string): Promise<string> {
  const key = rsaKey();
  const dn = `CN=SSIN\\=${bis},OU=eHealth-platform Belgium,OU=MULLER JOSE,OU=SSIN\\=${bis},O=Federal Government,C=BE`;
  const response = await fetch(`${baseUrl}/CertRa/v2`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' },
    body: envelope(
      submitCsrForForeignerRequest(new Date(), { person: { ids: [{ type: 'SSIN', value: bis }], firstNames: ['José'], name: 'Müller' }, csr: csrFor(dn, key) }),
    ),
  });
  const text = await response.text();
  if (response.status !== 200 || !text.includes(STATUS_SUCCESS_V2)) throw new Error(`submitCSRForForeigner failed: ${response.status} ${text}`);
  return formatKeyId(publicKeyIdentifier(createPublicKey(key).export({ type: 'spki', format: 'der' })));
}
