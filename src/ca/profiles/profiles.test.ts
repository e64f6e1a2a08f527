import { SAMPLE_PERSON_SUBJECT, sampleCitizenSubject, sampleOrganisationSubject } from '../issuance/testing.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaError } from '../issuance/errors.js';
import type { DnSequence } from '../x509/name.js';
import { BUILT_IN_PROFILES, ehealthNaturalPerson, ehealthOrganisation, eidCitizenAuthentication, etkRaSigner, organisationAuthentication } from './builtin.js';
import { keyPolicyViolation } from './key-policy.js';
import { applyProfileOverrides, builtInProfiles, checkedProfile, loadProfiles, profileProblems } from './load-profiles.js';
import { subjectDnProblems } from './subject-rule.js';

const PERSON = SAMPLE_PERSON_SUBJECT;
const ORGANISATION_WITH_APP = sampleOrganisationSubject('MYAPP');
const CITIZEN = sampleCitizenSubject('Authentication');

const attrs = (dn: DnSequence) => dn.map((a) => ({ type: a.type, oid: a.type, value: a.value }));

const replace = (dn: DnSequence, type: string, from: string, to: string): DnSequence =>
  dn.map((a) => (a.type === type && a.value === from ? { ...a, value: to } : a));

describe('built-in profiles', () => {
  it.each(Object.values(BUILT_IN_PROFILES).map((p) => [p.name, p] as const))('%s is valid and frozen', (_name, profile) => {
    expect(profileProblems(profile)).toEqual([]);
    expect(Object.isFrozen(profile)).toBe(true);
    expect(Object.isFrozen(profile.validity.months)).toBe(true);
    expect(() => {
      (profile.keyUsage as string[]).push('keyCertSign');
    }).toThrow(TypeError);
  });

  it('eHealth profiles: 12 months in acceptance, 36 in production, clientAuth, critical keyUsage content', () => {
    for (const p of [ehealthNaturalPerson, ehealthOrganisation]) {
      expect(p.validity.months).toEqual({ acceptance: 12, production: 36 });
      expect(p.extendedKeyUsage).toEqual(['clientAuth']);
      expect(p.basicConstraints).toEqual({ ca: false, critical: true });
    }
  });

  it('builtInProfiles() indexes every profile by name', () => {
    expect([...builtInProfiles().keys()].sort()).toEqual(Object.keys(BUILT_IN_PROFILES).sort());
  });
});

describe('profile overrides', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'profiles-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('merges objects field by field, replaces arrays, and derives new profiles with "extends"', () => {
    const path = join(dir, 'ok.json');
    writeFileSync(
      path,
      JSON.stringify({
        profiles: {
          'ehealth-natural-person': {
            validity: { months: { acceptance: 15 } },
            certificatePolicies: [{ oid: '2.16.56.1.1.1.7', cpsUri: 'http://repo.example.test/cps' }],
          },
          'hospital-gateway': { extends: 'organisation-authentication', description: 'gateway', extendedKeyUsage: ['clientAuth', 'serverAuth'] },
        },
      }),
    );
    const set = loadProfiles(path);
    const person = set.get('ehealth-natural-person')!;
    expect(person.validity.months).toEqual({ acceptance: 15, production: 36 });
    expect(person.certificatePolicies).toEqual([{ oid: '2.16.56.1.1.1.7', cpsUri: 'http://repo.example.test/cps' }]);
    expect(person.keyUsage).toEqual(ehealthNaturalPerson.keyUsage);
    const gateway = set.get('hospital-gateway')!;
    expect(gateway).toMatchObject({
      name: 'hospital-gateway',
      description: 'gateway',
      extendedKeyUsage: ['clientAuth', 'serverAuth'],
      keyUsage: ['digitalSignature'],
    });
    expect(Object.isFrozen(gateway.subject)).toBe(true);
    // the built-in is untouched
    expect(ehealthNaturalPerson.validity.months.acceptance).toBe(12);
  });

  it.each([
    ['an unknown base profile', { 'no-such': { description: 'x' } }, /unknown profile/],
    ['EC keys with keyEncipherment', { 'ehealth-natural-person': { allowedKeys: { ecCurves: ['P-256'] } } }, /RSA-only/],
    ['RSA below 2048 bits', { 'organisation-signature': { allowedKeys: { rsa: { minModulusBits: 1024 } } } }, /minModulusBits >= 2048/],
    ['exponent 3', { 'organisation-signature': { allowedKeys: { rsa: { publicExponents: [3] } } } }, /publicExponents/],
    ['an unknown key usage', { 'organisation-signature': { keyUsage: ['digitalSignature', 'signEverything'] } }, /keyUsage/],
    ['a CA profile without keyCertSign', { 'root-ca': { keyUsage: ['cRLSign'] } }, /keyCertSign/],
    ['a leaf profile with keyCertSign', { 'etk-ra-signer': { keyUsage: ['digitalSignature', 'keyCertSign'] } }, /keyCertSign/],
    ['a broken DN pattern', { 'etk-ra-signer': { subject: { attributes: [{ type: 'CN', min: 1, max: 1, pattern: '(' }] } } }, /pattern/],
    ['zero months', { 'ehealth-organisation': { validity: { months: { production: 0 } } } }, /months.production/],
    ['a CPS URI with spaces', { 'root-ca': { certificatePolicies: [{ oid: '1.2.3', cpsUri: 'http://a b' }] } }, /certificatePolicies/],
  ])('rejects %s', (_what, profiles, message) => {
    const attempt = () => applyProfileOverrides(builtInProfiles(), { profiles });
    expect(attempt).toThrow(CaError);
    expect(attempt).toThrow(message);
  });

  it('rejects an unreadable file and a file without "profiles"', () => {
    expect(() => loadProfiles(join(dir, 'missing.json'))).toThrow(/cannot read/);
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ ehealth: {} }));
    expect(() => loadProfiles(path)).toThrow(/"profiles"/);
  });

  it('returns the built-ins when no file is given', () => {
    expect(loadProfiles(undefined).get('root-ca')).toBe(BUILT_IN_PROFILES['root-ca']);
  });

  it('checkedProfile lists every problem at once', () => {
    expect(() => checkedProfile({ name: 'x' })).toThrow(/description.*basicConstraints.*keyUsage/s);
  });
});

describe('subject DN rules', () => {
  it('accepts the eHealth person and organisation forms', () => {
    expect(subjectDnProblems(attrs(PERSON), ehealthNaturalPerson.subject)).toEqual([]);
    expect(subjectDnProblems(attrs(PERSON.filter((a) => a.value !== 'JAN TEST')), ehealthNaturalPerson.subject)).toEqual([]);
    expect(subjectDnProblems(attrs(ORGANISATION_WITH_APP), ehealthOrganisation.subject)).toEqual([]);
    expect(subjectDnProblems(attrs(ORGANISATION_WITH_APP), organisationAuthentication.subject)).toEqual([]);
  });

  it.each([
    [
      'a missing eHealth-platform OU',
      ehealthNaturalPerson,
      PERSON.filter((a) => a.value !== 'eHealth-platform Belgium'),
      /eHealth-platform Belgium is missing/,
    ],
    ['another O', ehealthNaturalPerson, replace(PERSON, 'O', 'Federal Government', 'Acme'), /O=Acme is not one of/],
    [
      'an OU identifier differing from the CN',
      ehealthNaturalPerson,
      replace(PERSON, 'OU', 'SSIN=85073003328', 'SSIN=85073003427'),
      /matching the CN is missing/,
    ],
    [
      'an organisation type on the person profile',
      ehealthNaturalPerson,
      replace(replace(PERSON, 'CN', 'SSIN=85073003328', 'CBE=0820563481'), 'OU', 'SSIN=85073003328', 'CBE=0820563481'),
      /type CBE is not allowed/,
    ],
    ['SSIN on the organisation profile', ehealthOrganisation, PERSON, /type SSIN is not allowed/],
    ['an application id without its OU', ehealthOrganisation, ORGANISATION_WITH_APP.filter((a) => a.value !== 'MYAPP'), /OU=MYAPP matching/],
    ['a lower-case name OU', ehealthNaturalPerson, replace(PERSON, 'OU', 'JAN TEST', 'Jan Test'), /upper-case/],
    ['an attribute outside the rule', ehealthNaturalPerson, [...PERSON, { type: 'L', value: 'Brussels' }], /L is not allowed/],
    ['two CNs', ehealthNaturalPerson, [...PERSON, { type: 'CN', value: 'SSIN=85073003328' }], /CN occurs 2 times/],
  ] as const)('rejects %s', (_what, profile, dn, message) => {
    expect(subjectDnProblems(attrs(dn), profile.subject).join('; ')).toMatch(message);
  });

  it('rejects an application id on the person profile', () => {
    const dn = [...replace(PERSON, 'CN', 'SSIN=85073003328', 'SSIN=85073003328, MYAPP'), { type: 'OU', value: 'MYAPP' }] as DnSequence;
    expect(subjectDnProblems(attrs(dn), ehealthNaturalPerson.subject).join('; ')).toMatch(/no application id/);
  });

  it('checks the eID citizen form', () => {
    expect(subjectDnProblems(attrs(CITIZEN), eidCitizenAuthentication.subject)).toEqual([]);
    expect(
      subjectDnProblems(attrs(replace(CITIZEN, 'CN', 'Jan Peeters (Authentication)', 'Jan Marie Peeters (Authentication)')), eidCitizenAuthentication.subject),
    ).toEqual([]);
    expect(subjectDnProblems(attrs(replace(CITIZEN, 'SERIALNUMBER', '85073003328', '85073003329')), eidCitizenAuthentication.subject).join()).toMatch(
      /not a valid SSIN/,
    );
    expect(
      subjectDnProblems(
        attrs(replace(CITIZEN, 'CN', 'Jan Peeters (Authentication)', 'Piet Peeters (Authentication)')),
        eidCitizenAuthentication.subject,
      ).join(),
    ).toMatch(/CN must read/);
    expect(
      subjectDnProblems(attrs(replace(CITIZEN, 'CN', 'Jan Peeters (Authentication)', 'Jan Peeters (Signature)')), eidCitizenAuthentication.subject).join(),
    ).toMatch(/does not match/);
  });

  it('pins the ETK-RA signer DN', () => {
    const etkRa: DnSequence = [
      { type: 'C', value: 'BE' },
      { type: 'O', value: 'Federal Government' },
      { type: 'OU', value: 'eHealth-platform Belgium' },
      { type: 'CN', value: 'ETK-RA' },
    ];
    expect(subjectDnProblems(attrs(etkRa), etkRaSigner.subject)).toEqual([]);
    expect(subjectDnProblems(attrs(replace(etkRa, 'CN', 'ETK-RA', 'ETK-RA2')), etkRaSigner.subject)).not.toEqual([]);
  });
});

describe('key policy', () => {
  const policy = organisationAuthentication.allowedKeys;
  it.each([
    [{ kind: 'RSA', modulusBits: 2048, publicExponent: 65537n, parametersNull: true }, undefined],
    [{ kind: 'RSA', modulusBits: 4096, publicExponent: 65537n, parametersNull: true }, undefined],
    [{ kind: 'RSA', modulusBits: 1024, publicExponent: 65537n, parametersNull: true }, 'WEAK_KEY'],
    [{ kind: 'RSA', modulusBits: 2047, publicExponent: 65537n, parametersNull: true }, 'WEAK_KEY'],
    [{ kind: 'RSA', modulusBits: 2048, publicExponent: 3n, parametersNull: true }, 'WEAK_KEY'],
    [{ kind: 'RSA', modulusBits: 16384, publicExponent: 65537n, parametersNull: true }, 'UNSUPPORTED_KEY'],
    [{ kind: 'EC', curve: 'P-256', curveOid: '1.2.840.10045.3.1.7' }, undefined],
    [{ kind: 'EC', curve: 'P-384', curveOid: '1.3.132.0.34' }, undefined],
    [{ kind: 'EC', curve: 'P-521', curveOid: '1.3.132.0.35' }, 'WEAK_KEY'],
    [{ kind: 'EC', curve: undefined, curveOid: '1.3.132.0.10' }, 'WEAK_KEY'],
    [{ kind: 'other', algorithmOid: '1.3.101.112' }, 'UNSUPPORTED_KEY'],
  ] as const)('%j → %s', (key, code) => {
    expect(keyPolicyViolation(key, policy)?.code).toBe(code);
  });

  it('refuses EC keys on RSA-only profiles as unsupported', () => {
    expect(keyPolicyViolation({ kind: 'EC', curve: 'P-256', curveOid: '' }, ehealthNaturalPerson.allowedKeys)?.code).toBe('UNSUPPORTED_KEY');
  });
});
