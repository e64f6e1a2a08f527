/**
 * Key identifiers as this platform stores and sends them: the identifier's octets in upper-case hex, no separators
 * (docs/wire-facts.md §1: PublicKeyIdentifier is an xs:hexBinary, which JAXB writes in upper case). That is the CertRA
 * PublicKeyIdentifier (SHA-1 of the subjectPublicKey), the subjectKeyIdentifier of the certificates we issue (the same
 * value), and a CA's key identifier (the registry's issuer_key_id, the key of its CRL). Serial numbers and hashes are
 * other hex, with spellings of their own.
 */
export function formatKeyId(keyIdentifier: Buffer): string {
  return normaliseKeyId(keyIdentifier.toString('hex'));
}

/** A key identifier already written in hex (either case), spelt as we store and compare it. */
export function normaliseKeyId(hex: string): string {
  return hex.toUpperCase();
}
