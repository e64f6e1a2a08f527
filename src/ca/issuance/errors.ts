/**
 * The CA's one error type. `code` is stable and mapped to protocol statuses at the edge (service / front end);
 * `message` is safe to show (never key material, never a PEM); `cause` keeps the internal error for the logs.
 */
export type CaErrorCode =
  | 'BAD_CSR' // not a parseable PKCS#10 request
  | 'BAD_CSR_SIGNATURE' // proof of possession failed
  | 'UNSUPPORTED_SIGNATURE_ALGORITHM' // CSR signed with SHA-1, PSS, …
  | 'WEAK_KEY' // RSA too short / wrong exponent, curve too weak
  | 'UNSUPPORTED_KEY' // key algorithm or curve the profile does not accept
  | 'DN_MISMATCH' // CSR subject differs from the expected (contract) DN
  | 'SUBJECT_NOT_ALLOWED' // subject does not fit the profile's DN form
  | 'LINT_FAILED' // a lint refused the certificate; lintName says which
  | 'ISSUER_EXPIRED'
  | 'ISSUER_NOT_YET_VALID'
  | 'ISSUER_INVALID' // issuer certificate is not a usable CA certificate
  | 'ISSUER_KEY_MISMATCH' // signer key is not the issuer certificate's key
  | 'INVALID_PROFILE'
  | 'INVALID_INPUT'
  | 'ALREADY_ISSUED' // a prepared certificate was issued twice
  | 'SIGNING_FAILED' // the signer failed or produced a signature that does not verify
  | 'TBS_MISMATCH'; // the signed TBS differs from the linted one

export interface LintFailure {
  readonly name: string;
  readonly detail: string;
}

export class CaError extends Error {
  readonly code: CaErrorCode;
  /** For LINT_FAILED: the first failing lint's name. */
  readonly lintName: string | undefined;
  readonly lintFailures: readonly LintFailure[];

  constructor(code: CaErrorCode, message: string, options: { cause?: unknown; lintFailures?: readonly LintFailure[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CaError';
    this.code = code;
    this.lintFailures = options.lintFailures ?? [];
    this.lintName = this.lintFailures[0]?.name;
  }
}

export const isCaError = (error: unknown, code?: CaErrorCode): error is CaError => error instanceof CaError && (code === undefined || error.code === code);
