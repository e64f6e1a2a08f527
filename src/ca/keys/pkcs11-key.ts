import { X509Certificate, createHash, createPublicKey, type JsonWebKey } from 'node:crypto';
import { endianness } from 'node:os';
import {
  KeyGenMechanism,
  KeyType,
  MechanismEnum,
  Module,
  ObjectClass,
  SessionFlag,
  UserType,
  RsaMgf,
  RsaOaepParams,
  type PrivateKey,
  type Session,
  type SessionObject,
  type Slot,
} from 'graphene-pk11';
import { resolveSecret } from './file-key.js';
import type { KeyAlgorithm, KeySigner, SignatureHash } from './key-signer.js';

/**
 * CA keys on a PKCS#11 token (HSM; SoftHSM2 in tests). The private key never leaves the token: we sign bytes with
 * CKM_SHAxxx_RSA_PKCS, or hash here and sign the digest with CKM_ECDSA. One logged-in session per signer, calls
 * serialised (a PKCS#11 session runs one operation at a time), reopened once if the token dropped the session.
 */

export type PinSource = { pinEnv?: string; pinFile?: string };

export interface Pkcs11TokenLocation extends PinSource {
  /** Path to the PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  module: string;
  tokenLabel?: string;
  /** The PKCS#11 slot ID (as listed by `softhsm2-util --show-slots` / `pkcs11-tool -L`), not a list index. */
  slot?: number | string;
}

export interface Pkcs11KeyLocation extends Pkcs11TokenLocation {
  /** CKA_ID in hex. */
  keyId?: string;
  /** CKA_LABEL. */
  keyLabel?: string;
}

export interface Pkcs11KeyAttributes {
  sensitive: boolean;
  extractable: boolean;
  alwaysSensitive: boolean;
  neverExtractable: boolean;
}

export interface Pkcs11KeySigner extends KeySigner {
  readonly keyAttributes: Pkcs11KeyAttributes;
  close(): Promise<void>;
}

export class Pkcs11Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Pkcs11Error';
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// One Module per library path per process: C_Initialize/C_Finalize are process-wide, so signers share and refcount it.

interface LoadedModule {
  module: Module;
  users: number;
  /** SHA-256 of the PIN each token was logged in with (see openLoggedInSession). */
  loginPinDigests: Map<bigint, Buffer>;
}

const loadedModules = new Map<string, LoadedModule>();

function acquireModule(path: string): LoadedModule {
  let entry = loadedModules.get(path);
  if (entry === undefined) {
    let module: Module;
    try {
      module = Module.load(path, 'ca');
    } catch (error) {
      throw new Pkcs11Error(`cannot load PKCS#11 library ${path}: ${pkcs11Reason(error)}`);
    }
    try {
      module.initialize(); // tolerates CKR_CRYPTOKI_ALREADY_INITIALIZED
    } catch (error) {
      throw new Pkcs11Error(`cannot initialise PKCS#11 library ${path}: ${pkcs11Reason(error)}`);
    }
    entry = { module, users: 0, loginPinDigests: new Map() };
    loadedModules.set(path, entry);
  }
  entry.users += 1;
  return entry;
}

function releaseModule(path: string): void {
  const entry = loadedModules.get(path);
  if (entry === undefined) return;
  entry.users -= 1;
  if (entry.users > 0) return;
  loadedModules.delete(path);
  try {
    entry.module.finalize();
    entry.module.close();
  } catch {
    // finalising is best effort: the process is letting go of the library anyway
  }
}

/** Only the CKR_ code (or a short reason) of a PKCS#11 failure: never arguments, which could include a PIN. */
function pkcs11Reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = /CKR_[A-Z0-9_]+/.exec(message);
  if (code) return code[0];
  return message.split('\n')[0]!.slice(0, 200);
}

function slotIdOf(slot: Slot): bigint {
  const handle = slot.handle;
  if (handle.length === 8) return endianness() === 'LE' ? handle.readBigUInt64LE(0) : handle.readBigUInt64BE(0);
  if (handle.length === 4) return BigInt(endianness() === 'LE' ? handle.readUInt32LE(0) : handle.readUInt32BE(0));
  throw new Pkcs11Error(`unexpected slot handle size ${handle.length}`);
}

function tokenDescription(location: Pkcs11TokenLocation): string {
  return location.tokenLabel !== undefined ? `token "${location.tokenLabel}"` : `slot ${String(location.slot)}`;
}

function findSlot(module: Module, location: Pkcs11TokenLocation): Slot {
  if ((location.tokenLabel === undefined) === (location.slot === undefined)) {
    throw new Pkcs11Error('PKCS#11: give exactly one of tokenLabel or slot');
  }
  const slots = module.getSlots(true);
  const wantedSlot = location.slot === undefined ? undefined : BigInt(location.slot);
  const matches: Slot[] = [];
  for (let index = 0; index < slots.length; index += 1) {
    const slot = slots.items(index);
    if (wantedSlot !== undefined ? slotIdOf(slot) === wantedSlot : slot.getToken().label === location.tokenLabel) matches.push(slot);
  }
  if (matches.length === 0) throw new Pkcs11Error(`PKCS#11: no ${tokenDescription(location)} in ${location.module}`);
  if (matches.length > 1) throw new Pkcs11Error(`PKCS#11: ${matches.length} tokens match ${tokenDescription(location)}; use slot instead`);
  return matches[0]!;
}

function openLoggedInSession(loaded: LoadedModule, location: Pkcs11TokenLocation, pin: string, readWrite: boolean): Session {
  const slot = findSlot(loaded.module, location);
  const slotId = slotIdOf(slot);
  const pinDigest = createHash('sha256').update(pin).digest();
  let session: Session;
  try {
    session = slot.open(SessionFlag.SERIAL_SESSION | (readWrite ? SessionFlag.RW_SESSION : 0));
  } catch (error) {
    throw new Pkcs11Error(`PKCS#11: cannot open a session on ${tokenDescription(location)}: ${pkcs11Reason(error)}`);
  }
  try {
    session.login(pin, UserType.USER);
    loaded.loginPinDigests.set(slotId, pinDigest);
  } catch (error) {
    const reason = pkcs11Reason(error);
    // Login state is per application and token: a second signer on the same token finds it already logged in, and
    // the token does not check its PIN. Compare with the PIN we logged in with, so a wrong PIN never passes unnoticed.
    const loggedInWith = loaded.loginPinDigests.get(slotId);
    if (reason === 'CKR_USER_ALREADY_LOGGED_IN' && (loggedInWith === undefined || loggedInWith.equals(pinDigest))) return session;
    session.close();
    if (reason === 'CKR_USER_ALREADY_LOGGED_IN') {
      throw new Pkcs11Error(`PKCS#11: login to ${tokenDescription(location)} failed: the PIN differs from the one the token is logged in with`);
    }
    throw new Pkcs11Error(`PKCS#11: login to ${tokenDescription(location)} failed: ${reason}`);
  }
  return session;
}

/** Closes a session that may already be gone (the token dropped it, or it is being replaced). */
function closeQuietly(session: Session | undefined): void {
  try {
    session?.close();
  } catch {
    // already closed by the token: nothing to release
  }
}

function parseKeyId(hex: string): Buffer {
  const clean = hex.replace(/[:\s]/g, '');
  if (!/^([0-9a-fA-F]{2})+$/.test(clean)) throw new Pkcs11Error(`PKCS#11: keyId must be hex, got "${hex}"`);
  return Buffer.from(clean, 'hex');
}

function keyDescription(location: Pkcs11KeyLocation): string {
  const parts = [location.tokenLabel !== undefined ? `token=${location.tokenLabel}` : `slot-id=${String(location.slot)}`];
  if (location.keyId !== undefined) parts.push(`id=${location.keyId.toLowerCase()}`);
  if (location.keyLabel !== undefined) parts.push(`object=${location.keyLabel}`);
  return `pkcs11:${parts.join(';')}`;
}

function findOne(session: Session, template: Record<string, unknown>, what: string): SessionObject | undefined {
  const found = session.find(template);
  if (found.length > 1) throw new Pkcs11Error(`PKCS#11: ${found.length} objects match ${what}; make keyId/keyLabel unique`);
  return found.length === 1 ? found.items(0) : undefined;
}

// ---------------------------------------------------------------------------------------------------------------------
// Public key: from the token's public key object (or, failing that, the RSA private key / a certificate with the same id).

// Numeric attribute types: graphene maps CKA_EC_PARAMS (== CKA_ECDSA_PARAMS) back to the name 'paramsECDSA'.
const CKA_EC_PARAMS = 0x180;
const CKA_EC_POINT = 0x181;

const EC_CURVES = {
  'EC-P256': { oidDer: Buffer.from('06082a8648ce3d030107', 'hex'), jwkCurve: 'P-256', fieldBytes: 32 },
  'EC-P384': { oidDer: Buffer.from('06052b81040022', 'hex'), jwkCurve: 'P-384', fieldBytes: 48 },
} as const;

function base64url(bytes: Buffer): string {
  return bytes.toString('base64url');
}

function stripLeadingZeros(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  return bytes.subarray(start);
}

function rsaSpki(modulus: Buffer, publicExponent: Buffer): Buffer {
  const jwk: JsonWebKey = { kty: 'RSA', n: base64url(stripLeadingZeros(modulus)), e: base64url(stripLeadingZeros(publicExponent)) };
  return createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' });
}

function ecCurveOf(paramsEc: Buffer): 'EC-P256' | 'EC-P384' {
  for (const [name, curve] of Object.entries(EC_CURVES)) if (curve.oidDer.equals(paramsEc)) return name as 'EC-P256' | 'EC-P384';
  throw new Pkcs11Error(`PKCS#11: unsupported EC curve ${paramsEc.toString('hex')}`);
}

/** CKA_EC_POINT is a DER OCTET STRING around the point (PKCS#11 2.40); some tokens return the bare point. */
function ecSpki(curveName: 'EC-P256' | 'EC-P384', ecPoint: Buffer): Buffer {
  const curve = EC_CURVES[curveName];
  const pointLength = 1 + 2 * curve.fieldBytes;
  let point = ecPoint;
  if (ecPoint.length !== pointLength) {
    if (ecPoint[0] !== 0x04) throw new Pkcs11Error('PKCS#11: malformed CKA_EC_POINT');
    const headerLength = ecPoint[1]! < 0x80 ? 2 : 2 + (ecPoint[1]! & 0x7f);
    point = ecPoint.subarray(headerLength);
  }
  if (point.length !== pointLength || point[0] !== 0x04) throw new Pkcs11Error('PKCS#11: only uncompressed EC points are supported');
  const jwk: JsonWebKey = {
    kty: 'EC',
    crv: curve.jwkCurve,
    x: base64url(point.subarray(1, 1 + curve.fieldBytes)),
    y: base64url(point.subarray(1 + curve.fieldBytes)),
  };
  return createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' });
}

function certificateSpki(session: Session, id: Buffer): Buffer | undefined {
  const certificate = findOne(session, { class: ObjectClass.CERTIFICATE, id }, 'the certificate');
  if (certificate === undefined) return undefined;
  return new X509Certificate(certificate.getAttribute('value') as Buffer).publicKey.export({ type: 'spki', format: 'der' });
}

function publicKeyOf(session: Session, privateKey: SessionObject): { keyAlgorithm: KeyAlgorithm; publicKeySpki: Buffer } {
  const keyType = privateKey.getAttribute('keyType') as number;
  const id = privateKey.getAttribute('id') as Buffer;
  const publicKey = id.length > 0 ? findOne(session, { class: ObjectClass.PUBLIC_KEY, id }, 'the public key') : undefined;
  if (keyType === KeyType.RSA) {
    // RSA private key objects carry the modulus and public exponent even when sensitive.
    const source = publicKey ?? privateKey;
    const { modulus, publicExponent } = source.getAttribute({ modulus: null, publicExponent: null }) as { modulus: Buffer; publicExponent: Buffer };
    return { keyAlgorithm: 'RSA', publicKeySpki: rsaSpki(modulus, publicExponent) };
  }
  if (keyType === KeyType.EC) {
    const paramsEc = privateKey.getAttribute(CKA_EC_PARAMS);
    const keyAlgorithm = ecCurveOf(paramsEc);
    if (publicKey !== undefined) return { keyAlgorithm, publicKeySpki: ecSpki(keyAlgorithm, publicKey.getAttribute(CKA_EC_POINT)) };
    const fromCertificate = id.length > 0 ? certificateSpki(session, id) : undefined;
    if (fromCertificate === undefined) throw new Pkcs11Error('PKCS#11: no public key or certificate object with the same CKA_ID as the EC private key');
    return { keyAlgorithm, publicKeySpki: fromCertificate };
  }
  throw new Pkcs11Error(`PKCS#11: unsupported key type ${keyType}`);
}

// ---------------------------------------------------------------------------------------------------------------------
// Signing

const RSA_MECHANISMS: Record<SignatureHash, MechanismEnum> = {
  'SHA-256': MechanismEnum.SHA256_RSA_PKCS,
  'SHA-384': MechanismEnum.SHA384_RSA_PKCS,
  'SHA-1': MechanismEnum.SHA1_RSA_PKCS,
};

function derInteger(unsigned: Buffer): Buffer {
  let value = stripLeadingZeros(unsigned);
  if (value[0]! & 0x80) value = Buffer.concat([Buffer.from([0]), value]);
  return Buffer.concat([Buffer.from([0x02, value.length]), value]);
}

/** CKM_ECDSA returns r||s; X.509 and CMS want ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }. */
export function ecdsaRawToDer(raw: Buffer): Buffer {
  if (raw.length % 2 !== 0) throw new Pkcs11Error('PKCS#11: odd ECDSA signature length');
  const half = raw.length / 2;
  const body = Buffer.concat([derInteger(raw.subarray(0, half)), derInteger(raw.subarray(half))]);
  const length = body.length < 0x80 ? Buffer.from([body.length]) : Buffer.from([0x81, body.length]);
  return Buffer.concat([Buffer.from([0x30]), length, body]);
}

const SESSION_LOST = new Set([
  'CKR_SESSION_HANDLE_INVALID',
  'CKR_SESSION_CLOSED',
  'CKR_USER_NOT_LOGGED_IN',
  'CKR_DEVICE_REMOVED',
  'CKR_TOKEN_NOT_PRESENT',
  'CKR_OBJECT_HANDLE_INVALID',
  'CKR_KEY_HANDLE_INVALID',
]);

function signOnce(session: Session, mechanism: MechanismEnum, key: SessionObject, input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    try {
      // the callback form runs C_Sign off the event loop thread
      session.createSign(mechanism, key as PrivateKey).once(input, (error, signature) => (error ? reject(error) : resolve(signature)));
    } catch (error) {
      reject(error);
    }
  });
}

/**
 * How a signer or decrypter reaches its private key: the PIN resolved once, the module loaded (released by the caller's
 * close), and `connect` opening a logged-in session and finding the one key (`check` refuses a key unfit for the use).
 */
async function privateKeyConnector(
  location: Pkcs11KeyLocation,
  env: NodeJS.ProcessEnv,
  check: (key: SessionObject) => void = () => undefined,
): Promise<{ description: string; connect(): { session: Session; privateKey: SessionObject } }> {
  if (location.keyId === undefined && location.keyLabel === undefined) throw new Pkcs11Error('PKCS#11: give keyId and/or keyLabel');
  const description = keyDescription(location);
  const pin = await resolveSecret({ env: location.pinEnv, file: location.pinFile }, `PIN for ${description}`, env);
  const keyTemplate: Record<string, unknown> = { class: ObjectClass.PRIVATE_KEY };
  if (location.keyId !== undefined) keyTemplate.id = parseKeyId(location.keyId);
  if (location.keyLabel !== undefined) keyTemplate.label = location.keyLabel;
  const loaded = acquireModule(location.module);
  return {
    description,
    connect: () => {
      const opened = openLoggedInSession(loaded, location, pin, false);
      try {
        const key = findOne(opened, keyTemplate, description);
        if (key === undefined) throw new Pkcs11Error(`PKCS#11: no private key ${description}`);
        check(key);
        return { session: opened, privateKey: key };
      } catch (error) {
        opened.close();
        throw error;
      }
    },
  };
}

export async function openPkcs11KeySigner(location: Pkcs11KeyLocation, env: NodeJS.ProcessEnv = process.env): Promise<Pkcs11KeySigner> {
  const { description, connect } = await privateKeyConnector(location, env);
  let session: Session | undefined;
  let privateKey: SessionObject;
  let keyAlgorithm: KeyAlgorithm;
  let publicKeySpki: Buffer;
  let keyAttributes: Pkcs11KeyAttributes;
  try {
    ({ session, privateKey } = connect());
    ({ keyAlgorithm, publicKeySpki } = publicKeyOf(session, privateKey));
    keyAttributes = privateKey.getAttribute({ sensitive: null, extractable: null, alwaysSensitive: null, neverExtractable: null }) as Pkcs11KeyAttributes;
  } catch (error) {
    session?.close();
    releaseModule(location.module);
    if (error instanceof Pkcs11Error) throw error;
    throw new Pkcs11Error(`PKCS#11: cannot open ${description}: ${pkcs11Reason(error)}`);
  }

  let closed = false;
  let tail: Promise<unknown> = Promise.resolve();
  const serialised = <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };

  const signNow = async (data: Uint8Array, hash: SignatureHash): Promise<Buffer> => {
    if (closed) throw new Pkcs11Error(`PKCS#11: signer ${description} is closed`);
    const input = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const attempt = async (): Promise<Buffer> => {
      if (keyAlgorithm === 'RSA') return signOnce(session!, RSA_MECHANISMS[hash], privateKey, input);
      const digest = createHash(hash.replace('-', '').toLowerCase()).update(input).digest();
      return ecdsaRawToDer(await signOnce(session!, MechanismEnum.ECDSA, privateKey, digest));
    };
    try {
      return await attempt();
    } catch (error) {
      if (!SESSION_LOST.has(pkcs11Reason(error))) throw new Pkcs11Error(`PKCS#11: signing with ${description} failed: ${pkcs11Reason(error)}`);
    }
    // The token dropped our session (HSM restart, network HSM failover): reconnect once.
    closeQuietly(session);
    ({ session, privateKey } = connect());
    try {
      return await attempt();
    } catch (error) {
      throw new Pkcs11Error(`PKCS#11: signing with ${description} failed after reconnecting: ${pkcs11Reason(error)}`);
    }
  };

  // C_GetSessionInfo and C_GetAttributeValue on the key handle: cheap, no signature, and they fail as signing would
  // when the token dropped the session or the login (then one reconnection is tried, as for signing).
  const checkNow = async (): Promise<void> => {
    if (closed) throw new Pkcs11Error(`PKCS#11: signer ${description} is closed`);
    const probe = () => {
      // graphene reads C_GetSessionInfo into `state` in a protected method; CKS_RO/RW_USER_FUNCTIONS = 1/3 (logged in).
      (session as unknown as { getInfo(): void }).getInfo();
      if (session!.state !== 1 && session!.state !== 3) throw new Pkcs11Error('CKR_USER_NOT_LOGGED_IN');
      privateKey.getAttribute({ sign: null });
    };
    try {
      probe();
      return;
    } catch (error) {
      if (!SESSION_LOST.has(pkcs11Reason(error)) && pkcs11Reason(error) !== 'CKR_USER_NOT_LOGGED_IN') {
        throw new Pkcs11Error(`PKCS#11: ${description} is not reachable: ${pkcs11Reason(error)}`);
      }
    }
    closeQuietly(session);
    try {
      ({ session, privateKey } = connect());
      probe();
    } catch (error) {
      throw new Pkcs11Error(`PKCS#11: ${description} is not reachable: ${error instanceof Pkcs11Error ? error.message : pkcs11Reason(error)}`);
    }
  };

  return {
    keyAlgorithm,
    publicKeySpki,
    description,
    keyAttributes,
    sign: (data, hash) => serialised(() => signNow(data, hash)),
    checkReachable: () => serialised(checkNow),
    close: () =>
      serialised(async () => {
        if (closed) return;
        closed = true;
        closeQuietly(session);
        releaseModule(location.module);
      }),
    toString: () => `KeySigner(${description})`,
  } as Pkcs11KeySigner;
}

// ---------------------------------------------------------------------------------------------------------------------
// Key generation on the token (tests and operations). The private key is sensitive and never extractable.

export interface TokenKeyPairSpec {
  algorithm: KeyAlgorithm;
  /** What the private key does: sign (default; CA and signer keys) or decrypt (RSA: KGSS encryption and key-encryption keys). */
  usage?: 'sign' | 'decrypt';
  /** CKA_ID in hex; shared by the private and public key objects. */
  keyId: string;
  keyLabel?: string;
  rsaModulusBits?: number;
}

export async function generateTokenKeyPair(
  token: Pkcs11TokenLocation,
  spec: TokenKeyPairSpec,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ keyId: string; keyLabel?: string; keyAlgorithm: KeyAlgorithm; publicKeySpki: Buffer }> {
  const id = parseKeyId(spec.keyId);
  const pin = await resolveSecret({ env: token.pinEnv, file: token.pinFile }, `PIN for ${tokenDescription(token)}`, env);
  const loaded = acquireModule(token.module);
  let session: Session | undefined;
  try {
    session = openLoggedInSession(loaded, token, pin, true);
    if (session.find({ class: ObjectClass.PRIVATE_KEY, id }).length > 0) {
      throw new Pkcs11Error(`PKCS#11: a private key with id ${spec.keyId} already exists on ${tokenDescription(token)}`);
    }
    const common = { token: true, id, ...(spec.keyLabel !== undefined ? { label: spec.keyLabel } : {}) };
    const decrypting = spec.usage === 'decrypt';
    if (decrypting && spec.algorithm !== 'RSA') throw new Pkcs11Error('PKCS#11: decryption keys are RSA');
    const privateTemplate = {
      ...common,
      class: ObjectClass.PRIVATE_KEY,
      private: true,
      // One use per key, stated: tokens default the other one (SoftHSM sets CKA_DECRYPT on every RSA key).
      ...(decrypting ? { decrypt: true, sign: false, unwrap: false } : { sign: true, decrypt: false, unwrap: false }),
      sensitive: true,
      extractable: false,
    };
    const publicTemplate = {
      ...common,
      class: ObjectClass.PUBLIC_KEY,
      private: false,
      ...(decrypting ? { encrypt: true, verify: false, wrap: false } : { verify: true, encrypt: false, wrap: false }),
    };
    let keys;
    if (spec.algorithm === 'RSA') {
      const modulusBits = spec.rsaModulusBits ?? 2048;
      if (modulusBits < 2048) throw new Pkcs11Error('PKCS#11: RSA keys must be at least 2048 bits');
      keys = session.generateKeyPair(
        KeyGenMechanism.RSA,
        { ...publicTemplate, keyType: KeyType.RSA, modulusBits, publicExponent: Buffer.from([1, 0, 1]) },
        { ...privateTemplate, keyType: KeyType.RSA },
      );
    } else {
      keys = session.generateKeyPair(
        KeyGenMechanism.EC,
        { ...publicTemplate, keyType: KeyType.EC, paramsEC: EC_CURVES[spec.algorithm].oidDer },
        { ...privateTemplate, keyType: KeyType.EC },
      );
    }
    const { keyAlgorithm, publicKeySpki } = publicKeyOf(session, keys.privateKey);
    return { keyId: id.toString('hex'), ...(spec.keyLabel !== undefined ? { keyLabel: spec.keyLabel } : {}), keyAlgorithm, publicKeySpki };
  } catch (error) {
    if (error instanceof Pkcs11Error) throw error;
    throw new Pkcs11Error(`PKCS#11: key generation on ${tokenDescription(token)} failed: ${pkcs11Reason(error)}`);
  } finally {
    session?.close();
    releaseModule(token.module);
  }
}

/**
 * Which of `labels` already name a private key on the token: a set-up command checks before it creates anything, so
 * it never adds a second key under a label an earlier (or interrupted) run left there.
 */
export async function privateKeyLabelsOnToken(token: Pkcs11TokenLocation, labels: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const pin = await resolveSecret({ env: token.pinEnv, file: token.pinFile }, `PIN for ${tokenDescription(token)}`, env);
  const loaded = acquireModule(token.module);
  let session: Session | undefined;
  try {
    session = openLoggedInSession(loaded, token, pin, false);
    const opened = session;
    return labels.filter((label) => opened.find({ class: ObjectClass.PRIVATE_KEY, label }).length > 0);
  } catch (error) {
    if (error instanceof Pkcs11Error) throw error;
    throw new Pkcs11Error(`PKCS#11: cannot list the keys of ${tokenDescription(token)}: ${pkcs11Reason(error)}`);
  } finally {
    session?.close();
    releaseModule(token.module);
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// RSA decryption on the token (the KGSS's ETK encryption key and key-encryption key): the private key never leaves it.

export interface Pkcs11Decrypter {
  readonly publicKeySpki: Buffer;
  readonly description: string;
  /**
   * c^d mod n (CKM_RSA_X_509), as long as the modulus: the caller removes the padding it expects. Undefined when the
   * token finds the input is no ciphertext of the key; throws (Pkcs11Error) when the key cannot be used.
   */
  rawDecrypt(block: Buffer): Buffer | undefined;
  /**
   * RSAES-OAEP with SHA-1 and MGF1-SHA-1, no label (CKM_RSA_PKCS_OAEP). SHA-1 because it is the one OAEP hash every
   * token implements (SoftHSM 2.6 accepts no other); SHA-1's collision weakness does not touch OAEP's security.
   */
  oaepSha1Decrypt(ciphertext: Buffer): Buffer;
  checkReachable(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A logged-in session on an RSA decryption key. Calls are synchronous (C_Decrypt in one part), as node's own
 * privateDecrypt is for a key in a file: one private-key operation per sealed request. The session is reopened once
 * when the token dropped it.
 */
export async function openPkcs11Decrypter(location: Pkcs11KeyLocation, env: NodeJS.ProcessEnv = process.env): Promise<Pkcs11Decrypter> {
  const { description, connect } = await privateKeyConnector(location, env, (key) => {
    if (key.getAttribute('decrypt') !== true) throw new Pkcs11Error(`PKCS#11: ${keyDescription(location)} is not a decryption key (CKA_DECRYPT is false)`);
  });
  let session: Session | undefined;
  let privateKey: SessionObject;
  let publicKeySpki: Buffer;
  let modulus: bigint;
  let modulusBytes: number;
  try {
    ({ session, privateKey } = connect());
    const publicKey = publicKeyOf(session, privateKey);
    if (publicKey.keyAlgorithm !== 'RSA') throw new Pkcs11Error(`PKCS#11: ${description} is not an RSA key`);
    publicKeySpki = publicKey.publicKeySpki;
    const n = Buffer.from(createPublicKey({ key: publicKeySpki, format: 'der', type: 'spki' }).export({ format: 'jwk' }).n!, 'base64url');
    modulus = BigInt(`0x${n.toString('hex')}`);
    modulusBytes = n.length;
  } catch (error) {
    session?.close();
    releaseModule(location.module);
    if (error instanceof Pkcs11Error) throw error;
    throw new Pkcs11Error(`PKCS#11: cannot open ${description}: ${pkcs11Reason(error)}`);
  }
  let closed = false;
  const decrypt = (mechanism: Parameters<Session['createDecipher']>[0], input: Buffer, what: string): Buffer => {
    if (closed) throw new Pkcs11Error(`PKCS#11: decrypter ${description} is closed`);
    const once = () => session!.createDecipher(mechanism, privateKey as PrivateKey).once(input, Buffer.alloc(modulusBytes));
    try {
      return once();
    } catch (error) {
      if (!SESSION_LOST.has(pkcs11Reason(error))) throw new Pkcs11Error(`PKCS#11: ${what} with ${description} failed: ${pkcs11Reason(error)}`);
    }
    closeQuietly(session);
    ({ session, privateKey } = connect());
    try {
      return once();
    } catch (error) {
      throw new Pkcs11Error(`PKCS#11: ${what} with ${description} failed after reconnecting: ${pkcs11Reason(error)}`);
    }
  };
  return {
    publicKeySpki,
    description,
    rawDecrypt: (block) => {
      // Not below the modulus: no ciphertext (tokens answer that with anything up to CKR_GENERAL_ERROR).
      if (block.length !== modulusBytes || BigInt(`0x${block.toString('hex')}`) >= modulus) return undefined;
      let plain: Buffer;
      try {
        plain = decrypt(MechanismEnum.RSA_X_509, block, 'raw RSA decryption');
      } catch (error) {
        if (error instanceof Pkcs11Error && /CKR_ENCRYPTED_DATA_(INVALID|LEN_RANGE)/.test(error.message)) return undefined;
        throw error;
      }
      // Some tokens strip leading zero bytes of the result: give it back at the modulus length.
      return plain.length === modulusBytes ? plain : Buffer.concat([Buffer.alloc(modulusBytes - plain.length), plain]);
    },
    oaepSha1Decrypt: (ciphertext) =>
      decrypt({ name: 'RSA_PKCS_OAEP', params: new RsaOaepParams(MechanismEnum.SHA1, RsaMgf.MGF1_SHA1) }, ciphertext, 'RSA-OAEP decryption'),
    async checkReachable() {
      if (closed) throw new Pkcs11Error(`PKCS#11: decrypter ${description} is closed`);
      try {
        privateKey.getAttribute({ decrypt: null });
      } catch (error) {
        closeQuietly(session);
        try {
          ({ session, privateKey } = connect());
        } catch (reconnect) {
          throw new Pkcs11Error(`PKCS#11: ${description} is not reachable: ${reconnect instanceof Pkcs11Error ? reconnect.message : pkcs11Reason(error)}`);
        }
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      closeQuietly(session);
      releaseModule(location.module);
    },
  };
}
