import { readFileSync } from 'node:fs';
import { CaError } from '../issuance/errors.js';
import { DN_ATTRIBUTE_OIDS } from '../../x509/name.js';
import { EXTENDED_KEY_USAGE_OIDS, KEY_USAGE_FLAGS } from '../x509/extensions.js';
import { BUILT_IN_PROFILES } from './builtin.js';
import type { CertificateProfile } from './types.js';

export type ProfileSet = ReadonlyMap<string, CertificateProfile>;

/**
 * Profile overrides file:
 * ```json
 * { "profiles": {
 *     "ehealth-natural-person": { "validity": { "months": { "acceptance": 15 } } },
 *     "hospital-gateway": { "extends": "organisation-authentication", "description": "…", "keyUsage": ["digitalSignature"] } } }
 * ```
 * Objects merge field by field, arrays and scalars replace. A new name needs `extends`. The result is validated and frozen.
 */
export function loadProfiles(jsonPath?: string): ProfileSet {
  const base = builtInProfiles();
  if (!jsonPath) return base;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch (cause) {
    throw new CaError('INVALID_PROFILE', `cannot read profile overrides ${jsonPath}`, { cause });
  }
  return applyProfileOverrides(base, parsed);
}

export function builtInProfiles(): ProfileSet {
  return new Map(Object.values(BUILT_IN_PROFILES).map((p) => [p.name, p]));
}

export function applyProfileOverrides(base: ProfileSet, overrides: unknown): ProfileSet {
  if (!isPlainObject(overrides) || !isPlainObject(overrides['profiles'])) {
    throw new CaError('INVALID_PROFILE', 'profile overrides must be an object with a "profiles" object');
  }
  const result = new Map(base);
  for (const [name, override] of Object.entries(overrides['profiles'])) {
    if (!isPlainObject(override)) throw new CaError('INVALID_PROFILE', `profile ${name}: override must be an object`);
    const { extends: parentName, ...fields } = override;
    const parent = typeof parentName === 'string' ? base.get(parentName) : base.get(name);
    if (!parent) throw new CaError('INVALID_PROFILE', `profile ${name}: unknown profile to extend (${String(parentName ?? name)})`);
    const merged = deepMerge(structuredClone(parent) as unknown as Record<string, unknown>, { ...fields, name });
    result.set(name, checkedProfile(merged));
  }
  return result;
}

/** Validates an untrusted profile object and returns it frozen; throws INVALID_PROFILE listing every problem. */
export function checkedProfile(candidate: unknown): CertificateProfile {
  const problems = profileProblems(candidate);
  if (problems.length) {
    const name = isPlainObject(candidate) && typeof candidate['name'] === 'string' ? candidate['name'] : '?';
    throw new CaError('INVALID_PROFILE', `profile ${name}: ${problems.join('; ')}`);
  }
  return deepFreeze(candidate) as CertificateProfile;
}

const KEY_USAGES = new Set(Object.keys(KEY_USAGE_FLAGS));
const EXTENDED_KEY_USAGES = new Set(Object.keys(EXTENDED_KEY_USAGE_OIDS));
const DN_TYPES = new Set(Object.keys(DN_ATTRIBUTE_OIDS));
const DOTTED_OID = /^[0-2](\.(0|[1-9][0-9]*))+$/;

export function profileProblems(p: unknown): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, what: string): void => {
    if (!ok) problems.push(what);
  };
  if (!isPlainObject(p)) return ['profile must be an object'];
  need(typeof p['name'] === 'string' && p['name'].length > 0, 'name must be a non-empty string');
  need(typeof p['description'] === 'string', 'description must be a string');

  const bc = p['basicConstraints'];
  const isCa = isPlainObject(bc) && bc['ca'] === true;
  if (!isPlainObject(bc) || typeof bc['ca'] !== 'boolean' || typeof bc['critical'] !== 'boolean') {
    problems.push('basicConstraints needs boolean ca and critical');
  } else {
    need(
      bc['pathLenConstraint'] === undefined || (isCa && isCount(bc['pathLenConstraint'])),
      'pathLenConstraint must be a non-negative integer on a CA profile',
    );
    need(!isCa || bc['critical'] === true, 'basicConstraints must be critical on a CA profile (RFC 5280 §4.2.1.9)');
  }

  const ku = p['keyUsage'];
  if (!isStringArray(ku) || ku.length === 0 || !ku.every((k) => KEY_USAGES.has(k)) || new Set(ku).size !== ku.length) {
    problems.push(`keyUsage must be a non-empty list of distinct names among ${[...KEY_USAGES].join(', ')}`);
  } else {
    need(isCa === ku.includes('keyCertSign'), 'keyCertSign is required on CA profiles and forbidden on leaf profiles');
  }
  const eku = p['extendedKeyUsage'];
  need(
    isStringArray(eku) && eku.every((k) => EXTENDED_KEY_USAGES.has(k)) && new Set(eku).size === eku.length,
    'extendedKeyUsage must list distinct known names',
  );

  const keys = p['allowedKeys'];
  if (!isPlainObject(keys)) {
    problems.push('allowedKeys must be an object');
  } else {
    const rsa = keys['rsa'];
    if (rsa !== undefined) {
      if (
        !isPlainObject(rsa) ||
        !isCount(rsa['minModulusBits']) ||
        !isCount(rsa['maxModulusBits']) ||
        (rsa['minModulusBits'] as number) < 2048 ||
        (rsa['maxModulusBits'] as number) < (rsa['minModulusBits'] as number) ||
        !Array.isArray(rsa['publicExponents']) ||
        rsa['publicExponents'].length === 0 ||
        !rsa['publicExponents'].every((e) => Number.isSafeInteger(e) && e >= 65537 && e % 2 === 1)
      ) {
        problems.push('allowedKeys.rsa needs minModulusBits >= 2048, maxModulusBits >= min and odd publicExponents >= 65537');
      }
    }
    const curves = keys['ecCurves'];
    const curvesOk = isStringArray(curves) && curves.every((c) => c === 'P-256' || c === 'P-384');
    need(curvesOk, 'allowedKeys.ecCurves must list P-256 / P-384');
    need(rsa !== undefined || (curvesOk && (curves as string[]).length > 0), 'allowedKeys must allow at least one algorithm');
    // RFC 5480 §3: EC keys cannot do key transport.
    if (curvesOk && (curves as string[]).length && isStringArray(ku) && (ku.includes('keyEncipherment') || ku.includes('dataEncipherment'))) {
      problems.push('keyEncipherment/dataEncipherment require an RSA-only key policy');
    }
  }

  const validity = p['validity'];
  if (!isPlainObject(validity) || !isPlainObject(validity['months'])) {
    problems.push('validity.months must be an object');
  } else {
    const months = validity['months'];
    for (const env of ['acceptance', 'production']) {
      need(isCount(months[env]) && (months[env] as number) >= 1 && (months[env] as number) <= 600, `validity.months.${env} must be 1..600`);
    }
    need(isCount(validity['backdateSeconds']) && (validity['backdateSeconds'] as number) <= 86_400, 'validity.backdateSeconds must be 0..86400');
  }

  problems.push(...subjectRuleProblems(p['subject']));

  const policies = p['certificatePolicies'];
  need(
    Array.isArray(policies) &&
      policies.every(
        (x) =>
          isPlainObject(x) &&
          typeof x['oid'] === 'string' &&
          DOTTED_OID.test(x['oid']) &&
          (x['cpsUri'] === undefined || (typeof x['cpsUri'] === 'string' && /^https?:\/\/[\x21-\x7e]+$/.test(x['cpsUri']))),
      ),
    'certificatePolicies must be a list of { oid, cpsUri? (http URL) }',
  );
  need(typeof p['crlDistributionPoint'] === 'boolean', 'crlDistributionPoint must be boolean');
  need(typeof p['authorityInfoAccess'] === 'boolean', 'authorityInfoAccess must be boolean');
  need(p['ocspNoCheck'] === undefined || typeof p['ocspNoCheck'] === 'boolean', 'ocspNoCheck must be boolean');
  need(p['serverNames'] === undefined || typeof p['serverNames'] === 'boolean', 'serverNames must be boolean');
  return problems;
}

function subjectRuleProblems(subject: unknown): string[] {
  if (!isPlainObject(subject) || !Array.isArray(subject['attributes'])) return ['subject.attributes must be a list'];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const rule of subject['attributes'] as unknown[]) {
    if (!isPlainObject(rule) || typeof rule['type'] !== 'string' || !DN_TYPES.has(rule['type'])) {
      problems.push(`subject rule with unknown type ${isPlainObject(rule) ? String(rule['type']) : '?'}`);
      continue;
    }
    const type = rule['type'];
    if (seen.has(type)) problems.push(`subject rule for ${type} appears twice`);
    seen.add(type);
    if (!isCount(rule['min']) || !isCount(rule['max']) || (rule['min'] as number) > (rule['max'] as number)) {
      problems.push(`subject rule ${type}: need 0 <= min <= max`);
    }
    if (rule['values'] !== undefined && !isStringArray(rule['values'])) problems.push(`subject rule ${type}: values must be strings`);
    if (rule['mustInclude'] !== undefined && !isStringArray(rule['mustInclude'])) problems.push(`subject rule ${type}: mustInclude must be strings`);
    if (rule['pattern'] !== undefined && !compiles(rule['pattern'])) problems.push(`subject rule ${type}: pattern is not a valid RegExp`);
  }
  if (!seen.has('CN') && !seen.has('O')) problems.push('subject must allow a CN or an O');
  const form = subject['form'];
  if (form !== undefined) {
    if (!isPlainObject(form)) problems.push('subject.form must be an object');
    else if (form['kind'] === 'ehealth') {
      if (!compiles(form['identifierTypePattern']) || !compiles(form['identifierValuePattern'])) problems.push('ehealth form needs valid identifier patterns');
      if (form['applicationId'] !== 'forbidden' && form['applicationId'] !== 'optional') problems.push('ehealth form applicationId must be forbidden|optional');
    } else if (form['kind'] === 'eid-citizen') {
      if (form['cnSuffix'] !== 'Signature' && form['cnSuffix'] !== 'Authentication')
        problems.push('eid-citizen form cnSuffix must be Signature|Authentication');
    } else problems.push(`unknown subject.form kind ${String(form['kind'])}`);
  }
  return problems;
}

function compiles(pattern: unknown): boolean {
  if (typeof pattern !== 'string') return false;
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}

const isCount = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0;
const isStringArray = (x: unknown): x is string[] => Array.isArray(x) && x.every((v) => typeof v === 'string');

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(source)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    const current = target[key];
    target[key] = isPlainObject(value) && isPlainObject(current) ? deepMerge({ ...current }, value) : structuredClone(value);
  }
  return target;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
