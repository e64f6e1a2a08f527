import { randomUUID } from 'node:crypto';
import type { Actor, ContactData } from '../../domain/certra.js';
import type { Clock } from '../../domain/clock.js';
import { ERROR_CATALOGUE, type ErrorCode, type ServiceError } from '../../domain/errors.js';
import type { CertificateInfo, LocalizedText } from '../../services/certra/index.js';
import { NS, STATUS_SUCCESS_V2 } from '../../soap/namespaces.js';
import type { SoapCall } from '../../soap/service.js';
import { el, textEl, type Child, type Xml } from '../../xml/builder.js';

/**
 * Builders for CertRA responses. Prefixes: crp = certra protocol, cert = certra core, cc = commons core v2,
 * etee = etee commons (whose local elements are unqualified: Errors, Code, Message, Parameters, Name, Value).
 * No default namespace is ever declared, so those unqualified elements stay in no namespace.
 */

const NAMESPACE_DECLARATIONS = {
  'xmlns:crp': NS.certraProtocolV2,
  'xmlns:cert': NS.certraCoreV2,
  'xmlns:cc': NS.commonsCoreV2,
  'xmlns:etee': NS.eteeCoreV2,
  'xmlns:xsi': NS.xsi,
} as const;

/** SAML-style second-level-free status values: Requester = the request cannot succeed as sent; Responder = our side. */
export const STATUS_REQUESTER = 'urn:be:fgov:ehealth:2.0:status:Requester';
export const STATUS_RESPONDER = 'urn:be:fgov:ehealth:2.0:status:Responder';

/** Codes that are not the requester's doing: the certificate is still with us, or the CA refused to sign. */
const RESPONDER_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['CERT_NOT_YET_DELIVERED', 'ISSUANCE_REFUSED', 'INTERNAL_ERROR']);

export function statusCodeFor(code: ErrorCode): string {
  return RESPONDER_CODES.has(code) ? STATUS_RESPONDER : STATUS_REQUESTER;
}

export function isoDateTime(date: Date): string {
  return date.toISOString();
}

/** A response element: ResponseType attributes (Id, InResponseTo = the request's Id, IssueInstant), then the children. */
export function responseElement(localName: string, call: SoapCall, clock: Clock, ...children: Child[]): string {
  const requestId = call.envelope.payload.getAttribute('Id');
  return el(
    `crp:${localName}`,
    { ...NAMESPACE_DECLARATIONS, Id: `_${randomUUID()}`, InResponseTo: requestId || undefined, IssueInstant: isoDateTime(clock.now()) },
    ...children,
  ).markup;
}

export function successStatus(): Xml {
  return el('cc:Status', null, el('cc:StatusCode', { Value: STATUS_SUCCESS_V2 }));
}

/**
 * A refusal: a non-Success StatusCode and a StatusDetail holding only EteeStatusDetail (the connector unmarshals every
 * child of StatusDetail as one), with our code, the detail and its parameters.
 */
export function errorStatus(error: ServiceError): Xml {
  return el(
    'cc:Status',
    null,
    el('cc:StatusCode', { Value: statusCodeFor(error.code) }),
    textEl('cc:StatusMessage', ERROR_CATALOGUE[error.code].message),
    el(
      'cc:StatusDetail',
      null,
      el(
        'etee:EteeStatusDetail',
        null,
        el(
          'Errors',
          null,
          textEl('Code', error.code),
          textEl('Message', error.detail),
          error.parameters.map((p) => el('Parameters', null, textEl('Name', p.name), textEl('Value', p.value))),
        ),
      ),
    ),
  );
}

/** commons:core:v2 ActorType content under the given element name. */
export function actorXml(name: string, actor: Actor): Xml {
  return el(
    name,
    null,
    actor.ids.map((id) => el('cc:Id', { Type: id.type }, id.value)),
    actor.firstNames.map((firstName) => el('cc:FirstName', null, firstName)),
    el('cc:Name', null, actor.name),
  );
}

/** certra core TextType. */
export function textTypeXml(name: string, texts: readonly LocalizedText[]): Xml {
  return el(
    name,
    null,
    texts.map((t) => el('cert:Value', { 'xml:lang': t.lang }, t.text)),
  );
}

/** certra core ContactDataType. */
export function contactDataXml(name: string, contact: ContactData): Xml {
  return el(
    name,
    null,
    el('cert:EmailPrivate', null, contact.emailPrivate),
    textEl('cert:EmailGeneral', contact.emailGeneral),
    el('cert:PhonePrivate', null, contact.phonePrivate),
    textEl('cert:PhoneGeneral', contact.phoneGeneral),
  );
}

/** certra core CertificateInfoType. */
export function certificateInfoXml(name: string, info: CertificateInfo): Xml {
  const details = info.details;
  return el(
    name,
    null,
    el('cert:RequestedDate', null, isoDateTime(info.requestedAt)),
    el('cert:PublicKeyIdentifier', null, info.publicKeyIdentifier),
    el(
      'cert:CertificateEntity',
      { EntityType: info.entityType },
      el('cert:CertificateIdentifier', null, actorXml('cert:Actor', info.actor), textEl('cert:ApplicationId', info.applicationId)),
    ),
    el('cert:AuthenticationCertificateStatus', null, info.status),
    el('cert:ETKStatus', null, info.etkStatus),
    el('cert:AutomaticallyValidated', null, String(info.automaticallyValidated)),
    details &&
      el(
        'cert:AuthenticationCertificateDetails',
        null,
        el('cert:SerialNumber', null, details.serialNumber),
        el('cert:DN', null, details.dn),
        el('cert:IssuerDN', null, details.issuerDn),
        el('cert:ValidNotBefore', null, isoDateTime(details.notBefore)),
        el('cert:ValidNotAfter', null, isoDateTime(details.notAfter)),
      ),
    el('cert:Revocable', null, String(info.revocable)),
    el('cert:Replaceable', null, String(info.replaceable)),
    info.replacementPeriodStart && el('cert:ReplacementPeriodStartDate', null, isoDateTime(info.replacementPeriodStart)),
    contactDataXml('cert:ContactData', info.contactData),
    info.baseServiceUsage.map((service) => el('cert:BaseServiceUsage', null, service)),
  );
}
