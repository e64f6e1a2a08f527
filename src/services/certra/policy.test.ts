import { defaultCertRaPolicy, isAutomaticallyValidated, replacementPeriodStart } from './policy.js';

describe('CertRA validation policy', () => {
  const acceptance = defaultCertRaPolicy('acceptance');
  const production = defaultCertRaPolicy('production');

  it.each([
    ['acceptance, test case', true, acceptance, { channel: 'eid', hasTestCase: true }],
    ['acceptance, no test case', false, acceptance, { channel: 'eid', hasTestCase: false }],
    ['production, authorisation on file', true, production, { channel: 'eid', hasTestCase: false }],
    ['manual rule, even with a test case', false, defaultCertRaPolicy('acceptance', 'manual'), { channel: 'eid', hasTestCase: true }],
    ['manual rule in production', false, defaultCertRaPolicy('production', 'manual'), { channel: 'eid', hasTestCase: false }],
    ['foreigner in production', false, production, { channel: 'foreigner', hasTestCase: true }],
  ] as const)('%s → automatically validated: %s', (_name, expected, policy, facts) => {
    expect(isAutomaticallyValidated(policy, facts)).toBe(expected);
  });

  it('opens the replacement period three calendar months before notAfter, clamping the day', () => {
    expect(replacementPeriodStart(acceptance, new Date('2027-05-31T10:00:00Z')).toISOString()).toBe('2027-02-28T10:00:00.000Z');
    expect(replacementPeriodStart(production, new Date('2029-11-23T00:00:00Z')).toISOString()).toBe('2029-08-23T00:00:00.000Z');
  });
});
