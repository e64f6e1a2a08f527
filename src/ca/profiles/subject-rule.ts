import { isValidSsin } from '../../identifiers/ssin.js';
import type { DnAttributeType } from '../../x509/name.js';
import type { DnForm, SubjectDnRule } from './types.js';

export interface SubjectAttribute {
  readonly type: DnAttributeType | undefined;
  readonly oid: string;
  readonly value: string;
}

/** Every way a subject breaks the profile's DN rule; empty when it fits. Used before building the TBS and by a lint after. */
export function subjectDnProblems(attributes: readonly SubjectAttribute[], rule: SubjectDnRule): string[] {
  const problems: string[] = [];
  const byType = new Map<DnAttributeType, string[]>();
  for (const attribute of attributes) {
    const ruleFor = attribute.type && rule.attributes.find((r) => r.type === attribute.type);
    if (!attribute.type || !ruleFor) {
      problems.push(`attribute ${attribute.type ?? attribute.oid} is not allowed`);
      continue;
    }
    byType.set(attribute.type, [...(byType.get(attribute.type) ?? []), attribute.value]);
  }
  for (const r of rule.attributes) {
    const values = byType.get(r.type) ?? [];
    if (values.length < r.min || values.length > r.max) {
      problems.push(`${r.type} occurs ${values.length} times (allowed ${r.min}..${r.max})`);
    }
    for (const value of values) {
      if (r.values && !r.values.includes(value)) problems.push(`${r.type}=${value} is not one of ${r.values.join(' | ')}`);
      if (r.pattern && !new RegExp(r.pattern, 'u').test(value)) problems.push(`${r.type}=${value} does not match ${r.pattern}`);
    }
    for (const required of r.mustInclude ?? []) {
      if (!values.includes(required)) problems.push(`${r.type}=${required} is missing`);
    }
  }
  if (rule.form) problems.push(...formProblems(byType, rule.form));
  return problems;
}

const APPLICATION_ID = /^[0-9A-Z_-]{1,30}$/;
const EHEALTH_CN = /^([^=,]+)=([^=,]+?)(?:, ([^=,]+))?$/;

function formProblems(byType: ReadonlyMap<DnAttributeType, readonly string[]>, form: DnForm): string[] {
  const one = (type: DnAttributeType): string | undefined => (byType.get(type)?.length === 1 ? byType.get(type)![0] : undefined);
  if (form.kind === 'ehealth') {
    const cn = one('CN');
    const match = cn === undefined ? null : EHEALTH_CN.exec(cn);
    if (!match) return [`CN must read TYPE=id[, APPID], got ${cn ?? '(none)'}`];
    const [, idType, idValue, appId] = match as unknown as [string, string, string, string | undefined];
    const problems: string[] = [];
    if (!new RegExp(form.identifierTypePattern, 'u').test(idType)) problems.push(`identifier type ${idType} is not allowed by this profile`);
    if (!new RegExp(form.identifierValuePattern, 'u').test(idValue)) problems.push(`identifier value ${idValue} is malformed`);
    const ous = [...(byType.get('OU') ?? [])];
    const take = (value: string): boolean => {
      const at = ous.indexOf(value);
      if (at < 0) return false;
      ous.splice(at, 1);
      return true;
    };
    take('eHealth-platform Belgium');
    if (!take(`${idType}=${idValue}`)) problems.push(`OU=${idType}=${idValue} matching the CN is missing`);
    if (appId !== undefined) {
      if (form.applicationId === 'forbidden') problems.push('this profile takes no application id');
      else if (!APPLICATION_ID.test(appId)) problems.push(`application id ${appId} must match [0-9A-Z_-]{1,30}`);
      else if (!take(appId)) problems.push(`OU=${appId} matching the CN application id is missing`);
    }
    // What is left may only be the holder's name: upper case, diacritics stripped (§6).
    if (ous.length > 1) problems.push(`unexpected OU values ${ous.join(' | ')}`);
    for (const name of ous) {
      if (!/^[\x20-\x7e]+$/.test(name) || /[a-z]/.test(name) || name.includes('=')) problems.push(`OU=${name} is not an upper-case ASCII name`);
    }
    return problems;
  }
  const problems: string[] = [];
  const ssin = one('SERIALNUMBER');
  if (ssin === undefined || !isValidSsin(ssin)) problems.push(`SERIALNUMBER ${ssin ?? '(none)'} is not a valid SSIN`);
  const given = one('GIVENNAME');
  const surname = one('SN');
  const cn = one('CN');
  const suffix = ` ${surname} (${form.cnSuffix})`;
  // Real eID CNs carry the first given name only, so any leading run of the given names is accepted.
  const givenWords = (given ?? '').split(' ').filter(Boolean);
  const acceptable = givenWords.map((_, i) => `${givenWords.slice(0, i + 1).join(' ')}${suffix}`);
  if (!cn || !surname || !given || !acceptable.includes(cn)) problems.push(`CN must read "<given names> <surname> (${form.cnSuffix})"`);
  return problems;
}
