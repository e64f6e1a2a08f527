import { mayRead, showsCredential } from './kgss.js';

const CERTIFIED = 'urn:be:fgov:certified-namespace:ehealth';
const DOCTOR = 'urn:be:fgov:person:ssin:doctor:boolean';
const NIHII11 = 'urn:be:fgov:person:ssin:ehealth:1.0:doctor:nihii11';

describe('KGSS access lists', () => {
  const doctor = [
    { namespace: CERTIFIED, name: DOCTOR, values: ['true'] },
    { namespace: CERTIFIED, name: NIHII11, values: ['10012345001'] },
  ];

  it('matches Namespace and Name, and a value when the credential names values', () => {
    expect(showsCredential(doctor, { namespace: CERTIFIED, name: DOCTOR, values: ['true'] })).toBe(true);
    expect(showsCredential(doctor, { namespace: CERTIFIED, name: DOCTOR, values: ['false'] })).toBe(false);
    expect(showsCredential(doctor, { namespace: 'urn:other', name: DOCTOR, values: ['true'] })).toBe(false);
    expect(showsCredential(doctor, { namespace: CERTIFIED, name: 'urn:be:fgov:person:ssin:nurse:boolean', values: ['true'] })).toBe(false);
  });

  it('a credential without value, or with an empty one (Recip-e writes "name,"), admits any value of the attribute', () => {
    expect(showsCredential(doctor, { namespace: CERTIFIED, name: NIHII11, values: [] })).toBe(true);
    expect(showsCredential(doctor, { namespace: CERTIFIED, name: NIHII11, values: [''] })).toBe(true);
    expect(showsCredential([], { namespace: CERTIFIED, name: NIHII11, values: [] })).toBe(false);
  });

  it('any allowed credential admits; any excluded one refuses', () => {
    const allowed = [
      { namespace: CERTIFIED, name: 'urn:be:fgov:ehealth:1.0:pharmacy:nihii-number:recognisedpharmacy:boolean', values: ['true'] },
      { namespace: CERTIFIED, name: NIHII11, values: [] },
    ];
    expect(mayRead(doctor, allowed, [])).toBe(true);
    expect(mayRead(doctor, allowed, [{ namespace: CERTIFIED, name: NIHII11, values: ['10012345001'] }])).toBe(false);
    expect(mayRead(doctor, allowed, [{ namespace: CERTIFIED, name: NIHII11, values: ['99999999999'] }])).toBe(true);
    expect(mayRead([], allowed, [])).toBe(false);
  });
});
