import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, createPublicKey } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { parseEtk } from '../../src/ca/etk/index.js';
import { parseCertificate } from '../../src/x509/certificate.js';
import { mintHolder, register, revokeHolder, testCbe, testSsin, type Holder, type Registration } from '../support/etk-client.js';
import { etkState } from '../support/etk-state.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

/**
 * The ETEE REST API (/etee/v1/etks, /etee/v1/pubKeys/cacerts/jwks) behind OAuth2 bearer tokens, against a real token
 * issuer on loopback: an HTTP server publishing its JWKS at Keycloak's path, whose tokens are signed here with jose.
 */

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

interface Issuer {
  readonly url: string;
  readonly keys: Map<string, KeyPair>;
  /** Times the JWKS was fetched. */
  fetches: number;
  up: boolean;
  token(claims?: Record<string, unknown>, options?: { kid?: string; expiresIn?: string; issuer?: string; key?: KeyPair }): Promise<string>;
  close(): Promise<void>;
}

async function startIssuer(): Promise<Issuer> {
  const keys = new Map<string, KeyPair>([['k1', await generateKeyPair('RS256', { extractable: true })]]);
  let server: Server;
  const issuer: Issuer = {
    url: '',
    keys,
    fetches: 0,
    up: true,
    async token(claims = {}, options = {}) {
      const kid = options.kid ?? 'k1';
      const key = options.key ?? keys.get(kid)!;
      return new SignJWT({ azp: 'integrator-client', ...claims })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setIssuer(options.issuer ?? issuer.url)
        .setSubject('service-account-integrator')
        .setAudience(typeof claims.aud === 'string' ? claims.aud : 'etee')
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '5m')
        .sign(key.privateKey);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  server = createServer(async (request, response) => {
    if (!issuer.up) {
      response.destroy();
      return;
    }
    if (request.url === '/realms/M2M/protocol/openid-connect/certs') {
      issuer.fetches++;
      const jwks = await Promise.all([...keys].map(async ([kid, pair]) => ({ ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' })));
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: jwks }));
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (issuer as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/realms/M2M`;
  return issuer;
}

let issuer: Issuer;
let t: TestPlatform;
let person: { ssin: string; holder: Holder; registration: Registration };
let company: { cbe: string; plain: Registration; appA: Registration };

beforeAll(async () => {
  issuer = await startIssuer();
  // No cooldown: every unknown kid refetches the issuer's keys at once (the rotation test needs no 30 s wait).
  t = await startTestPlatform({ OAUTH_ISSUER: issuer.url, OAUTH_AUDIENCE: 'etee', ETEE_REST_ANONYMOUS: 'false', OAUTH_JWKS_COOLDOWN_SECONDS: '0' });
  const ssin = testSsin(611);
  const holder = await mintHolder(t, { type: 'SSIN', id: ssin, name: 'Dr Rest Reader' });
  person = { ssin, holder, registration: await register(t, holder) };
  const cbe = testCbe(612);
  company = {
    cbe,
    plain: await register(t, await mintHolder(t, { type: 'CBE', id: cbe, name: 'Rest Company' })),
    appA: await register(t, await mintHolder(t, { type: 'CBE', id: cbe, name: 'Rest Company', applicationId: 'APPA' })),
  };
}, 120_000);

afterAll(async () => {
  await t?.close();
  await issuer?.close();
});

const get = (url: string, token?: string) => t.app.inject({ method: 'GET', url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

function expectProblem(response: Awaited<ReturnType<typeof get>>, status: number, code: string) {
  expect({ status: response.statusCode, type: response.headers['content-type'] }).toEqual({ status, type: 'application/problem+json; charset=utf-8' });
  const body = response.json();
  expect(body).toMatchObject({ type: 'about:blank', status, code });
  expect(body.requestId).toBe(response.headers['x-request-id']);
  return body as { detail: string };
}

describe('ETEE REST: GET /etee/v1/etks', () => {
  it("answers the JSON array of the identifier's ETKs to a client with a valid token (type in any case)", async () => {
    const response = await get(`/etee/v1/etks?identifier=${person.ssin}&type=ssin`, await issuer.token());
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-cache');
    const etks = response.json();
    expect(etks).toHaveLength(1);
    expect(etks[0]).toMatchObject({ type: 'SSIN', identifier: person.ssin, etk: person.registration.etk.toString('base64') });
    expect(etks[0]).not.toHaveProperty('applicationIdentifier');
    expect(new Date(etks[0].notAfter).getTime()).toBeGreaterThan(Date.now());
  });

  it('lists every ETK of an owner without applicationIdentifier, and narrows to one with it', async () => {
    const token = await issuer.token();
    const all = (await get(`/etee/v1/etks?identifier=${company.cbe}&type=CBE`, token)).json();
    expect(all.map((etk: { applicationIdentifier?: string }) => etk.applicationIdentifier ?? null).sort()).toEqual(['APPA', null]);
    const one = await get(`/etee/v1/etks?identifier=${company.cbe}&type=CBE&applicationIdentifier=APPA`, token);
    expect(one.json()).toEqual([expect.objectContaining({ applicationIdentifier: 'APPA', etk: company.appA.etk.toString('base64') })]);
  });

  it('answers 400 for unknown criteria and 404 when nothing matches, as problem documents', async () => {
    const token = await issuer.token();
    expectProblem(await get(`/etee/v1/etks?identifier=${person.ssin}&type=SSIN&value=1`, token), 400, 'BAD_QUERY');
    expectProblem(await get(`/etee/v1/etks?identifier=${person.ssin}&identifier=${person.ssin}&type=SSIN`, token), 400, 'BAD_QUERY');
    expectProblem(await get('/etee/v1/etks?type=SSIN', token), 400, 'BAD_QUERY');
    expectProblem(await get(`/etee/v1/etks?identifier=${person.ssin}&type=PASSPORT`, token), 400, 'UNKNOWN_IDENTIFIER_TYPE');
    expectProblem(await get('/etee/v1/etks?identifier=12345678901&type=SSIN', token), 400, 'INVALID_IDENTIFIER');
    const none = expectProblem(await get(`/etee/v1/etks?identifier=${testSsin(613)}&type=SSIN`, token), 404, 'ETK_NOT_FOUND');
    expect(none.detail).toBe('There exists no ETK matching your search criteria');
    expectProblem(await get(`/etee/v1/etks?identifier=${company.cbe}&type=CBE&applicationIdentifier=NOPE`, token), 404, 'ETK_NOT_FOUND');
  });
});

describe('ETEE REST: GET /etee/v1/pubKeys/cacerts/jwks', () => {
  it('publishes the ETK encryption key (use=enc) and the authentication key (use=sig) with their certificate chains', async () => {
    const token = await issuer.token();
    const etk = parseEtk(person.registration.etk);
    const enc = (await get(`/etee/v1/pubKeys/cacerts/jwks?identifier=${person.ssin}&type=SSIN&use=enc`, token)).json();
    expect(enc.keys).toHaveLength(1);
    const [encKey] = enc.keys as Array<JWK & { x5c: string[]; kid: string; 'x5t#S256': string }>;
    expect(encKey).toMatchObject({ kty: 'RSA', use: 'enc' });
    expect(encKey).not.toHaveProperty('d');
    expect(encKey.x5c.map((b64) => Buffer.from(b64, 'base64'))).toEqual([etk.encryptionCertificate, etk.authenticationCertificate, ...etk.chain]);
    // The key is the encryption certificate's, its kid the RFC 7638 thumbprint, its x5t#S256 the certificate's hash.
    const encPublic = createPublicKey({ key: encKey as never, format: 'jwk' });
    expect(encPublic.equals(parseCertificate(etk.encryptionCertificate).publicKey)).toBe(true);
    expect(encPublic.equals(createPublicKey(person.registration.encryptionKey))).toBe(true);
    expect(encKey.kid).toBe(await calculateJwkThumbprint({ kty: 'RSA', n: encKey.n!, e: encKey.e! }, 'sha256'));
    expect(encKey['x5t#S256']).toBe(createHash('sha256').update(etk.encryptionCertificate).digest('base64url'));

    const sig = (await get(`/etee/v1/pubKeys/cacerts/jwks?identifier=${person.ssin}&type=SSIN&use=sig`, token)).json();
    expect(sig.keys).toHaveLength(1);
    expect(sig.keys[0].use).toBe('sig');
    expect(createPublicKey({ key: sig.keys[0], format: 'jwk' }).equals(createPublicKey(person.holder.key))).toBe(true);
    expect(sig.keys[0].x5c[0]).toBe(person.holder.certificate.toString('base64'));

    const both = (await get(`/etee/v1/pubKeys/cacerts/jwks?identifier=${person.ssin}&type=SSIN`, token)).json();
    expect(both.keys.map((key: { use: string }) => key.use)).toEqual(['enc', 'sig']);
    expectProblem(await get(`/etee/v1/pubKeys/cacerts/jwks?identifier=${person.ssin}&type=SSIN&use=tls`, token), 400, 'BAD_QUERY');
    expectProblem(await get(`/etee/v1/pubKeys/cacerts/jwks?identifier=${testSsin(613)}&type=SSIN&use=enc`, token), 404, 'ETK_NOT_FOUND');
  });

  it('stops publishing a revoked ETK at once', async () => {
    const ssin = testSsin(614);
    const holder = await mintHolder(t, { type: 'SSIN', id: ssin, name: 'Revoked Reader' });
    await register(t, holder);
    const token = await issuer.token();
    expect((await get(`/etee/v1/pubKeys/cacerts/jwks?identifier=${ssin}&type=SSIN&use=enc`, token)).statusCode).toBe(200);
    await revokeHolder(t, holder);
    expectProblem(await get(`/etee/v1/pubKeys/cacerts/jwks?identifier=${ssin}&type=SSIN&use=enc`, token), 404, 'ETK_NOT_FOUND');
    expectProblem(await get(`/etee/v1/etks?identifier=${ssin}&type=SSIN`, token), 404, 'ETK_NOT_FOUND');
  });
});

describe('ETEE REST: bearer tokens (OAUTH_ISSUER, OAUTH_AUDIENCE; ETEE_REST_ANONYMOUS=false)', () => {
  const paths = () => [
    `/etee/v1/etks?identifier=${person.ssin}&type=SSIN`,
    `/etee/v1/pubKeys/cacerts/jwks?identifier=${person.ssin}&type=SSIN&use=enc`,
    `/etkdepot/v1/etks?type=SSIN&value=${person.ssin}`,
  ];

  it('refuses a request without a token with 401 and a Bearer challenge, before looking anything up', async () => {
    const before = await etkState(t.database.db);
    for (const path of paths()) {
      const response = await get(path);
      const body = expectProblem(response, 401, 'AUTHENTICATION_REQUIRED');
      expect(response.headers['www-authenticate']).toBe('Bearer realm="eHealth ETEE"');
      expect(body.detail).toMatch(/Bearer/u);
      expect(response.body).not.toContain(person.registration.etk.toString('base64').slice(0, 40));
    }
    expect(await etkState(t.database.db)).toEqual(before);
  });

  it('refuses expired, foreign, unsigned, wrongly addressed and tampered tokens with 401 invalid_token', async () => {
    const stranger = await generateKeyPair('RS256');
    const valid = await issuer.token();
    const [header, payload] = valid.split('.');
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: 'someone-else' })).toString('base64url')}.${valid.split('.')[2]}`;
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${payload}.`;
    const cases: Array<[string, string]> = [
      ['expired', await issuer.token({}, { expiresIn: '-10m' })],
      ['another issuer', await issuer.token({}, { issuer: 'http://127.0.0.1/realms/Other' })],
      ['another audience', await issuer.token({ aud: 'someone-else' })],
      ['signed by a stranger under a known kid', await issuer.token({}, { key: stranger })],
      ['signed under an unknown kid', await issuer.token({}, { kid: 'unknown', key: stranger })],
      ['tampered', tampered],
      ['alg none', unsigned],
      ['not a JWT', 'not-a-token'],
    ];
    for (const [what, token] of cases) {
      const response = await get(paths()[0]!, token);
      expect({ what, status: response.statusCode }).toEqual({ what, status: 401 });
      expect(response.json().code).toBe('INVALID_TOKEN');
      expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="eHealth ETEE", error="invalid_token", error_description="[^"]+"$/u);
      expect(response.body).not.toContain(token.slice(-20));
    }
    const basic = await t.app.inject({ method: 'GET', url: paths()[0]!, headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(basic.statusCode).toBe(401);
  });

  it('follows a key rotation of the issuer, and answers 503 (not 401) while the issuer cannot be reached', async () => {
    issuer.keys.set('k2', await generateKeyPair('RS256', { extractable: true }));
    const fetches = issuer.fetches;
    expect((await get(paths()[0]!, await issuer.token({}, { kid: 'k2' }))).statusCode).toBe(200);
    expect(issuer.fetches).toBeGreaterThan(fetches);
    // Down, with a kid it has not seen: the keys cannot be fetched, so the token is not judged.
    issuer.up = false;
    try {
      issuer.keys.set('k3', await generateKeyPair('RS256', { extractable: true }));
      expectProblem(await get(paths()[0]!, await issuer.token({}, { kid: 'k3' })), 503, 'TOKEN_ISSUER_UNAVAILABLE');
      // Tokens of keys already known still work while the issuer is down.
      expect((await get(paths()[0]!, await issuer.token())).statusCode).toBe(200);
    } finally {
      issuer.up = true;
    }
    expect((await get(paths()[0]!, await issuer.token({}, { kid: 'k3' }))).statusCode).toBe(200);
  });

  it('serves the older /etkdepot/v1/etks to the same tokens', async () => {
    const response = await get(paths()[2]!, await issuer.token());
    expect(response.statusCode).toBe(200);
    expect(response.json().etk).toBe(person.registration.etk.toString('base64'));
  });
});

describe('ETEE REST: anonymous mode and documents', () => {
  it('serves requests without a token when anonymous access is on (the acceptance default), and still refuses a bad token', async () => {
    const open = await startTestPlatform();
    try {
      const ssin = testSsin(615);
      const registration = await register(open, await mintHolder(open, { type: 'SSIN', id: ssin, name: 'Open Reader' }));
      const response = await open.app.inject({ method: 'GET', url: `/etee/v1/etks?identifier=${ssin}&type=SSIN` });
      expect(response.statusCode).toBe(200);
      expect(response.json()[0].etk).toBe(registration.etk.toString('base64'));
      const bad = await open.app.inject({ method: 'GET', url: `/etee/v1/etks?identifier=${ssin}&type=SSIN`, headers: { authorization: 'Bearer abc.def.ghi' } });
      expect(bad.statusCode).toBe(401);
      expect(bad.json().detail).toMatch(/no token issuer is configured/u);
    } finally {
      await open.close();
    }
  });

  it('serves its OpenAPI document', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/etee/v1/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(Object.keys(document.paths)).toEqual(['/etee/v1/etks', '/etee/v1/pubKeys/cacerts/jwks']);
    expect(document.paths['/etee/v1/etks'].get.operationId).toBe('getEtks');
  });
});
