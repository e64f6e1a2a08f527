import type { KeySigner } from '../ca/keys/key-signer.js';

/** What the CRL publisher needs of a CA: its key id (the registry's issuer_key_id), certificate and signer. */
export interface CaEntryForCrl {
  readonly keyId: string;
  readonly certificate: Buffer;
  readonly signer: KeySigner;
}
