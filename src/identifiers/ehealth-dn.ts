/**
 * eHealth certificate DNs (docs/wire-facts.md §6).
 *
 * String (RFC 2253) order, as returned in CertRA Contract/DN:
 *   CN=<TYPE>=<id>[, <APPID>], OU=eHealth-platform Belgium, OU=<NAME>, OU=<TYPE>=<id>, [OU=<APPID>,] O=Federal Government, C=BE
 * written the way Java `X500Principal.getName("RFC2253")` writes it (`=`, `,` … backslash-escaped):
 *   CN=SSIN\=85073003328,OU=eHealth-platform Belgium,OU=JAN TEST,OU=SSIN\=85073003328,O=Federal Government,C=BE
 * The connector re-parses that string and, before echoing it, replaces `<TYPE>=` by `<TYPE>\=`; an already
 * escaped DN is left unchanged by that replacement. In a certificate (DER) the RDNs are encoded in the
 * reverse order (C first).
 *
 * `parseEhealthDn` reproduces the connector's `CertificateParser`; `buildEhealthDn` refuses any input the
 * connector would read back differently (see `EhealthDnError`).
 */
import { type DnAttribute, type DnAttributeInput, formatDn, normaliseAttributeType, tryParseDn } from './dn.js';
import { findEtkIdentifierType } from './etk-identifier-types.js';

export const EHEALTH_OU = 'eHealth-platform Belgium';
export const EHEALTH_O = 'Federal Government';
export const EHEALTH_C = 'BE';

/** Application id syntax (connector `DistinguishedName.APPLICATIONID_PATTERN`), checked after normalisation. */
export const APPLICATION_ID_PATTERN = /^[0-9A-Z_-]{1,30}$/u;

/** Upper bound of an OU value (X.520 ub-organizational-unit-name). */
export const MAX_NAME_LENGTH = 64;

/**
 * The connector's test for the "<TYPE>=<id>" OU, verbatim: `Pattern.matches("([A-Z(-|_)]+=[0-9]+)", ou)`.
 * Note that inside the class `(-|` is a range (0x28–0x7C), so it also admits digits, lower-case letters,
 * '=' and most punctuation; `buildEhealthDn` therefore rejects names it would match.
 */
const CONNECTOR_TYPE_ID_OU = /^(?:[A-Z(-|_)]+=[0-9]+)$/u;

export interface EhealthDnInput {
  /** ETK identifier type (`SSIN`, `NIHII-HOSPITAL`, `CBE`, …). */
  readonly type: string;
  /** Identifier value, in the full fixed-length form of the type. */
  readonly id: string;
  /** Person "FIRSTNAME LASTNAME" or organisation name; normalised by `normaliseDnName`. */
  readonly name: string;
  /** Organisations only; normalised by `normaliseApplicationId`. Empty = absent. */
  readonly applicationId?: string | null;
}

export interface EhealthDn {
  readonly type: string;
  readonly id: string;
  readonly name: string;
  /** Absent when the DN has no application id. */
  readonly applicationId?: string;
}

export type EhealthDnErrorCode = 'UNKNOWN_TYPE' | 'BAD_ID' | 'BAD_NAME' | 'BAD_APPLICATION_ID' | 'APPLICATION_ID_NOT_ALLOWED';

export class EhealthDnError extends Error {
  constructor(
    readonly code: EhealthDnErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EhealthDnError';
  }
}

/** The connector's `DistinguishedName.normalize`: upper case, NFD, combining diacritical marks (U+0300–U+036F) removed. */
function connectorNormalize(s: string): string {
  return s
    .toUpperCase()
    .normalize('NFD')
    .replace(/[\u0300-\u036f]+/gu, '');
}

/**
 * NAME as it appears in the DN: upper-cased and diacritics stripped exactly as the connector does,
 * then re-composed (NFC), trimmed, and runs of white space collapsed to one space.
 * 'Hôpital  Saint-Luc ' → 'HOPITAL SAINT-LUC'.
 */
export function normaliseDnName(name: string): string {
  return connectorNormalize(name).normalize('NFC').trim().replace(/\s+/gu, ' ');
}

/**
 * Application id as the connector normalises it (upper case, diacritics stripped) after trimming;
 * `undefined` for null/undefined/empty. Does not validate: see `isValidApplicationId`.
 */
export function normaliseApplicationId(applicationId: string | null | undefined): string | undefined {
  if (applicationId === null || applicationId === undefined) return undefined;
  const n = connectorNormalize(applicationId.trim());
  return n === '' ? undefined : n;
}

/** `true` when the (already normalised) application id matches `[0-9A-Z-_]{1,30}`. */
export function isValidApplicationId(applicationId: string): boolean {
  return APPLICATION_ID_PATTERN.test(applicationId);
}

/**
 * The attributes of the eHealth DN in string (RFC 2253) order, CN first. Validates and normalises like
 * `buildEhealthDn`. X.509 encodes them in the reverse order (C first).
 */
export function ehealthDnAttributes(input: EhealthDnInput): DnAttribute[] {
  const t = findEtkIdentifierType(input.type);
  if (!t) throw new EhealthDnError('UNKNOWN_TYPE', `unknown ETK identifier type ${JSON.stringify(input.type)}`);
  if (!new RegExp(`^(?:${t.validationRegex})$`, 'u').test(input.id)) {
    throw new EhealthDnError('BAD_ID', `${t.type} id must match ${t.validationRegex}, got ${JSON.stringify(input.id)}`);
  }
  const name = normaliseDnName(input.name);
  if (name === '') throw new EhealthDnError('BAD_NAME', 'name is empty');
  if (Array.from(name).length > MAX_NAME_LENGTH) throw new EhealthDnError('BAD_NAME', `name longer than ${MAX_NAME_LENGTH} characters`);
  if (/[\p{Cc}\p{Cs}\uFFFD]/u.test(name)) throw new EhealthDnError('BAD_NAME', 'name contains control or invalid characters');
  // The connector's DistinguishedName(X500Principal) takes the first OU without '=' as the name.
  if (name.includes('=')) throw new EhealthDnError('BAD_NAME', "name must not contain '='");

  const applicationId = normaliseApplicationId(input.applicationId);
  if (applicationId !== undefined) {
    if (!t.isOrganization) throw new EhealthDnError('APPLICATION_ID_NOT_ALLOWED', `${t.type} certificates cannot have an application id`);
    if (!isValidApplicationId(applicationId)) {
      throw new EhealthDnError('BAD_APPLICATION_ID', `application id must match [0-9A-Z-_]{1,30}, got ${JSON.stringify(applicationId)}`);
    }
  }

  const typeId = `${t.type}=${input.id}`;
  const attrs: DnAttribute[] = [
    { type: 'CN', value: applicationId === undefined ? typeId : `${typeId}, ${applicationId}` },
    { type: 'OU', value: EHEALTH_OU },
    { type: 'OU', value: name },
    { type: 'OU', value: typeId },
    ...(applicationId === undefined ? [] : [{ type: 'OU', value: applicationId }]),
    { type: 'O', value: EHEALTH_O },
    { type: 'C', value: EHEALTH_C },
  ].map((a, rdn) => ({ ...a, rdn }));

  // Refuse anything the connector's CertificateParser would read back differently
  // (e.g. a name that is a suffix of the CN, which it would take for the application id).
  const back = parseEhealthDn(attrs);
  if (!back || back.type !== t.type || back.id !== input.id || back.name !== name || back.applicationId !== applicationId) {
    throw new EhealthDnError('BAD_NAME', `name ${JSON.stringify(name)} would be misread by the eHealth connector in this DN`);
  }
  return attrs;
}

/**
 * The DN string CertRA returns in Contract/DN (Java RFC 2253 form, `=` escaped inside values), e.g.
 * `CN=NIHII-HOSPITAL\=71089815\, MYAPP,OU=eHealth-platform Belgium,OU=TEST HOSPITAL,OU=NIHII-HOSPITAL\=71089815,OU=MYAPP,O=Federal Government,C=BE`.
 *
 * Checks: known ETK type; id matches the type's format (length/digits; check digits are the caller's
 * business, see `validateIdentifier`); name non-empty after normalisation, ≤ 64 characters, no control
 * characters, no '='; application id only for organisation types and matching `[0-9A-Z-_]{1,30}`; and the
 * connector's parser must read back exactly (type, id, name, applicationId). Throws `EhealthDnError`.
 */
export function buildEhealthDn(input: EhealthDnInput): string {
  return formatDn(ehealthDnAttributes(input));
}

/**
 * Reads (type, id, name, applicationId) from an eHealth DN as the connector's `CertificateParser` does:
 * OUs are visited in `LdapName.getRdns()` order (the reverse of the string order); an OU matching
 * `([A-Z(-|_)]+=[0-9]+)` gives type and id (split on '='); any other OU except `eHealth-platform Belgium`
 * and `Federal Government` is the application id if a CN ends with it, otherwise the owner (name).
 * Later matches overwrite earlier ones, as in the connector.
 *
 * Returns `null` for a string that does not parse, an eID DN (it has a SERIALNUMBER), or a DN lacking
 * any of: the `OU=eHealth-platform Belgium`, a CN, a type/id OU with a numeric id, a name OU.
 */
export function parseEhealthDn(dn: string | readonly DnAttributeInput[]): EhealthDn | null {
  const attrs = typeof dn === 'string' ? tryParseDn(dn) : dn;
  if (!attrs) return null;
  const typed = attrs.map((a) => ({ type: normaliseAttributeType(a.type), value: a.value }));
  if (typed.some((a) => a.type === 'SERIALNUMBER')) return null;
  const reversed = [...typed].reverse();
  const ous = reversed.filter((a) => a.type === 'OU').map((a) => a.value);
  const cns = reversed.filter((a) => a.type === 'CN').map((a) => a.value);

  let type = '';
  let id = '';
  let application = '';
  let owner = '';
  let ehealthOu = false;
  for (const ou of ous) {
    if (CONNECTOR_TYPE_ID_OU.test(ou)) {
      const parts = ou.split('=');
      type = parts[0] ?? '';
      id = parts[1] ?? '';
    } else if (ou === EHEALTH_OU) {
      ehealthOu = true;
    } else if (ou !== EHEALTH_O) {
      for (const cn of cns) {
        if (cn.endsWith(ou)) application = ou;
        else owner = ou;
      }
    }
  }
  if (!ehealthOu || cns.length === 0 || type === '' || !/^[0-9]+$/u.test(id) || owner === '') return null;
  return application === '' ? { type, id, name: owner } : { type, id, name: owner, applicationId: application };
}
