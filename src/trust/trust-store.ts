import { constants, verify } from 'node:crypto';
import { certificatesFrom, parseCertificate, type KeyUsageName, type ParsedCertificate } from '../x509/certificate.js';

export type TrustFailureReason =
  | 'MALFORMED'
  | 'UNTRUSTED'
  | 'BAD_SIGNATURE'
  | 'UNSUPPORTED_ALGORITHM'
  | 'WEAK_KEY'
  | 'EXPIRED'
  | 'NOT_YET_VALID'
  | 'NOT_A_CA'
  | 'PATH_TOO_LONG'
  | 'UNSUPPORTED_CRITICAL_EXTENSION'
  | 'KEY_USAGE'
  | 'REVOKED'
  | 'REVOCATION_UNKNOWN';

export type TrustFailure = { ok: false; reason: TrustFailureReason; detail: string };

export type RevocationStatus = 'good' | 'revoked' | 'unknown';

/**
 * Asked once for every certificate of a built path except the anchor, leaf first. 'unknown' (or a rejected promise)
 * fails validation: a checker that wants soft-fail answers 'good'.
 */
export type RevocationChecker = (certificate: ParsedCertificate, issuer: ParsedCertificate) => Promise<RevocationStatus>;

export interface TrustValidationOptions {
  /** Certificates carried by the message: untrusted, used only as path-building candidates. */
  chain?: readonly Buffer[];
  at: Date;
  revocation?: RevocationChecker;
  /** Key usages the leaf must all carry; a leaf without a keyUsage extension then fails. */
  requiredKeyUsage?: readonly KeyUsageName[];
}

export type TrustResult = { ok: true; path: readonly ParsedCertificate[]; leaf: ParsedCertificate; anchor: ParsedCertificate } | TrustFailure;

export interface TrustStoreOptions {
  /** Trust anchors: DER buffers or PEM text (a PEM string may hold several certificates). */
  anchors: ReadonlyArray<Buffer | string>;
  /** Known intermediate CAs, used as path-building candidates (never trusted by themselves). */
  intermediates?: ReadonlyArray<Buffer | string>;
  /** Smallest RSA modulus accepted anywhere in a path. Default 2048. */
  minRsaModulusBits?: number;
  /** EC curves accepted anywhere in a path (node names). Default P-256 and P-384. */
  allowedCurves?: readonly string[];
  /** Most intermediate certificates between leaf and anchor. Default 5. */
  maxIntermediates?: number;
  /** Parsed certificates and signature results kept in memory. Default 2000 each. */
  cacheSize?: number;
}

/** Message chains longer than this are refused outright: path building must stay cheap for unauthenticated input. */
const MAX_MESSAGE_CHAIN = 10;
/** Upper bound on signature checks per validation, whatever the chain looks like (real paths need 2 to 4). */
const MAX_SIGNATURE_CHECKS = 16;
/** Larger RSA keys only serve to make verification expensive. */
const MAX_RSA_MODULUS_BITS = 8192;
const MAX_CANDIDATE_PATHS = 8;

const fail = (reason: TrustFailureReason, detail: string): TrustFailure => ({ ok: false, reason, detail });

/**
 * Certificate path validation against configured anchors (RFC 5280 subset): a path is built from the leaf through
 * message-supplied or configured intermediates, by exact issuer/subject name bytes and AKI/SKI, and must end at a
 * configured anchor. A certificate is never trusted because the message carries it: an anchor copy in the message is
 * recognised by its exact bytes, a look-alike is just another untrusted candidate.
 */
export class TrustStore {
  readonly anchors: readonly ParsedCertificate[];
  private readonly anchorsBySubject = new Map<string, ParsedCertificate[]>();
  private readonly anchorFingerprints = new Set<string>();
  private readonly intermediatesBySubject = new Map<string, ParsedCertificate[]>();
  private readonly minRsaModulusBits: number;
  private readonly allowedCurves: ReadonlySet<string>;
  private readonly maxIntermediates: number;
  private readonly parsed: BoundedCache<ParsedCertificate>;
  private readonly signatureResults: BoundedCache<boolean>;

  constructor(options: TrustStoreOptions) {
    this.minRsaModulusBits = options.minRsaModulusBits ?? 2048;
    this.allowedCurves = new Set(options.allowedCurves ?? ['prime256v1', 'secp384r1']);
    this.maxIntermediates = options.maxIntermediates ?? 5;
    this.parsed = new BoundedCache(options.cacheSize ?? 2000);
    this.signatureResults = new BoundedCache(options.cacheSize ?? 2000);

    const anchors = options.anchors.flatMap(certificatesFrom).map((der) => parseCertificate(der));
    if (anchors.length === 0) throw new Error('a TrustStore needs at least one anchor');
    for (const anchor of anchors) {
      // A configured anchor that says it is not a CA is a configuration mistake, not something to discover per request.
      if (anchor.basicConstraints && !anchor.basicConstraints.ca) throw new Error(`trust anchor ${anchor.subjectDn} is not a CA`);
      if (this.anchorFingerprints.has(anchor.fingerprintSha256)) continue;
      this.anchorFingerprints.add(anchor.fingerprintSha256);
      pushTo(this.anchorsBySubject, nameKey(anchor.subjectDer), anchor);
    }
    this.anchors = Object.freeze(anchors);
    for (const intermediate of (options.intermediates ?? []).flatMap(certificatesFrom).map((der) => parseCertificate(der))) {
      pushTo(this.intermediatesBySubject, nameKey(intermediate.subjectDer), intermediate);
    }
  }

  /** Parses a certificate through the cache. Throws DerError when it is not a certificate. */
  certificate(der: Buffer): ParsedCertificate {
    const key = der.toString('base64');
    const hit = this.parsed.get(key);
    if (hit) return hit;
    const info = parseCertificate(der);
    this.parsed.set(key, info);
    return info;
  }

  async validate(leafDer: Buffer, options: TrustValidationOptions): Promise<TrustResult> {
    let leaf: ParsedCertificate;
    try {
      leaf = this.certificate(leafDer);
    } catch (error) {
      return fail('MALFORMED', `the certificate cannot be parsed: ${(error as Error).message}`);
    }
    if (this.anchorFingerprints.has(leaf.fingerprintSha256)) {
      return fail('UNTRUSTED', 'the signing certificate is itself a trust anchor, not an end-entity certificate');
    }
    const chain = options.chain ?? [];
    if (chain.length > MAX_MESSAGE_CHAIN) return fail('MALFORMED', `more than ${MAX_MESSAGE_CHAIN} certificates in the message`);
    const messageCandidates = new Map<string, ParsedCertificate[]>();
    for (const der of chain) {
      let candidate: ParsedCertificate;
      try {
        candidate = this.certificate(der);
      } catch {
        continue; // an unreadable hint cannot help build a path; it is not a reason to refuse a valid one
      }
      if (candidate.fingerprintSha256 === leaf.fingerprintSha256 || this.anchorFingerprints.has(candidate.fingerprintSha256)) continue;
      pushTo(messageCandidates, nameKey(candidate.subjectDer), candidate);
    }

    const built = this.buildPaths(leaf, messageCandidates);
    if (built.paths.length === 0) return built.failure;
    let firstFailure: TrustFailure | undefined;
    for (const path of built.paths) {
      const failure = this.checkPath(path, options) ?? (options.revocation ? await this.checkRevocation(path, options.revocation) : undefined);
      if (!failure) return { ok: true, path: Object.freeze(path), leaf, anchor: path[path.length - 1]! };
      firstFailure ??= failure;
    }
    return firstFailure!;
  }

  /** Depth-first search for signature-verified paths from the leaf to an anchor. */
  private buildPaths(leaf: ParsedCertificate, messageCandidates: Map<string, ParsedCertificate[]>): { paths: ParsedCertificate[][]; failure: TrustFailure } {
    const paths: ParsedCertificate[][] = [];
    let signatureFailure: TrustFailure | undefined;
    let tooLong = false;
    let budget = MAX_SIGNATURE_CHECKS;

    const signedBy = (child: ParsedCertificate, issuer: ParsedCertificate): boolean => {
      if (budget-- <= 0) return false;
      const outcome = this.checkSignature(child, issuer);
      if (outcome !== 'ok') {
        signatureFailure ??=
          outcome === 'unsupported'
            ? fail('UNSUPPORTED_ALGORITHM', `${child.subjectDn} is signed with an unsupported algorithm (${child.signatureAlgorithmOid})`)
            : fail('BAD_SIGNATURE', `the signature of ${child.subjectDn} does not verify with the key of ${issuer.subjectDn}`);
      }
      return outcome === 'ok';
    };

    const visit = (path: ParsedCertificate[]): void => {
      if (paths.length >= MAX_CANDIDATE_PATHS) return;
      const current = path[path.length - 1]!;
      const issuerKey = nameKey(current.issuerDer);
      for (const anchor of this.anchorsBySubject.get(issuerKey) ?? []) {
        if (keyIdentifiersAgree(current, anchor) && signedBy(current, anchor)) paths.push([...path, anchor]);
      }
      if (path.length - 1 >= this.maxIntermediates) {
        tooLong = true;
        return;
      }
      const seen = new Set<string>();
      for (const candidate of [...(messageCandidates.get(issuerKey) ?? []), ...(this.intermediatesBySubject.get(issuerKey) ?? [])]) {
        if (seen.has(candidate.fingerprintSha256) || path.some((p) => p.fingerprintSha256 === candidate.fingerprintSha256)) continue;
        seen.add(candidate.fingerprintSha256);
        if (keyIdentifiersAgree(current, candidate) && signedBy(current, candidate)) visit([...path, candidate]);
      }
    };
    visit([leaf]);

    const failure =
      signatureFailure ??
      (tooLong
        ? fail('PATH_TOO_LONG', `no path to a trust anchor within ${this.maxIntermediates} intermediate certificates`)
        : fail('UNTRUSTED', `no path from ${leaf.subjectDn} (issued by ${leaf.issuerDn}) to a configured trust anchor`));
    return { paths, failure };
  }

  private checkSignature(child: ParsedCertificate, issuer: ParsedCertificate): 'ok' | 'bad' | 'unsupported' {
    const algorithm = child.signatureAlgorithm;
    if (!algorithm) return 'unsupported';
    const cacheKey = `${child.fingerprintSha256}:${issuer.fingerprintSha256}`;
    const cached = this.signatureResults.get(cacheKey);
    if (cached !== undefined) return cached ? 'ok' : 'bad';
    let valid = false;
    if (algorithm.keyType === issuer.publicKeyType && (issuer.rsaModulusBits ?? 0) <= MAX_RSA_MODULUS_BITS) {
      try {
        valid =
          algorithm.keyType === 'rsa'
            ? verify(algorithm.hash, child.tbsDer, { key: issuer.publicKey, padding: constants.RSA_PKCS1_PADDING }, child.signature)
            : verify(algorithm.hash, child.tbsDer, { key: issuer.publicKey, dsaEncoding: 'der' }, child.signature);
      } catch {
        valid = false;
      }
    }
    this.signatureResults.set(cacheKey, valid);
    return valid ? 'ok' : 'bad';
  }

  /** Every check of a path that needs no I/O. Undefined when the path passes. */
  private checkPath(path: readonly ParsedCertificate[], options: TrustValidationOptions): TrustFailure | undefined {
    const at = options.at.getTime();
    const anchorIndex = path.length - 1;
    let intermediatesBelow = 0;
    for (let i = 0; i < path.length; i++) {
      const cert = path[i]!;
      const isAnchor = i === anchorIndex;
      const keyProblem = this.keyProblem(cert);
      if (keyProblem) return fail(keyProblem.reason, `${cert.subjectDn}: ${keyProblem.detail}`);
      if (at < cert.notBefore.getTime()) return fail('NOT_YET_VALID', `${cert.subjectDn} is not valid before ${cert.notBefore.toISOString()}`);
      if (at > cert.notAfter.getTime()) return fail('EXPIRED', `${cert.subjectDn} expired on ${cert.notAfter.toISOString()}`);
      if (!isAnchor && cert.unhandledCriticalExtensions.length > 0) {
        return fail('UNSUPPORTED_CRITICAL_EXTENSION', `${cert.subjectDn} has unsupported critical extensions ${cert.unhandledCriticalExtensions.join(', ')}`);
      }
      if (i === 0) continue;
      // Issuers: intermediates must say they are CAs allowed to sign certificates; anchors only must not deny it
      // (a v1 root has no extensions at all).
      const bc = cert.basicConstraints;
      const ku = cert.keyUsage;
      if (isAnchor) {
        if ((bc && !bc.ca) || (ku && !ku.has('keyCertSign'))) return fail('NOT_A_CA', `trust anchor ${cert.subjectDn} may not sign certificates`);
      } else {
        if (!bc?.ca) return fail('NOT_A_CA', `${cert.subjectDn} is not a CA (basicConstraints cA is not true)`);
        if (!ku?.has('keyCertSign')) return fail('NOT_A_CA', `${cert.subjectDn} lacks the keyCertSign key usage`);
      }
      if (bc?.pathLength !== undefined && intermediatesBelow > bc.pathLength) {
        return fail('PATH_TOO_LONG', `${cert.subjectDn} allows ${bc.pathLength} intermediate CA(s) below it, the path has ${intermediatesBelow}`);
      }
      // RFC 5280 §6.1.4 (l): self-issued intermediates do not count towards path length.
      if (!isAnchor && !cert.selfIssued) intermediatesBelow++;
    }
    const leaf = path[0]!;
    for (const usage of options.requiredKeyUsage ?? []) {
      if (!leaf.keyUsage?.has(usage)) return fail('KEY_USAGE', `${leaf.subjectDn} lacks the ${usage} key usage`);
    }
    return undefined;
  }

  /**
   * Asks the checker about every certificate of a validated path except the anchor, leaf first. Exposed so that a
   * verifier can defer this (possibly I/O-bound) step until the message has otherwise verified.
   */
  async checkRevocation(path: readonly ParsedCertificate[], revocation: RevocationChecker): Promise<TrustFailure | undefined> {
    for (let i = 0; i < path.length - 1; i++) {
      const cert = path[i]!;
      let status: RevocationStatus;
      try {
        status = await revocation(cert, path[i + 1]!);
      } catch (error) {
        return fail('REVOCATION_UNKNOWN', `revocation status of ${cert.subjectDn} could not be checked: ${(error as Error).message}`);
      }
      if (status === 'revoked') return fail('REVOKED', `${cert.subjectDn} (serial ${cert.serialNumberHex}) is revoked`);
      if (status !== 'good') return fail('REVOCATION_UNKNOWN', `revocation status of ${cert.subjectDn} is unknown`);
    }
    return undefined;
  }

  private keyProblem(cert: ParsedCertificate): { reason: TrustFailureReason; detail: string } | undefined {
    if (cert.publicKeyType === 'rsa') {
      const bits = cert.rsaModulusBits ?? 0;
      if (bits < this.minRsaModulusBits) return { reason: 'WEAK_KEY', detail: `RSA key of ${bits} bits` };
      if (bits > MAX_RSA_MODULUS_BITS) return { reason: 'UNSUPPORTED_ALGORITHM', detail: `RSA key of ${bits} bits` };
      return undefined;
    }
    if (cert.publicKeyType === 'ec') {
      if (!cert.ecCurve || !this.allowedCurves.has(cert.ecCurve)) return { reason: 'WEAK_KEY', detail: `EC curve ${cert.ecCurve} is not accepted` };
      return undefined;
    }
    return { reason: 'UNSUPPORTED_ALGORITHM', detail: `public key type ${cert.publicKeyType} is not accepted` };
  }
}

/** AKI/SKI only rule out a candidate when both are present and differ (RFC 5280 §4.2.1.1: a hint, not a proof). */
function keyIdentifiersAgree(child: ParsedCertificate, issuer: ParsedCertificate): boolean {
  return !child.authorityKeyIdentifier || !issuer.subjectKeyIdentifier || child.authorityKeyIdentifier.equals(issuer.subjectKeyIdentifier);
}

/** Names chain by exact DER bytes, as Go's crypto/x509 does: no case folding that an attacker could play with. */
function nameKey(nameDer: Buffer): string {
  return nameDer.toString('latin1');
}

function pushTo<V>(map: Map<string, V[]>, key: string, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Least-recently-used map with a fixed capacity. */
/** A least-recently-used map of at most `capacity` entries. */
export class BoundedCache<V> {
  private readonly entries = new Map<string, V>();
  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }
}
