import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';

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
export function adminRequest(
  baseUrl: string,
  credential: { chainPem: string; certificatePem?: string; privateKeyPem?: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<AdminResponse> {
  const url = new URL(path, baseUrl);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      url,
      {
        method,
        ca: credential.chainPem,
        ...(credential.certificatePem ? { cert: credential.certificatePem, key: credential.privateKeyPem } : {}),
        headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        // A fresh connection per request: the TLS session (and its client certificate) is never reused across officers.
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json });
        });
      },
    );
    request.on('error', reject);
    if (payload !== undefined) request.write(payload);
    request.end();
  });
}
