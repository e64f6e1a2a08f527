/**
 * One typed error for the whole service. Services throw ServiceError with a code from this catalogue; only the
 * front end maps codes to eHealth statuses or SOAP faults. `detail` is public; `cause` is logged, never sent.
 */
export const ERROR_CATALOGUE = {
  // Transport / message level: answered with a SOAP Fault (soa:SystemError).
  MALFORMED_REQUEST: { fault: 'Client', message: 'The request is not well-formed XML or not a SOAP 1.1 envelope' },
  SCHEMA_INVALID: { fault: 'Client', message: 'The request does not conform to the service schema' },
  UNKNOWN_OPERATION: { fault: 'Client', message: 'The service has no operation for this body element' },
  PAYLOAD_TOO_LARGE: { fault: 'Client', message: 'The request body is larger than the configured limit' },
  DTD_FORBIDDEN: { fault: 'Client', message: 'DOCTYPE, ENTITY and processing instructions are not accepted' },
  UNSUPPORTED_MEDIA_TYPE: { fault: 'Client', message: 'SOAP 1.1 requests must be sent as text/xml' },
  WS_SECURITY_INVALID: { fault: 'Client', message: 'The WS-Security header is missing, malformed or does not verify' },
  WS_SECURITY_REQUIRED: { fault: 'Client', message: 'This service only accepts requests signed with WS-Security (X.509)' },
  VERSION_MISMATCH: { fault: 'VersionMismatch', message: 'Only SOAP 1.1 envelopes are accepted' },
  INTERNAL_ERROR: { fault: 'Server', message: 'Internal error' },
  SERVICE_UNAVAILABLE: { fault: 'Server', message: 'The service is shutting down or not ready' },

  // Business level: answered inside a normal response with a non-Success status.
  NOT_AUTHORIZED: { fault: null, message: 'The signer is not authorised for this identifier' },
  SIGNER_MISMATCH: { fault: null, message: 'The signing certificate does not belong to the person named as Signer' },
  INVALID_SIGNATURE: { fault: null, message: 'The request signature is missing, malformed or does not verify' },
  UNTRUSTED_SIGNER: { fault: null, message: 'The signing certificate does not chain to a trusted authority, or is expired or revoked' },
  REQUEST_EXPIRED: { fault: null, message: 'IssueInstant is outside the accepted time window' },
  INVALID_IDENTIFIER: { fault: null, message: 'An identifier is malformed or has a wrong check digit' },
  UNKNOWN_IDENTIFIER_TYPE: { fault: null, message: 'The identifier type is not supported' },
  DN_MISMATCH: { fault: null, message: 'The CSR subject is not the DN of the requested certificate' },
  WEAK_KEY: { fault: null, message: 'The public key does not meet the key policy' },
  BAD_CSR: { fault: null, message: 'The CSR cannot be parsed or its signature does not verify' },
  PUBLIC_KEY_IN_USE: { fault: null, message: 'This public key was already submitted in another certificate request' },
  INVALID_REQUEST: { fault: null, message: 'A field of the request is not acceptable' },
  CONTRACT_INVALID: { fault: null, message: 'The contract was not issued by this service, was altered, or has expired' },
  CERT_NOT_YET_DELIVERED: { fault: null, message: 'The certificate has not been delivered yet' },
  CERTIFICATE_NOT_FOUND: { fault: null, message: 'No certificate or request has this public key identifier' },
  REQUEST_REFUSED: { fault: null, message: 'The certificate request was refused' },
  NOT_REVOCABLE: { fault: null, message: 'The certificate cannot be revoked' },
  NOT_REPLACEABLE: { fault: null, message: 'A valid certificate already exists for this DN and is not in its replacement period' },
  REQUEST_PENDING: { fault: null, message: 'A request for this DN is already waiting for validation' },
  ISSUANCE_REFUSED: { fault: null, message: 'The certificate authority refused to issue the certificate' },
  CHALLENGE_INVALID: { fault: null, message: 'The ETK registration challenge is unknown, expired or already used' },
  ETK_INVALID: { fault: null, message: 'The certificate to be registered does not meet the ETK rules' },
  ETK_SUBJECT_MISMATCH: { fault: null, message: "The certificate to be registered must have the authentication certificate's subject as subject and issuer" },
  ETK_VALIDITY_MISMATCH: { fault: null, message: "The certificate to be registered must copy the authentication certificate's validity" },
  ETK_KEY_USAGE_INVALID: {
    fault: null,
    message: 'The certificate to be registered must have a critical keyUsage of keyEncipherment and dataEncipherment only',
  },
  ETK_KEY_MISMATCH: { fault: null, message: 'The certificate to be registered does not carry the public key announced in startETKRegistration' },
  ETK_SIGNATURE_INVALID: { fault: null, message: 'The certificate to be registered is not signed by the authentication key' },
  ETK_NOT_FOUND: { fault: null, message: 'No ETK matches' },
  NOTHING_TO_ACTIVATE: { fault: null, message: 'No ETK waits for activation for this certificate' },
  DATA_NOT_FOUND: { fault: null, message: 'No data found' },
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

  /** Transport-level errors become SOAP faults; business errors become statuses. */
  get faultCode(): 'Client' | 'Server' | 'VersionMismatch' | null {
    return ERROR_CATALOGUE[this.code].fault;
  }
}

export function isServiceError(error: unknown): error is ServiceError {
  return error instanceof ServiceError;
}
