/**
 * KGSS access lists (../shared/docs/etee-facts.md, "Allowed-reader (ACL) rules"): a reader is described by SAML-style
 * attributes (AttributeNamespace, AttributeName, values); a key's creator lists the credentials a reader must show.
 */

/** One entry of an access list: Namespace, Name and the accepted values (none: any value of that attribute). */
export interface ReaderCredential {
  readonly namespace: string;
  readonly name: string;
  readonly values: readonly string[];
}

/** What is known of a reader: its attributes, each with its values. */
export interface ReaderAttribute {
  readonly namespace: string;
  readonly name: string;
  readonly values: readonly string[];
}

/**
 * A reader shows a credential when it has an attribute with the same Namespace and Name and either the credential
 * names no value (absent or empty, as Recip-e's configuration writes it) or one of its values is one of the
 * attribute's.
 */
export function showsCredential(attributes: readonly ReaderAttribute[], credential: ReaderCredential): boolean {
  const wanted = credential.values.filter((value) => value !== '');
  return attributes.some(
    (attribute) =>
      attribute.namespace === credential.namespace &&
      attribute.name === credential.name &&
      (wanted.length === 0 || wanted.some((value) => attribute.values.includes(value))),
  );
}

/**
 * The access decision: any allowed credential shown, and no excluded one. (The real KGSS is reported not to enforce
 * excluded readers; refusing them is the safe reading of the creator's intent.)
 */
export function mayRead(attributes: readonly ReaderAttribute[], allowed: readonly ReaderCredential[], excluded: readonly ReaderCredential[]): boolean {
  return allowed.some((credential) => showsCredential(attributes, credential)) && !excluded.some((credential) => showsCredential(attributes, credential));
}
