import { ConfigError, loadConfig } from './config.js';

/** Authentication of the REST APIs: OAUTH_* and ETEE_REST_ANONYMOUS. */

const base = { DATA_DIR: '/tmp/unused' };

describe('REST authentication configuration', () => {
  it('serves anonymous requests in acceptance, not in production, never with ETKDEPOT_REQUIRE_SIGNATURE', () => {
    expect(loadConfig(base).restAnonymous).toBe(true);
    expect(loadConfig({ ...base, ENVIRONMENT: 'production', CA_CONFIG_FILE: '/tmp/ca.json' }).restAnonymous).toBe(false);
    expect(loadConfig({ ...base, ENVIRONMENT: 'production', CA_CONFIG_FILE: '/tmp/ca.json', ETEE_REST_ANONYMOUS: 'true' }).restAnonymous).toBe(true);
    expect(loadConfig({ ...base, ETKDEPOT_REQUIRE_SIGNATURE: 'true' }).restAnonymous).toBe(false);
    expect(() => loadConfig({ ...base, ETKDEPOT_REQUIRE_SIGNATURE: 'true', ETEE_REST_ANONYMOUS: 'true' })).toThrow(ConfigError);
  });

  it("takes the issuer's keys from Keycloak's path unless OAUTH_JWKS_URL says otherwise", () => {
    expect(loadConfig({ ...base, OAUTH_ISSUER: 'https://idp.example/realms/M2M/' }).oauth).toEqual({
      issuer: 'https://idp.example/realms/M2M/',
      jwksUrl: 'https://idp.example/realms/M2M/protocol/openid-connect/certs',
      audience: undefined,
      jwksCooldownSeconds: 30,
    });
    expect(
      loadConfig({ ...base, OAUTH_ISSUER: 'https://idp.example', OAUTH_JWKS_URL: 'https://keys.example/jwks', OAUTH_AUDIENCE: 'etee' }).oauth,
    ).toMatchObject({
      jwksUrl: 'https://keys.example/jwks',
      audience: 'etee',
    });
  });

  it('refuses settings that cannot work', () => {
    expect(() => loadConfig({ ...base, OAUTH_JWKS_URL: 'https://keys.example/jwks' })).toThrow(/need OAUTH_ISSUER/u);
    expect(() => loadConfig({ ...base, OAUTH_ISSUER: 'idp.example' })).toThrow(/OAUTH_ISSUER must be an http\(s\) URL/u);
    expect(() => loadConfig({ ...base, OAUTH_ISSUER: 'ftp://idp.example' })).toThrow(/OAUTH_ISSUER must be an http\(s\) URL/u);
  });
});
