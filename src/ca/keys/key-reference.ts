import { openFileKeySigner } from './file-key.js';
import type { KeySigner } from './key-signer.js';
import { openPkcs11KeySigner } from './pkcs11-key.js';

/**
 * Where a CA key lives, as configuration. A reference names secrets (passphrase, PIN) by environment variable or
 * file, never by value, so references can be logged and stored in config files.
 *
 * Accepted string forms (parseKeyReference):
 *   JSON        {"kind":"file","path":"/etc/ca/issuing.key.pem","passphraseFile":"/run/secrets/ca-pass"}
 *   file URI    file:/etc/ca/issuing.key.pem?passphrase-env=CA_KEY_PASSPHRASE   (or passphrase-file=/run/secrets/…)
 *   PKCS#11 URI (RFC 7512 subset)
 *               pkcs11:token=eHealth%20CA;id=%01%a2;object=issuing?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/secrets/pin
 *               with slot-id=<n> instead of token=…, and pin-env=<VAR> (non-standard) instead of pin-source. pin-value is refused.
 */

export type FileKeyReference = { kind: 'file'; path: string; passphraseEnv?: string; passphraseFile?: string };
export type Pkcs11KeyReference = {
  kind: 'pkcs11';
  module: string;
  tokenLabel?: string;
  slot?: number | string;
  pinEnv?: string;
  pinFile?: string;
  keyId?: string;
  keyLabel?: string;
};
export type KeyReference = FileKeyReference | Pkcs11KeyReference;

/** A signer obtained from a reference; close() releases the PKCS#11 session (a no-op for files). */
export type ClosableKeySigner = KeySigner & { close(): Promise<void> };

export class KeyReferenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyReferenceError';
  }
}

function exactlyOne(reference: Record<string, unknown>, names: string[], what: string): void {
  const present = names.filter((name) => reference[name] !== undefined);
  if (present.length !== 1) throw new KeyReferenceError(`${what}: give exactly one of ${names.join(', ')}`);
}

function nonEmptyString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new KeyReferenceError(`key reference: ${name} must be a non-empty string`);
  return value;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Validates a parsed object and returns a clean KeyReference (unknown fields are refused: typos must not pass silently). */
export function validateKeyReference(input: unknown): KeyReference {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new KeyReferenceError('key reference must be an object');
  const raw = input as Record<string, unknown>;
  const allowed =
    raw.kind === 'file'
      ? ['kind', 'path', 'passphraseEnv', 'passphraseFile']
      : ['kind', 'module', 'tokenLabel', 'slot', 'pinEnv', 'pinFile', 'keyId', 'keyLabel'];
  if (raw.kind !== 'file' && raw.kind !== 'pkcs11') throw new KeyReferenceError('key reference: kind must be "file" or "pkcs11"');
  const unknown = Object.keys(raw).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) throw new KeyReferenceError(`key reference: unknown field(s) ${unknown.join(', ')}`);
  for (const key of Object.keys(raw)) if (key !== 'slot' && key !== 'kind') nonEmptyString(raw[key], key);
  for (const key of ['passphraseEnv', 'pinEnv']) {
    if (raw[key] !== undefined && !ENV_NAME.test(raw[key] as string)) throw new KeyReferenceError(`key reference: ${key} must be an environment variable name`);
  }
  if (raw.kind === 'file') {
    exactlyOne(raw, ['passphraseEnv', 'passphraseFile'], 'file key reference');
    return raw as FileKeyReference;
  }
  exactlyOne(raw, ['tokenLabel', 'slot'], 'pkcs11 key reference');
  exactlyOne(raw, ['pinEnv', 'pinFile'], 'pkcs11 key reference');
  if (raw.keyId === undefined && raw.keyLabel === undefined) throw new KeyReferenceError('pkcs11 key reference: give keyId and/or keyLabel');
  if (raw.keyId !== undefined && !/^([0-9a-fA-F]{2})+$/.test(raw.keyId as string)) throw new KeyReferenceError('pkcs11 key reference: keyId must be hex');
  if (raw.slot !== undefined && !/^\d+$/.test(String(raw.slot)))
    throw new KeyReferenceError('pkcs11 key reference: slot must be a non-negative integer slot ID');
  return raw as Pkcs11KeyReference;
}

function decodeComponent(value: string, name: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new KeyReferenceError(`key reference: bad percent-encoding in ${name}`);
  }
}

/** Percent-decoding to bytes: a CKA_ID is binary, so %A2 is a byte, not UTF-8. */
function decodeBytes(value: string, name: string): Buffer {
  const bytes: number[] = [];
  for (let index = 0; index < value.length; index += 1) {
    if (value[index] === '%') {
      const hex = value.slice(index + 1, index + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new KeyReferenceError(`key reference: bad percent-encoding in ${name}`);
      bytes.push(parseInt(hex, 16));
      index += 2;
    } else {
      bytes.push(...Buffer.from(value[index]!, 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

function splitAttributes(text: string, separator: string, what: string): Map<string, string> {
  const attributes = new Map<string, string>();
  if (text === '') return attributes;
  for (const part of text.split(separator)) {
    const equals = part.indexOf('=');
    if (equals <= 0) throw new KeyReferenceError(`key reference: malformed ${what} attribute "${part.slice(0, 40)}"`);
    const name = part.slice(0, equals);
    if (attributes.has(name)) throw new KeyReferenceError(`key reference: duplicate ${what} attribute ${name}`);
    attributes.set(name, part.slice(equals + 1));
  }
  return attributes;
}

function parsePkcs11Uri(uri: string): KeyReference {
  const body = uri.slice('pkcs11:'.length);
  const questionMark = body.indexOf('?');
  const path = splitAttributes(questionMark < 0 ? body : body.slice(0, questionMark), ';', 'path');
  const query = splitAttributes(questionMark < 0 ? '' : body.slice(questionMark + 1), '&', 'query');
  if (query.has('pin-value')) throw new KeyReferenceError('pkcs11 key reference: pin-value is not accepted; use pin-source=file:… or pin-env=…');
  const knownPath = new Set(['token', 'slot-id', 'id', 'object', 'type']);
  const knownQuery = new Set(['module-path', 'pin-source', 'pin-env']);
  for (const name of path.keys()) if (!knownPath.has(name)) throw new KeyReferenceError(`pkcs11 key reference: unsupported path attribute ${name}`);
  for (const name of query.keys()) if (!knownQuery.has(name)) throw new KeyReferenceError(`pkcs11 key reference: unsupported query attribute ${name}`);
  if (path.has('type') && path.get('type') !== 'private') throw new KeyReferenceError('pkcs11 key reference: type must be private');
  const modulePath = query.get('module-path');
  if (modulePath === undefined) throw new KeyReferenceError('pkcs11 key reference: module-path is required');
  const reference: Record<string, unknown> = { kind: 'pkcs11', module: decodeComponent(modulePath, 'module-path') };
  if (path.has('token')) reference.tokenLabel = decodeComponent(path.get('token')!, 'token');
  if (path.has('slot-id')) reference.slot = decodeComponent(path.get('slot-id')!, 'slot-id');
  if (path.has('id')) reference.keyId = decodeBytes(path.get('id')!, 'id').toString('hex');
  if (path.has('object')) reference.keyLabel = decodeComponent(path.get('object')!, 'object');
  const pinSource = query.get('pin-source');
  if (pinSource !== undefined) {
    const decoded = decodeComponent(pinSource, 'pin-source');
    reference.pinFile = decoded.startsWith('file:') ? decoded.slice('file:'.length) : decoded;
  }
  if (query.has('pin-env')) reference.pinEnv = decodeComponent(query.get('pin-env')!, 'pin-env');
  return validateKeyReference(reference);
}

function parseFileUri(uri: string): KeyReference {
  const body = uri.slice('file:'.length);
  const questionMark = body.indexOf('?');
  const query = splitAttributes(questionMark < 0 ? '' : body.slice(questionMark + 1), '&', 'query');
  for (const name of query.keys()) {
    if (name !== 'passphrase-env' && name !== 'passphrase-file') throw new KeyReferenceError(`file key reference: unsupported attribute ${name}`);
  }
  const reference: Record<string, unknown> = { kind: 'file', path: decodeComponent(questionMark < 0 ? body : body.slice(0, questionMark), 'path') };
  if (query.has('passphrase-env')) reference.passphraseEnv = decodeComponent(query.get('passphrase-env')!, 'passphrase-env');
  if (query.has('passphrase-file')) reference.passphraseFile = decodeComponent(query.get('passphrase-file')!, 'passphrase-file');
  return validateKeyReference(reference);
}

/** Parses a key reference from configuration: a JSON object, a file: URI or a pkcs11: URI. */
export function parseKeyReference(text: string): KeyReference {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new KeyReferenceError('key reference: invalid JSON');
    }
    return validateKeyReference(parsed);
  }
  if (trimmed.startsWith('pkcs11:')) return parsePkcs11Uri(trimmed);
  if (trimmed.startsWith('file:')) return parseFileUri(trimmed);
  throw new KeyReferenceError('key reference: expected JSON, file:… or pkcs11:…');
}

/** A loggable one-liner for a reference. */
export function describeKeyReference(reference: KeyReference): string {
  if (reference.kind === 'file') return `file:${reference.path}`;
  const token = reference.tokenLabel !== undefined ? `token=${reference.tokenLabel}` : `slot-id=${String(reference.slot)}`;
  const key = [reference.keyId !== undefined ? `id=${reference.keyId}` : '', reference.keyLabel !== undefined ? `object=${reference.keyLabel}` : ''].filter(
    Boolean,
  );
  return `pkcs11:${[token, ...key].join(';')} (${reference.module})`;
}

/**
 * The reference as a URI (file: or pkcs11:) that parseKeyReference reads back: for settings written where JSON's
 * quotes would be mangled (an environment file).
 */
export function keyReferenceUri(reference: KeyReference): string {
  const encode = (value: string) => encodeURIComponent(value);
  if (reference.kind === 'file') {
    const secret =
      reference.passphraseEnv !== undefined ? `passphrase-env=${encode(reference.passphraseEnv)}` : `passphrase-file=${encode(reference.passphraseFile!)}`;
    return `file:${reference.path.split('/').map(encode).join('/')}?${secret}`;
  }
  const path = [
    reference.tokenLabel !== undefined ? `token=${encode(reference.tokenLabel)}` : `slot-id=${String(reference.slot)}`,
    ...(reference.keyId !== undefined ? [`id=${reference.keyId.replace(/../g, '%$&')}`] : []),
    ...(reference.keyLabel !== undefined ? [`object=${encode(reference.keyLabel)}`] : []),
  ];
  const pin = reference.pinEnv !== undefined ? `pin-env=${encode(reference.pinEnv)}` : `pin-source=${encode(`file:${reference.pinFile!}`)}`;
  return `pkcs11:${path.join(';')}?module-path=${encode(reference.module)}&${pin}`;
}

export async function openKeySigner(reference: KeyReference, env: NodeJS.ProcessEnv = process.env): Promise<ClosableKeySigner> {
  const valid = validateKeyReference(reference);
  if (valid.kind === 'file') {
    const signer = await openFileKeySigner(valid.path, valid, env);
    return Object.assign(signer, { close: async () => undefined });
  }
  return openPkcs11KeySigner(valid, env);
}
