import { parseEtk } from '../../src/ca/etk/index.js';
import { parseEhealthDn } from '../../src/identifiers/index.js';
import { etkRepository } from '../../src/storage/etk-repository.js';
import { parseCertificate } from '../../src/x509/certificate.js';
import { getEtk, mintHolder, register, testCbe, testNihii, testSsin, type Registration } from '../support/etk-client.js';
import { etkState } from '../support/etk-state.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

let t: TestPlatform;

/** The person, the organisations and the ETKs every test below looks up. */
const person = { ssin: testSsin(301), nihii11: `${testNihii(301)}004` };
const hospital = { nihii: testNihii(302) };
const company = { cbe: testCbe(303) }; // starts with 0: clients may drop it
let personEtk: Registration;
let hospitalEtk: Registration;
let companyEtks: Record<'PLAIN' | 'APPA' | 'APPB', Registration>;
let appsOnly: { cbe: string; etks: Record<'APPA' | 'APPB', Registration> };

beforeAll(async () => {
  t = await startTestPlatform();
  personEtk = await register(t, await mintHolder(t, { type: 'SSIN', id: person.ssin, name: 'Dr Jan Test' }));
  await t.database.db.transaction((tx) =>
    etkRepository.recordIdentifierAlias(tx, { type: 'NIHII', value: person.nihii11.slice(0, 8) }, { type: 'SSIN', value: person.ssin }),
  );
  hospitalEtk = await register(t, await mintHolder(t, { type: 'NIHII-HOSPITAL', id: hospital.nihii, name: 'Test Hospital' }));
  companyEtks = {
    PLAIN: await register(t, await mintHolder(t, { type: 'CBE', id: company.cbe, name: 'Test Company' })),
    APPA: await register(t, await mintHolder(t, { type: 'CBE', id: company.cbe, name: 'Test Company', applicationId: 'APPA' })),
    APPB: await register(t, await mintHolder(t, { type: 'CBE', id: company.cbe, name: 'Test Company', applicationId: 'APPB' })),
  };
  const appsCbe = testCbe(304);
  appsOnly = {
    cbe: appsCbe,
    etks: {
      APPA: await register(t, await mintHolder(t, { type: 'CBE', id: appsCbe, name: 'Apps Only', applicationId: 'APPA' })),
      APPB: await register(t, await mintHolder(t, { type: 'CBE', id: appsCbe, name: 'Apps Only', applicationId: 'APPB' })),
    },
  };
});
afterAll(async () => {
  await t.close();
});

describe('ETKDepot GetEtk over SOAP', () => {
  it('answers Status 200 with the ETK and echoes the search criteria', async () => {
    const result = await getEtk(t, [{ type: 'SSIN', value: person.ssin }]);
    expect({ http: result.httpStatus, code: result.code, etk: result.etk }).toEqual({ http: 200, code: '200', etk: personEtk.etk });
    expect(result.body).toMatch(
      /<dep:GivenSearchCriteria><dep:Identifier><dep:Type>SSIN<\/dep:Type><dep:Value>\d{11}<\/dep:Value><\/dep:Identifier><\/dep:GivenSearchCriteria>/,
    );
  });

  it('normalises values as the connector does: left-padded with 0', async () => {
    const result = await getEtk(t, [{ type: 'CBE', value: company.cbe.replace(/^0+/, '') }]);
    expect(result.etk).toEqual(companyEtks.PLAIN.etk);
  });

  it('normalises values as the connector does: truncated to the length of the type', async () => {
    const result = await getEtk(t, [{ type: 'NIHII-HOSPITAL', value: `${hospital.nihii}123` }]);
    expect(result.etk).toEqual(hospitalEtk.etk);
  });

  it("resolves a professional's NIHII to the SSIN ETK (the connector accepts an SSIN ETK for a NIHII query)", async () => {
    const result = await getEtk(t, [{ type: 'NIHII', value: person.nihii11 }]);
    expect(result.etk).toEqual(personEtk.etk);
    const authentication = parseCertificate(parseEtk(result.etk!).authenticationCertificate);
    expect(authentication.subjectDer).toEqual(parseCertificate(parseEtk(personEtk.etk).authenticationCertificate).subjectDer);
  });

  it('answers Status 404 (a normal response) when no ETK exists', async () => {
    const result = await getEtk(t, [{ type: 'SSIN', value: testSsin(900) }]);
    expect({ http: result.httpStatus, code: result.code, etk: result.etk, matching: result.matching }).toEqual({
      http: 200,
      code: '404',
      etk: undefined,
      matching: [],
    });
  });

  it.each([
    ['an unknown identifier type', 'PASSPORT', '12345678', 'UNKNOWN_IDENTIFIER_TYPE'],
    ['a value that is not digits', 'SSIN', 'ABCDEFGHIJK', 'INVALID_IDENTIFIER'],
    ['a wrong check digit', 'SSIN', `${person.ssin.slice(0, 9)}00`, 'INVALID_IDENTIFIER'],
    ['a type in the wrong case', 'ssin', person.ssin, 'UNKNOWN_IDENTIFIER_TYPE'],
  ])('answers Status 400 for %s', async (_name, type, value, code) => {
    const result = await getEtk(t, [{ type, value }]);
    expect({ http: result.httpStatus, code: result.code, etk: result.etk, errors: result.errors.map((e) => e.code) }).toEqual({
      http: 200,
      code: '400',
      etk: undefined,
      errors: [code],
    });
  });

  it('treats an empty ApplicationID element as absent', async () => {
    const result = await getEtk(t, [{ type: 'CBE', value: company.cbe, applicationId: null }]);
    expect(result.etk).toEqual(companyEtks.PLAIN.etk);
    expect(result.body).toContain('<dep:ApplicationID></dep:ApplicationID>');
  });

  it('returns the ETK of exactly the given application id, or 404', async () => {
    expect((await getEtk(t, [{ type: 'CBE', value: company.cbe, applicationId: 'APPB' }])).etk).toEqual(companyEtks.APPB.etk);
    expect((await getEtk(t, [{ type: 'CBE', value: company.cbe, applicationId: 'NOAPP' }])).code).toBe('404');
  });

  it("without ApplicationID, prefers the holder's ETK without application id", async () => {
    const result = await getEtk(t, [{ type: 'CBE', value: company.cbe }]);
    expect({ etk: result.etk, matching: result.matching }).toEqual({ etk: companyEtks.PLAIN.etk, matching: [] });
  });

  it('lists MatchingEtk entries when only application ETKs exist, and each re-query (connector-style) gets its ETK', async () => {
    const result = await getEtk(t, [{ type: 'CBE', value: appsOnly.cbe }]);
    expect({ code: result.code, etk: result.etk }).toEqual({ code: '200', etk: undefined });
    expect(result.matching).toEqual([
      { type: 'CBE', value: appsOnly.cbe, applicationId: 'APPA' },
      { type: 'CBE', value: appsOnly.cbe, applicationId: 'APPB' },
    ]);
    // KeyDepotServiceImpl: re-query with the first Identifier of each MatchingEtk; keep an ETK whose authentication
    // certificate DN parses to the same type and id.
    for (const match of result.matching) {
      const again = await getEtk(t, [match]);
      expect(again.code).toBe('200');
      const dn = parseEhealthDn(parseCertificate(parseEtk(again.etk!).authenticationCertificate).subjectDn);
      expect(dn).toMatchObject({ type: 'CBE', id: appsOnly.cbe, applicationId: match.applicationId });
      expect(again.etk).toEqual(appsOnly.etks[match.applicationId as 'APPA' | 'APPB'].etk);
    }
  });

  it('answers MatchingEtk for several identifiers designating different ETKs', async () => {
    const result = await getEtk(t, [
      { type: 'SSIN', value: person.ssin },
      { type: 'NIHII-HOSPITAL', value: hospital.nihii },
    ]);
    expect(result.matching).toEqual([
      { type: 'SSIN', value: person.ssin, applicationId: undefined },
      { type: 'NIHII-HOSPITAL', value: hospital.nihii, applicationId: undefined },
    ]);
  });

  it('changes nothing in the database', async () => {
    const before = await etkState(t.database.db);
    await getEtk(t, [{ type: 'SSIN', value: person.ssin }]);
    await getEtk(t, [{ type: 'SSIN', value: testSsin(901) }]);
    expect(await etkState(t.database.db)).toEqual(before);
  });
});

describe('ETKDepot REST', () => {
  const rest = (query: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url: `/etkdepot/v1/etks?${query}`, headers });

  it('answers JSON with the base64 ETK', async () => {
    const response = await rest(`type=SSIN&value=${person.ssin}`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('application/json');
    expect(response.headers['cache-control']).toBe('no-cache');
    const body = response.json();
    expect(body).toMatchObject({ identifier: { type: 'SSIN', value: person.ssin }, etk: personEtk.etk.toString('base64') });
    expect(body.identifier).not.toHaveProperty('applicationId');
  });

  it('answers the DER ETK to Accept: application/octet-stream', async () => {
    const response = await rest(`type=CBE&value=${company.cbe}&applicationId=APPA`, { accept: 'application/json;q=0.5, application/octet-stream' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/octet-stream');
    expect(response.rawPayload).toEqual(companyEtks.APPA.etk);
  });

  it('answers 300 with the matching identifiers when several ETKs match', async () => {
    const response = await rest(`type=CBE&value=${appsOnly.cbe}&applicationId=`);
    expect(response.statusCode).toBe(300);
    expect(response.json()).toEqual({
      matchingEtks: [
        { type: 'CBE', value: appsOnly.cbe, applicationId: 'APPA' },
        { type: 'CBE', value: appsOnly.cbe, applicationId: 'APPB' },
      ],
    });
  });

  it.each([
    ['no ETK', `type=SSIN&value=${testSsin(902)}`, 404, 'ETK_NOT_FOUND'],
    ['an unknown type', 'type=PASSPORT&value=1', 400, 'UNKNOWN_IDENTIFIER_TYPE'],
    ['an invalid value', 'type=SSIN&value=x', 400, 'INVALID_IDENTIFIER'],
    ['no value', 'type=SSIN', 400, 'BAD_QUERY'],
    ['a repeated parameter', `type=SSIN&value=${person.ssin}&value=${person.ssin}`, 400, 'BAD_QUERY'],
  ])('answers a problem document for %s', async (_name, query, status, code) => {
    const response = await rest(query);
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ status, code });
  });

  it('serves its OpenAPI document at a stable URL, describing the route it serves', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/etkdepot/v1/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.openapi).toBe('3.0.3');
    expect(Object.keys(document.paths)).toEqual(['/etkdepot/v1/etks']);
    expect(Object.keys(document.paths['/etkdepot/v1/etks'].get.responses)).toEqual(['200', '300', '400', '401', '404', '500', '503']);
  });
});

describe('ETKDepot never returns an expired ETK', () => {
  it('answers 404 once the ETK (the authentication certificate) has expired', async () => {
    const notAfter = parseEtk(personEtk.etk).notAfter;
    const now = t.clock.now();
    try {
      t.clock.set(new Date(notAfter.getTime() + 1000));
      expect((await getEtk(t, [{ type: 'SSIN', value: person.ssin }])).code).toBe('404');
      expect((await t.app.inject({ method: 'GET', url: `/etkdepot/v1/etks?type=SSIN&value=${person.ssin}` })).statusCode).toBe(404);
    } finally {
      t.clock.set(now);
    }
    expect((await getEtk(t, [{ type: 'SSIN', value: person.ssin }])).code).toBe('200');
  });
});

describe('ETKDepot internal errors', () => {
  it('answers Status 500 as a normal response (SOAP) and a 500 problem (REST) when the database fails', async () => {
    await t.database.db.query('ALTER TABLE etks RENAME TO etks_unavailable');
    try {
      const soap = await getEtk(t, [{ type: 'SSIN', value: testSsin(903) }]);
      expect({ http: soap.httpStatus, code: soap.code }).toEqual({ http: 200, code: '500' });
      const rest = await t.app.inject({ method: 'GET', url: `/etkdepot/v1/etks?type=SSIN&value=${testSsin(903)}` });
      expect(rest.statusCode).toBe(500);
      expect(rest.json()).toMatchObject({ code: 'INTERNAL_ERROR' });
    } finally {
      await t.database.db.query('ALTER TABLE etks_unavailable RENAME TO etks');
    }
  });
});
