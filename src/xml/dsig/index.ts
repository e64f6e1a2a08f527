export { verifyEnvelopedSignature, signEnveloped, DEFAULT_ENVELOPED_DIGEST_METHODS, DEFAULT_ENVELOPED_SIGNATURE_METHODS } from './enveloped.js';
export type { EnvelopedSignOptions, EnvelopedVerification, EnvelopedVerifyOptions } from './enveloped.js';
export {
  verifyWsSecurity,
  verifyWsSecurityXml,
  signEnvelopeWsSecurity,
  DEFAULT_WSS_DIGEST_METHODS,
  DEFAULT_WSS_SIGNATURE_METHODS,
  WSSE_NS,
  WSU_NS,
  X509V3_TOKEN,
} from './ws-security.js';
export type { WsSecuritySignOptions, WsSecurityVerification, WsSecurityVerifyOptions } from './ws-security.js';
export { SignatureError, WsSecurityError } from './errors.js';
export type { SignatureFailureReason, WsSecurityFailureReason } from './errors.js';
export type { VerifiedSigner } from './signer.js';
export type { DigestMethodName, SignatureMethodName } from './algorithms.js';
export { canonicalizeExclusive } from './canonicalize.js';
