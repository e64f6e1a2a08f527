import type { Actor } from '../../domain/certra.js';
import { ServiceError } from '../../domain/errors.js';
import type { Identifier } from '../../domain/identifier.js';
import { checkSsin, findEtkIdentifierType, validateIdentifier, type EtkIdentifierType } from '../../identifiers/index.js';
import type { AuthenticatedSigner } from '../../domain/authenticated-signer.js';

/**
 * Who signed a request, as the eID (or eHealth) certificate says, never taken from the message body: the names of the
 * AuthenticatedSigner, and its subject serialNumber once checked to be a valid SSIN.
 */
export type SignerIdentity = Pick<AuthenticatedSigner, 'givenName' | 'surname'> & { readonly ssin: string };

/** The signer's SSIN is the serialNumber of its eID certificate; a certificate without a valid one identifies nobody. */
export function signerIdentity(signer: AuthenticatedSigner, now: Date): SignerIdentity {
  const ssin = signer.subjectSerialNumber;
  if (ssin === undefined || !checkSsin(ssin, now).ok) {
    throw new ServiceError('UNTRUSTED_SIGNER', 'the signing certificate carries no valid SSIN in its subject serialNumber');
  }
  return { ssin, givenName: signer.givenName, surname: signer.surname };
}

/** Upper case, diacritics and punctuation spacing ignored: "Van den Bossche" = "VAN DEN BOSSCHE", "Zoë" = "ZOE". */
function comparableName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/gu, '')
    .toUpperCase()
    .replace(/[\s-]+/gu, ' ')
    .trim();
}

/**
 * The Signer element must name the person whose eID signed (XSD: "The SignerPersons's name and SSIN must exactly
 * match the ones of his eID"): its SSIN must be the certificate's, its Name the certificate's surname, and its
 * first names the leading given names of the certificate (eID cards list every given name; clients send the first).
 */
export function assertSignerIs(signer: SignerIdentity, claimed: Actor, now: Date): void {
  const claimedSsin = ssinOf(claimed, now, 'Signer');
  if (claimedSsin !== signer.ssin) throw new ServiceError('SIGNER_MISMATCH', `the request names signer ${claimedSsin}, the signature is by ${signer.ssin}`);
  if (signer.surname !== undefined && comparableName(claimed.name) !== comparableName(signer.surname)) {
    throw new ServiceError('SIGNER_MISMATCH', 'the Signer name is not the surname of the signing certificate');
  }
  if (signer.givenName !== undefined && claimed.firstNames.length > 0) {
    const given = comparableName(signer.givenName).split(' ');
    const claimedGiven = comparableName(claimed.firstNames.join(' ')).split(' ');
    if (claimedGiven.some((name, index) => given[index] !== name)) {
      throw new ServiceError('SIGNER_MISMATCH', 'the Signer first names are not those of the signing certificate');
    }
  }
}

/** The one SSIN among an actor's identifiers, validated (check digits included). */
export function ssinOf(actor: Actor, now: Date, role: string): string {
  const ssins = actor.ids.filter((id) => id.type === 'SSIN');
  if (ssins.length !== 1) throw new ServiceError('INVALID_REQUEST', `${role} must carry exactly one Id of Type SSIN`);
  return requireValidIdentifier(ssins[0]!, now).value;
}

/** A known ETK identifier type with a well-formed value and correct check digits. */
export function requireValidIdentifier(identifier: Identifier, now: Date): { value: string; type: EtkIdentifierType } {
  if (!findEtkIdentifierType(identifier.type))
    throw new ServiceError('UNKNOWN_IDENTIFIER_TYPE', `identifier type ${JSON.stringify(identifier.type.slice(0, 40))} is not supported`);
  const result = validateIdentifier(identifier.type, identifier.value, { now });
  if (!result.ok) {
    const why = result.reason === 'BAD_CHECK_DIGIT' ? 'has wrong check digits' : 'is malformed';
    throw new ServiceError('INVALID_IDENTIFIER', `${identifier.type} ${JSON.stringify(identifier.value.slice(0, 40))} ${why}`, {
      parameters: [{ name: 'IdentifierType', value: identifier.type }],
    });
  }
  return { value: result.value, type: result.identifierType };
}
