/**
 * An identifier of a person or an organisation, as every eHealth service names them (commons IdType): an ETK
 * identifier type and its value.
 */
export interface Identifier {
  /** ETK identifier type, e.g. SSIN, NIHII-HOSPITAL, CBE (commons IdType/@Type). */
  readonly type: string;
  readonly value: string;
}

/** Who an ETK is published for, as read from the authentication certificate's DN (value in its full fixed-length form). */
export interface EtkHolder extends Identifier {
  /** Undefined when the certificate has no application id. */
  readonly applicationId: string | undefined;
}
