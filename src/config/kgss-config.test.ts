import { ConfigError, loadConfig } from './config.js';

/** Where the KGSS keys are: key references (files or PKCS#11), or a key directory. */

const base = { DATA_DIR: '/tmp/unused' };
const references = {
  KGSS_AUTHENTICATION_KEY: 'pkcs11:token=HSM;object=kgss-authentication?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-env=PIN',
  KGSS_ENCRYPTION_KEY: 'pkcs11:token=HSM;object=kgss-encryption?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-env=PIN',
  KGSS_KEK: 'pkcs11:token=HSM;object=kgss-kek?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-env=PIN',
};

describe('KGSS key configuration', () => {
  it('takes the three key references together', () => {
    expect(loadConfig({ ...base, ...references }).kgssKeyReferences).toEqual({
      authentication: references.KGSS_AUTHENTICATION_KEY,
      encryption: references.KGSS_ENCRYPTION_KEY,
      kek: references.KGSS_KEK,
    });
    expect(loadConfig(base).kgssKeyReferences).toBeUndefined();
  });

  it('refuses an incomplete set, and references with a key directory', () => {
    const { KGSS_KEK: _kek, ...twoOfThree } = references;
    expect(() => loadConfig({ ...base, ...twoOfThree })).toThrow(/go together/u);
    expect(() => loadConfig({ ...base, ...references, KGSS_KEY_DIR: '/tmp/kgss', KGSS_KEY_PASSPHRASE: 'a passphrase of 16+ chars' })).toThrow(ConfigError);
  });
});
