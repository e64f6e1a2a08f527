import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { UsageError } from './usage-error.js';

/**
 * The admin API of a running server, as the CLI uses it: HTTPS with the officer's client certificate, the listener
 * verified against the given CA chain. Every failure carries the problem's code, detail and request id.
 */

export interface AdminApiTarget {
  /** https://host:port of the admin listener (ADMIN_API_URL or --url). */
  readonly url: string;
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  /** The CA chain the listener's certificate chains to (our root; the development ca-chain.pem). */
  readonly caPem: string;
}

/** A problem the API answered (403, 404, 409…), or a transport failure. */
export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly requestId: string | undefined,
  ) {
    super(`${code}: ${detail}${requestId ? ` (request id ${requestId})` : ''}`);
    this.name = 'AdminApiError';
  }
}

const GLOBAL = new Set(['--url', '--cert', '--key', '--ca']);

/** Splits `[--url U] [--cert F] [--key F] [--ca F] <command> …` and resolves the target (options win over the environment). */
export function apiTargetFrom(argv: readonly string[], env: NodeJS.ProcessEnv): { target: AdminApiTarget | undefined; rest: string[] } {
  const given: Record<string, string> = {};
  let i = 0;
  while (i < argv.length && GLOBAL.has(argv[i]!.split('=')[0]!)) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = inline ?? argv[i + 1];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    if (given[flag] !== undefined) throw new UsageError(`${flag} given more than once`);
    given[flag] = value;
    i += inline === undefined ? 2 : 1;
  }
  const url = given['--url'] ?? env.ADMIN_API_URL;
  const files = { cert: given['--cert'] ?? env.ADMIN_API_CERT, key: given['--key'] ?? env.ADMIN_API_KEY, ca: given['--ca'] ?? env.ADMIN_API_CA };
  if (url === undefined || url === '') {
    if (Object.keys(given).length > 0) throw new UsageError('--cert, --key and --ca go with --url (or ADMIN_API_URL)');
    return { target: undefined, rest: argv.slice(i) };
  }
  if (!/^https:\/\/[^/]+\/?$/.test(url)) throw new UsageError('--url must be https://host:port of the admin listener');
  for (const [name, file] of Object.entries(files)) if (!file) throw new UsageError(`--${name} (or ADMIN_API_${name.toUpperCase()}) is required with --url`);
  const read = (name: string, file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read --${name} ${file}: ${(error as Error).message}`);
    }
  };
  return {
    target: { url: url.replace(/\/$/, ''), certificatePem: read('cert', files.cert!), privateKeyPem: read('key', files.key!), caPem: read('ca', files.ca!) },
    rest: argv.slice(i),
  };
}

export class AdminApiClient {
  constructor(private readonly target: AdminApiTarget) {}

  get<T = unknown>(path: string, query: Record<string, string | undefined> = {}): Promise<T> {
    const search = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined)).toString();
    return this.call<T>('GET', `${path}${search ? `?${search}` : ''}`);
  }

  post<T = unknown>(path: string, body: unknown = {}): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  patch<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PATCH', path, body);
  }

  delete<T = unknown>(path: string): Promise<T> {
    return this.call<T>('DELETE', path);
  }

  /** The raw answer (status and JSON), for changes that may wait for a second officer (202). */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const { status, json, requestId } = await this.send(method, `/admin/v1${path}`, body);
    if (status >= 400) {
      const problem = (json ?? {}) as { code?: string; detail?: string };
      throw new AdminApiError(status, problem.code ?? `HTTP_${status}`, problem.detail ?? 'the admin API refused the request', requestId);
    }
    return json as T;
  }

  private async send(method: string, path: string, body: unknown): Promise<{ status: number; json: unknown; requestId: string | undefined }> {
    let answer: HttpsJsonAnswer;
    try {
      answer = await httpsJsonRequest(
        this.target.url,
        { ca: this.target.caPem, cert: this.target.certificatePem, key: this.target.privateKeyPem },
        method,
        path,
        body,
      );
    } catch (error) {
      throw new AdminApiError(0, 'UNREACHABLE', `${this.target.url}: ${(error as Error).message}`, undefined);
    }
    const id = answer.headers['x-request-id'];
    return { status: answer.status, json: answer.json, requestId: typeof id === 'string' ? id : undefined };
  }
}

export interface HttpsJsonAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  /** The body parsed as JSON; the text itself when it is not JSON; undefined when empty. */
  readonly json: unknown;
}

/**
 * One HTTPS request with a JSON body and answer: the server verified against `tls.ca`, the client certificate sent when
 * given. A fresh connection each time (no agent): a TLS session, and its client certificate, is never reused.
 */
export function httpsJsonRequest(
  baseUrl: string,
  tls: { readonly ca: string; readonly cert?: string | undefined; readonly key?: string | undefined },
  method: string,
  path: string,
  body?: unknown,
): Promise<HttpsJsonAnswer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      new URL(path, baseUrl),
      {
        method,
        ca: tls.ca,
        ...(tls.cert ? { cert: tls.cert, key: tls.key } : {}),
        headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        agent: false,
        timeout: 60_000,
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
            json = text;
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json });
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error('no answer within 60 s')));
    request.on('error', reject);
    if (payload !== undefined) request.write(payload);
    request.end();
  });
}
