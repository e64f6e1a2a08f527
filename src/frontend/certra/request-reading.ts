import { REVOCATION_REASONS, type Actor, type ContactData, type RevocationReason } from '../../domain/certra.js';
import { ServiceError } from '../../domain/errors.js';
import type { Identifier } from '../../domain/identifier.js';
import { normaliseKeyId } from '../../domain/key-id.js';
import type { CertificateContract, LocalizedText, RevocationContract } from '../../services/certra/index.js';
import { NS } from '../../soap/namespaces.js';
import { childrenNamed, optionalChild, textOf, type Element } from '../../xml/parse.js';

/**
 * Readers for CertRA request content, namespace-exact. They take the element the caller trusts: the signed element
 * returned by authentication for signed operations, the Body's child for public ones. The schema already validated
 * the structure; a missing element here is still refused cleanly rather than assumed.
 */

export const CRP = NS.certraProtocolV2;
export const CERT = NS.certraCoreV2;
const CC = NS.commonsCoreV2;

export function requiredChild(parent: Element, namespace: string, localName: string): Element {
  const found = optionalChild(parent, namespace, localName);
  if (!found) throw new ServiceError('INVALID_REQUEST', `${localName} is missing`);
  return found;
}

export function childText(parent: Element, namespace: string, localName: string): string {
  return textOf(requiredChild(parent, namespace, localName));
}

export function optionalChildText(parent: Element, namespace: string, localName: string): string | undefined {
  const found = optionalChild(parent, namespace, localName);
  return found ? textOf(found) : undefined;
}

/** commons:core:v2 IdType: text value and its Type attribute. */
export function readIdentifier(element: Element): Identifier {
  return { type: element.getAttribute('Type') ?? '', value: textOf(element).trim() };
}

/** commons:core:v2 ActorType. */
export function readActor(element: Element): Actor {
  return {
    ids: childrenNamed(element, CC, 'Id').map(readIdentifier),
    firstNames: childrenNamed(element, CC, 'FirstName').map((e) => textOf(e).trim()),
    name: childText(element, CC, 'Name').trim(),
  };
}

/** certra core ContactDataType. */
export function readContactData(element: Element): ContactData {
  const emailGeneral = optionalChildText(element, CERT, 'EmailGeneral');
  const phoneGeneral = optionalChildText(element, CERT, 'PhoneGeneral');
  return {
    emailPrivate: childText(element, CERT, 'EmailPrivate'),
    ...(emailGeneral !== undefined ? { emailGeneral } : {}),
    phonePrivate: childText(element, CERT, 'PhonePrivate'),
    ...(phoneGeneral !== undefined ? { phoneGeneral } : {}),
  };
}

/** certra core TextType: the values exactly as sent (the contract seal covers them byte for byte). */
export function readTexts(element: Element): LocalizedText[] {
  return childrenNamed(element, CERT, 'Value').map((value) => ({ lang: value.getAttributeNS(NS.xml, 'lang') ?? '', text: textOf(value) }));
}

/** certra core ContractType. */
export function readCertificateContract(element: Element): CertificateContract {
  return {
    dn: childText(element, CERT, 'DN'),
    signer: readActor(requiredChild(element, CERT, 'Signer')),
    texts: readTexts(requiredChild(element, CERT, 'Text')),
  };
}

export function readRevocationReason(element: Element): RevocationReason {
  const reason = textOf(element).trim();
  if (!(REVOCATION_REASONS as readonly string[]).includes(reason)) throw new ServiceError('INVALID_REQUEST', 'unknown RevocationReason');
  return reason as RevocationReason;
}

/** certra core RevocationContractType. */
export function readRevocationContract(element: Element): RevocationContract {
  return {
    dn: childText(element, CERT, 'DN'),
    signer: readActor(requiredChild(element, CERT, 'Signer')),
    reason: readRevocationReason(requiredChild(element, CERT, 'RevocationReason')),
    texts: readTexts(requiredChild(element, CERT, 'Text')),
  };
}

/** xs:base64Binary (line breaks tolerated). */
export function readBase64(element: Element): Buffer {
  return Buffer.from(textOf(element).replace(/\s+/g, ''), 'base64');
}

/** etee PublicKeyIdentifier (hexBinary, 20 bytes), spelt as we store it. */
export function readPublicKeyIdentifier(element: Element): string {
  const value = normaliseKeyId(textOf(element).trim());
  if (!/^[0-9A-F]{40}$/u.test(value)) throw new ServiceError('INVALID_REQUEST', 'PublicKeyIdentifier must be 20 bytes in hex');
  return value;
}
