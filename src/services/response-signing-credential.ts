import { readFile } from 'node:fs/promises';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { generatePrivateKey, loadEncryptedKeyFile } from '../ca/keys/file-key.js';
import { EHEALTH_PLATFORM_OU, FEDERAL_GOVERNMENT_O, etkRaSigner, type CertificateProfile } from '../ca/profiles/index.js';
import type { Clock } from '../domain/clock.js';
import type { Environment } from '../domain/environment.js';
import type { Database } from '../storage/database.js';
import { certificatesFrom } from '../x509/certificate.js';
import type { CertificateIssuer } from './certificate-issuer.js';

/** The key and certificate ETKDepot signs its responses with (SIGN_RESPONSES). */
export interface ResponseSigningCredential {
  readonly key: KeyObject;
  readonly certificate: Buffer;
}

export interface ResponseSigningCredentialOptions {
  readonly keyFile: string | undefined;
  readonly certificateFile: string | undefined;
  readonly environment: Environment;
  readonly db: Database;
  readonly issuer: CertificateIssuer;
  readonly clock: Clock;
  readonly env?: NodeJS.ProcessEnv;
}

/** The certificate a process issues itself for signing responses when none is configured (dev, acceptance). */
export const RESPONSE_SIGNER_PROFILE: CertificateProfile = {
  ...etkRaSigner,
  name: 'etkdepot-response-signer',
  description: 'Signer of ETKDepot WS-Security responses: CN=ETKDepot, OU=eHealth-platform Belgium, O=Federal Government, C=BE',
  validity: { months: { acceptance: 12, production: 12 }, backdateSeconds: 0 },
  subject: {
    attributes: [
      { type: 'C', min: 1, max: 1, values: ['BE'] },
      { type: 'O', min: 1, max: 1, values: [FEDERAL_GOVERNMENT_O] },
      { type: 'OU', min: 1, max: 1, values: [EHEALTH_PLATFORM_OU] },
      { type: 'CN', min: 1, max: 1, values: ['ETKDepot'] },
    ],
  },
};

/**
 * The configured credential (SERVER_SIGNING_KEY_FILE + SERVER_SIGNING_CERT_FILE), else a fresh RSA-2048 key and a
 * certificate issued for it by our issuing CA (recorded in the registry like any other issuance).
 */
export async function openResponseSigningCredential(options: ResponseSigningCredentialOptions): Promise<ResponseSigningCredential> {
  let key: KeyObject;
  let certificate: Buffer;
  if (options.keyFile && options.certificateFile) {
    key = await loadEncryptedKeyFile(options.keyFile, { passphraseEnv: 'SERVER_SIGNING_KEY_PASSPHRASE' }, options.env);
    certificate = certificatesFrom(await readFile(options.certificateFile, 'utf8'))[0]!;
  } else {
    key = generatePrivateKey('RSA');
    const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
    const issued = await options.db.transaction((tx) =>
      options.issuer.issueFromTemplate(
        tx,
        {
          subject: [
            { type: 'C', value: 'BE' },
            { type: 'O', value: FEDERAL_GOVERNMENT_O },
            { type: 'OU', value: EHEALTH_PLATFORM_OU },
            { type: 'CN', value: 'ETKDepot' },
          ],
          subjectPublicKeySpki: spki,
          profile: RESPONSE_SIGNER_PROFILE,
          environment: options.environment,
          now: options.clock.now(),
        },
        'etkdepot',
      ),
    );
    certificate = issued.der;
  }
  return { key, certificate };
}
