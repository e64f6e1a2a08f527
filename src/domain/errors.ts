/**
 * One typed error for the services. Services throw ServiceError with a code from this catalogue; only the front ends
 * decide how it is answered. Every code but INTERNAL_ERROR is a refusal of the request (answered inside the operation's
 * normal response, with a non-Success status); INTERNAL_ERROR is a failure of ours. `detail` is public; `cause` is
 * logged, never sent. What a transport refuses before any service is asked (malformed XML, schema, WS-Security...) is
 * not here: those are SOAP faults (soap/fault.ts).
 */
export const ERROR_CATALOGUE = {
  /**
   * Not a refusal: our own failure (e.g. the CA did not sign: services/certificate-issuer.ts), which a service must be
   * able to name without knowing how a front end answers it (a SOAP Server fault, a 500 problem, a CLI error).
   */
  INTERNAL_ERROR: { message: 'Internal error' },

  // Refusals: answered inside a normal response with a non-Success status.
  NOT_AUTHORIZED: { message: 'The signer is not authorised for this identifier' },
  SIGNER_MISMATCH: { message: 'The signing certificate does not belong to the person named as Signer' },
  INVALID_SIGNATURE: { message: 'The request signature is missing, malformed or does not verify' },
  UNTRUSTED_SIGNER: { message: 'The signing certificate does not chain to a trusted authority, or is expired or revoked' },
  REQUEST_EXPIRED: { message: 'IssueInstant is outside the accepted time window' },
  INVALID_IDENTIFIER: { message: 'An identifier is malformed or has a wrong check digit' },
  UNKNOWN_IDENTIFIER_TYPE: { message: 'The identifier type is not supported' },
  DN_MISMATCH: { message: 'The CSR subject is not the DN of the requested certificate' },
  WEAK_KEY: { message: 'The public key does not meet the key policy' },
  BAD_CSR: { message: 'The CSR cannot be parsed or its signature does not verify' },
  PUBLIC_KEY_IN_USE: { message: 'This public key was already submitted in another certificate request' },
  INVALID_REQUEST: { message: 'A field of the request is not acceptable' },
  CONTRACT_INVALID: { message: 'The contract was not issued by this service, was altered, or has expired' },
  CERT_NOT_YET_DELIVERED: { message: 'The certificate has not been delivered yet' },
  CERTIFICATE_NOT_FOUND: { message: 'No certificate or request has this public key identifier' },
  REQUEST_REFUSED: { message: 'The certificate request was refused' },
  NOT_REVOCABLE: { message: 'The certificate cannot be revoked' },
  NOT_REPLACEABLE: { message: 'A valid certificate already exists for this DN and is not in its replacement period' },
  REQUEST_PENDING: { message: 'A request for this DN is already waiting for validation' },
  ISSUANCE_REFUSED: { message: 'The certificate authority refused to issue the certificate' },
  CHALLENGE_INVALID: { message: 'The ETK registration challenge is unknown, expired or already used' },
  ETK_INVALID: { message: 'The certificate to be registered does not meet the ETK rules' },
  ETK_SUBJECT_MISMATCH: { message: "The certificate to be registered must have the authentication certificate's subject as subject and issuer" },
  ETK_VALIDITY_MISMATCH: { message: "The certificate to be registered must copy the authentication certificate's validity" },
  ETK_KEY_USAGE_INVALID: {
    message: 'The certificate to be registered must have a critical keyUsage of keyEncipherment and dataEncipherment only',
  },
  ETK_KEY_MISMATCH: { message: 'The certificate to be registered does not carry the public key announced in startETKRegistration' },
  ETK_SIGNATURE_INVALID: { message: 'The certificate to be registered is not signed by the authentication key' },
  ETK_NOT_FOUND: { message: 'No ETK matches' },
  NOTHING_TO_ACTIVATE: { message: 'No ETK waits for activation for this certificate' },
  DATA_NOT_FOUND: { message: 'No data found' },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export interface ErrorParameter {
  name: string;
  value: string;
}

export class ServiceError extends Error {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly parameters: readonly ErrorParameter[];

  constructor(code: ErrorCode, detail?: string, options: { cause?: unknown; parameters?: readonly ErrorParameter[] } = {}) {
    super(detail ?? ERROR_CATALOGUE[code].message, { cause: options.cause });
    this.name = 'ServiceError';
    this.code = code;
    this.detail = detail ?? ERROR_CATALOGUE[code].message;
    this.parameters = options.parameters ?? [];
  }
}

export function isServiceError(error: unknown): error is ServiceError {
  return error instanceof ServiceError;
}

/** A ServiceError that refuses the request (any code but INTERNAL_ERROR): the operation answers it with a non-Success status. */
export function isRefusal(error: unknown): error is ServiceError {
  return error instanceof ServiceError && error.code !== 'INTERNAL_ERROR';
}
