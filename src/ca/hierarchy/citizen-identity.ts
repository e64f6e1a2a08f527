import { createPublicKey, type KeyObject } from 'node:crypto';
import { isValidSsin } from '../../identifiers/ssin.js';
import { generatePrivateKey } from '../keys/file-key.js';
import { createKeyObjectSigner, type KeySigner } from '../keys/key-signer.js';
import { eidCitizenAuthentication, eidCitizenSignature } from '../profiles/builtin.js';
import type { DnSequence } from '../x509/index.js';
import type { IssuingCaEntry } from './ca-material.js';
import { issueHierarchyCertificate } from './issue-ca-certificate.js';

/**
 * A test eID-like identity issued by the test citizen CA: like a Belgian eID card, two RSA-2048 keys, one with a
 * "Signature" certificate (nonRepudiation, signs revocation contracts) and one with an "Authentication" certificate.
 * For tests, the dev CLI and the interop suite; never for production.
 */

export interface CitizenIdentityRequest {
  readonly ssin: string;
  readonly givenName: string;
  readonly surname: string;
}

export interface CitizenCredential {
  readonly privateKey: KeyObject;
  readonly signer: KeySigner;
  /** DER. */
  readonly certificate: Buffer;
}

export interface CitizenIdentity {
  readonly ssin: string;
  readonly signature: CitizenCredential;
  readonly authentication: CitizenCredential;
  /** The citizen CA certificate (DER): the chain above both certificates. */
  readonly chain: readonly Buffer[];
}

/** Encoded order of eID certificates: C, CN, SN, GIVENNAME, SERIALNUMBER (printed reversed: SERIALNUMBER=…, …, C=BE). */
export function citizenSubject(request: CitizenIdentityRequest, usage: 'Signature' | 'Authentication'): DnSequence {
  return [
    { type: 'C', value: 'BE' },
    { type: 'CN', value: `${request.givenName} ${request.surname} (${usage})` },
    { type: 'SN', value: request.surname },
    { type: 'GIVENNAME', value: request.givenName },
    { type: 'SERIALNUMBER', value: request.ssin },
  ];
}

export async function mintCitizenIdentity(
  request: CitizenIdentityRequest,
  citizenCa: IssuingCaEntry,
  /** `keys`: the cards' key pairs to certify (benchmarks minting thousands of citizens); default: fresh RSA-2048 keys. */
  options: { readonly now?: Date; readonly keys?: { readonly signature: KeyObject; readonly authentication: KeyObject } } = {},
): Promise<CitizenIdentity> {
  if (!isValidSsin(request.ssin)) throw new Error(`mintCitizenIdentity: ${request.ssin} is not a valid SSIN`);
  if (request.givenName.trim() === '' || request.surname.trim() === '') throw new Error('mintCitizenIdentity: given name and surname are required');
  const notBefore = new Date((options.now ?? new Date()).getTime() - 60 * 1000);
  const credential = async (usage: 'Signature' | 'Authentication'): Promise<CitizenCredential> => {
    const privateKey = options.keys ? (usage === 'Signature' ? options.keys.signature : options.keys.authentication) : generatePrivateKey('RSA', 2048);
    const certificate = await issueHierarchyCertificate({
      profile: usage === 'Signature' ? eidCitizenSignature : eidCitizenAuthentication,
      subject: citizenSubject(request, usage),
      subjectPublicKeySpki: createPublicKey(privateKey).export({ type: 'spki', format: 'der' }),
      issuer: citizenCa.fields,
      signer: citizenCa.signer,
      notBefore,
      crlUrl: citizenCa.crlUrl,
      caIssuersUrl: citizenCa.certificateUrl,
    });
    return { privateKey, signer: createKeyObjectSigner(privateKey, `citizen ${request.ssin} ${usage}`), certificate };
  };
  const [signature, authentication] = await Promise.all([credential('Signature'), credential('Authentication')]);
  return { ssin: request.ssin, signature, authentication, chain: [citizenCa.cert] };
}
