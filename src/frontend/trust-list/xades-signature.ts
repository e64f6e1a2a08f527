import { webcrypto } from 'node:crypto';
import { createRequire } from 'node:module';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import * as xadesjs from 'xadesjs';
import { setNodeDependencies } from 'xml-core';
import type { KeySigner } from '../../ca/keys/key-signer.js';

/**
 * XAdES-BES enveloped signatures (ETSI TS 119 612 §5.7: Reference URI="" with enveloped-signature and exc-c14n,
 * SignedProperties with SigningTime and SigningCertificate, KeyInfo/X509Data) made with xadesjs. The private key never
 * leaves its custody: xadesjs signs through a WebCrypto whose sign() hands the bytes to our KeySigner (a file key or a
 * PKCS#11 token) when given the handle below, and to Node's WebCrypto otherwise (digests).
 */

// xpath is loaded without its type declarations: they pull the DOM lib into the whole program.
const xpath: unknown = createRequire(import.meta.url)('xpath');
setNodeDependencies({ DOMParser, XMLSerializer, xpath });

const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
/** A stand-in for a CryptoKey that xadesjs passes back to sign(): it carries our signer. */
interface SignerHandle {
  readonly type: 'private';
  readonly extractable: false;
  readonly usages: readonly ['sign'];
  readonly algorithm: { readonly name: string; readonly hash: { readonly name: 'SHA-256' }; readonly namedCurve?: string };
  readonly keySigner: KeySigner;
}

const nodeSubtle = webcrypto.subtle;
const subtle = new Proxy(nodeSubtle, {
  get(target, property) {
    if (property === 'sign') {
      return async (algorithm: unknown, key: unknown, data: ArrayBuffer | ArrayBufferView) => {
        const handle = key as Partial<SignerHandle>;
        if (!handle.keySigner) return target.sign(...([algorithm, key, data] as unknown as Parameters<typeof target.sign>));
        const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        const signature = await handle.keySigner.sign(bytes, 'SHA-256');
        // XML-DSig ECDSA values are r || s (RFC 4050), our signers return the DER ECDSA-Sig-Value.
        const value = handle.keySigner.keyAlgorithm === 'RSA' ? signature : derEcdsaToRaw(signature, handle.keySigner.keyAlgorithm === 'EC-P384' ? 48 : 32);
        return new Uint8Array(value).buffer;
      };
    }
    const value = Reflect.get(target, property, target);
    return typeof value === 'function' ? value.bind(target) : value;
  },
});
xadesjs.Application.setEngine('NodeJS', { subtle, getRandomValues: webcrypto.getRandomValues.bind(webcrypto) } as unknown as Parameters<
  typeof xadesjs.Application.setEngine
>[1]);

function derEcdsaToRaw(der: Buffer, size: number): Buffer {
  // SEQUENCE { INTEGER r, INTEGER s }, short-form lengths for P-256/P-384.
  let offset = 2 + (der[1]! & 0x80 ? der[1]! & 0x7f : 0);
  const integer = () => {
    const length = der[offset + 1]!;
    const value = der.subarray(offset + 2, offset + 2 + length);
    offset += 2 + length;
    const trimmed = value[0] === 0 ? value.subarray(1) : value;
    return Buffer.concat([Buffer.alloc(size - trimmed.length), trimmed]);
  };
  return Buffer.concat([integer(), integer()]);
}

export interface XadesSigner {
  /** DER of the signing certificate (KeyInfo/X509Data and SigningCertificate). */
  readonly certificate: Buffer;
  readonly signer: KeySigner;
}

/** Signs `xml` (its root element gets the ds:Signature as last child) and returns the signed document. */
export async function signEnveloped(xml: string, { certificate, signer }: XadesSigner, signingTime: Date): Promise<string> {
  const document = new DOMParser().parseFromString(xml, 'application/xml');
  const rsa = signer.keyAlgorithm === 'RSA';
  const algorithm = rsa
    ? { name: 'RSASSA-PKCS1-v1_5', hash: { name: 'SHA-256' as const } }
    : { name: 'ECDSA', hash: { name: 'SHA-256' as const }, namedCurve: signer.keyAlgorithm === 'EC-P384' ? 'P-384' : 'P-256' };
  const handle: SignerHandle = { type: 'private', extractable: false, usages: ['sign'], algorithm, keySigner: signer };
  const signed = new xadesjs.SignedXml();
  signed.XmlSignature.SignedInfo.CanonicalizationMethod.Algorithm = EXC_C14N;
  const certificateBase64 = certificate.toString('base64');
  type SignParameters = Parameters<typeof signed.Sign>;
  await signed.Sign(algorithm, handle as unknown as SignParameters[1], document as unknown as SignParameters[2], {
    references: [{ hash: 'SHA-256', transforms: ['enveloped', 'exc-c14n'], uri: '' }],
    x509: [certificateBase64],
    signingCertificate: { certificate: certificateBase64, digestAlgorithm: 'SHA-256' },
    signingTime: { value: signingTime },
  });
  document.documentElement!.appendChild(signed.GetXml() as unknown as Parameters<NonNullable<typeof document.documentElement>['appendChild']>[0]);
  return new XMLSerializer().serializeToString(document);
}
