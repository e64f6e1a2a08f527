import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpsJsonRequest } from '../../src/cli/admin-api-client.js';

/** An officer's TLS client credential (PEM) and the chain that makes the admin listener trusted. */
export interface OfficerCredentialFiles {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  readonly chainPem: string;
}

/** The credential the development start-up writes to DATA_DIR/admin/officer. */
export function developmentOfficer(dataDir: string): OfficerCredentialFiles {
  const directory = join(dataDir, 'admin', 'officer');
  return {
    certificatePem: readFileSync(join(directory, 'officer.cert.pem'), 'utf8'),
    privateKeyPem: readFileSync(join(directory, 'officer.key.pem'), 'utf8'),
    chainPem: readFileSync(join(directory, 'ca-chain.pem'), 'utf8'),
  };
}

/** A JSON answer, walked freely by test assertions. */
// biome-ignore lint/suspicious/noExplicitAny: the tests navigate answers of many shapes; a wrong path fails the assertion
export type Json = any;

export interface AdminResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly json: Json;
}

/**
 * A request to the admin listener over real TLS: the listener's certificate is verified against `chainPem`, and the
 * client certificate is presented when given (none: an anonymous TLS client).
 */
export async function adminRequest(
  baseUrl: string,
  credential: { chainPem: string; certificatePem?: string; privateKeyPem?: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<AdminResponse> {
  const answer = await httpsJsonRequest(
    baseUrl,
    { ca: credential.chainPem, cert: credential.certificatePem, key: credential.privateKeyPem },
    method,
    path,
    body,
  );
  return { ...answer, json: answer.json as Json };
}
