/** XML-DSig algorithm identifiers and the node:crypto parameters behind them. One table, read by sign and verify. */

export const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
export const EXC_C14N_NS = 'http://www.w3.org/2001/10/xml-exc-c14n#';
export const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

export const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
export const ENVELOPED_SIGNATURE = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

export type SignatureMethodName = 'rsa-sha1' | 'rsa-sha256' | 'rsa-sha384' | 'rsa-sha512' | 'ecdsa-sha256' | 'ecdsa-sha384' | 'ecdsa-sha512';
export type DigestMethodName = 'sha1' | 'sha256' | 'sha384' | 'sha512';

export interface SignatureMethod {
  readonly uri: string;
  readonly keyType: 'rsa' | 'ec';
  readonly hash: DigestMethodName;
}

export const SIGNATURE_METHODS: Readonly<Record<SignatureMethodName, SignatureMethod>> = {
  'rsa-sha1': { uri: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1', keyType: 'rsa', hash: 'sha1' },
  'rsa-sha256': { uri: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', keyType: 'rsa', hash: 'sha256' },
  'rsa-sha384': { uri: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384', keyType: 'rsa', hash: 'sha384' },
  'rsa-sha512': { uri: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512', keyType: 'rsa', hash: 'sha512' },
  'ecdsa-sha256': { uri: 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256', keyType: 'ec', hash: 'sha256' },
  'ecdsa-sha384': { uri: 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384', keyType: 'ec', hash: 'sha384' },
  'ecdsa-sha512': { uri: 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512', keyType: 'ec', hash: 'sha512' },
};

export const DIGEST_METHODS: Readonly<Record<DigestMethodName, { readonly uri: string; readonly length: number }>> = {
  sha1: { uri: 'http://www.w3.org/2000/09/xmldsig#sha1', length: 20 },
  sha256: { uri: 'http://www.w3.org/2001/04/xmlenc#sha256', length: 32 },
  sha384: { uri: 'http://www.w3.org/2001/04/xmldsig-more#sha384', length: 48 },
  sha512: { uri: 'http://www.w3.org/2001/04/xmlenc#sha512', length: 64 },
};

const SIGNATURE_METHOD_BY_URI: ReadonlyMap<string, SignatureMethodName> = new Map(
  Object.entries(SIGNATURE_METHODS).map(([name, method]) => [method.uri, name as SignatureMethodName]),
);
const DIGEST_METHOD_BY_URI: ReadonlyMap<string, DigestMethodName> = new Map(
  Object.entries(DIGEST_METHODS).map(([name, method]) => [method.uri, name as DigestMethodName]),
);

export function signatureMethodByUri(uri: string): SignatureMethodName | undefined {
  return SIGNATURE_METHOD_BY_URI.get(uri);
}

export function digestMethodByUri(uri: string): DigestMethodName | undefined {
  return DIGEST_METHOD_BY_URI.get(uri);
}
