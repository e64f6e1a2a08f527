import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Independent verification of our certificates and CRLs with OpenSSL and GnuTLS (`certtool`), through their CLIs.
 * Each helper resolves with the tool's output and throws an Error carrying that output when the tool refuses.
 * Inputs are PEM strings or DER bytes (certificates as CERTIFICATE, CRLs as X509 CRL).
 */

const execFileAsync = promisify(execFile);

export type PemOrDer = string | Uint8Array;

function pem(item: PemOrDer, label: string): string {
  if (typeof item === 'string') return item.endsWith('\n') ? item : `${item}\n`;
  const base64 = Buffer.from(item)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${base64}\n-----END ${label}-----\n`;
}

const list = (items: PemOrDer | readonly PemOrDer[]): readonly PemOrDer[] =>
  typeof items === 'string' || items instanceof Uint8Array ? [items] : (items as readonly PemOrDer[]);

async function withFiles<T>(run: (write: (name: string, content: string) => Promise<string>) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'pki-tools-'));
  try {
    return await run(async (name, content) => {
      const path = join(dir, name);
      await writeFile(path, content);
      return path;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function runTool(tool: string, args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(tool, args, { maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string; code?: number | string };
    if (failure.code === 'ENOENT') throw new Error(`${tool} is not installed (needed to verify certificates independently)`);
    return { code: typeof failure.code === 'number' ? failure.code : 1, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
  }
}

export interface OpensslVerifyOptions {
  /** Intermediate certificates, not trusted (`-untrusted`). */
  readonly untrusted?: readonly PemOrDer[];
  /** `-purpose` (sslclient, sslserver, smimesign, …). */
  readonly purpose?: string;
  /** CRLs (`-CRLfile`); checking is enabled with `crlCheck`. */
  readonly crls?: readonly PemOrDer[];
  /** `-crl_check` (leaf) or `-crl_check_all` (whole chain). */
  readonly crlCheck?: 'leaf' | 'all';
  /** Verification time (`-attime`). */
  readonly at?: Date;
  /** `-x509_strict` unless false. */
  readonly strict?: boolean;
}

/**
 * `openssl verify -x509_strict -CAfile <caPems> [options] <each cert>`. Every certificate in `certPems` is verified
 * on its own against the trusted `caPems` (plus `untrusted` intermediates).
 */
export async function opensslVerify(
  certPems: PemOrDer | readonly PemOrDer[],
  caPems: PemOrDer | readonly PemOrDer[],
  options: OpensslVerifyOptions = {},
): Promise<string> {
  return withFiles(async (write) => {
    const args = ['verify'];
    if (options.strict !== false) args.push('-x509_strict');
    args.push(
      '-CAfile',
      await write(
        'ca.pem',
        list(caPems)
          .map((c) => pem(c, 'CERTIFICATE'))
          .join(''),
      ),
    );
    if (options.untrusted?.length) args.push('-untrusted', await write('untrusted.pem', options.untrusted.map((c) => pem(c, 'CERTIFICATE')).join('')));
    if (options.purpose) args.push('-purpose', options.purpose);
    if (options.crls?.length) args.push('-CRLfile', await write('crls.pem', options.crls.map((c) => pem(c, 'X509 CRL')).join('')));
    if (options.crlCheck) args.push(options.crlCheck === 'all' ? '-crl_check_all' : '-crl_check');
    if (options.at) args.push('-attime', String(Math.floor(options.at.getTime() / 1000)));
    const certs = list(certPems);
    if (certs.length === 0) throw new Error('opensslVerify: no certificate to verify');
    for (const [i, cert] of certs.entries()) args.push(await write(`cert-${i}.pem`, pem(cert, 'CERTIFICATE')));
    const { code, output } = await runTool('openssl', args);
    const oks = output.split('\n').filter((line) => /: OK$/.test(line.trim())).length;
    if (code !== 0 || oks !== certs.length) throw new Error(`openssl ${args.slice(0, -certs.length).join(' ')} refused:\n${output}`);
    return output;
  });
}

export interface CerttoolVerifyOptions {
  /** `--verify-purpose` OID, e.g. 1.3.6.1.5.5.7.3.2 for clientAuth. */
  readonly purposeOid?: string;
  /** CRLs to load (`--load-crl`); GnuTLS then checks revocation along the chain. */
  readonly crls?: readonly PemOrDer[];
  /** `--verify-profile` (GnuTLS security level); `medium` (112-bit) unless given. */
  readonly profile?: string;
}

/**
 * `certtool --verify --load-ca-certificate <caPems> --infile <chain>`: `chainPems` is one chain, leaf first,
 * followed by its intermediates.
 */
export async function certtoolVerify(
  chainPems: PemOrDer | readonly PemOrDer[],
  caPems: PemOrDer | readonly PemOrDer[],
  options: CerttoolVerifyOptions = {},
): Promise<string> {
  return withFiles(async (write) => {
    const chain = list(chainPems);
    if (chain.length === 0) throw new Error('certtoolVerify: no certificate to verify');
    const args = [
      '--verify',
      '--load-ca-certificate',
      await write(
        'ca.pem',
        list(caPems)
          .map((c) => pem(c, 'CERTIFICATE'))
          .join(''),
      ),
      '--infile',
      await write('chain.pem', chain.map((c) => pem(c, 'CERTIFICATE')).join('')),
    ];
    if (options.purposeOid) args.push(`--verify-purpose=${options.purposeOid}`);
    args.push(`--verify-profile=${options.profile ?? 'medium'}`);
    for (const [i, crl] of (options.crls ?? []).entries()) args.push('--load-crl', await write(`crl-${i}.pem`, pem(crl, 'X509 CRL')));
    const { code, output } = await runTool('certtool', args);
    if (code !== 0 || !/Chain verification output: Verified\./.test(output)) throw new Error(`certtool ${args[0]} refused:\n${output}`);
    return output;
  });
}
