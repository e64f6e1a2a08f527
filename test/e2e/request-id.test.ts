import { Writable } from 'node:stream';
import { createLogger } from '../../src/logging.js';
import { NS } from '../../src/soap/namespaces.js';
import { descendantsNamed, parseXmlStrict } from '../../src/xml/parse.js';
import { getEtkEnvelope, testSsin } from '../support/etk-client.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/u;
const NOT_XML = '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>';

/** The keys of every JSON object in `line`, in order, object by object: a key written twice shows up twice. */
function keysPerObject(line: string): string[][] {
  const objects: string[][] = [];
  const open: string[][] = [];
  let i = 0;
  const readString = (): string => {
    let text = '';
    for (i++; line[i] !== '"'; i++) {
      if (line[i] === '\\') i++;
      text += line[i];
    }
    i++;
    return text;
  };
  while (i < line.length) {
    const c = line[i];
    if (c === '"') {
      const text = readString();
      while (line[i] === ' ') i++;
      if (line[i] === ':' && open.length > 0) open[open.length - 1]!.push(text);
    } else {
      if (c === '{') open.push([]);
      else if (c === '}') objects.push(open.pop()!);
      i++;
    }
  }
  return objects;
}

/** Each key at most once in each object of the line. */
function duplicateKeys(line: string): string[] {
  return keysPerObject(line).flatMap((keys) => keys.filter((key, index) => keys.indexOf(key) !== index));
}

function systemErrorId(body: string): string | null {
  const systemError = descendantsNamed(parseXmlStrict(body), NS.soaErrors, 'SystemError')[0];
  if (!systemError) throw new Error(`no SystemError in ${body}`);
  return systemError.getAttribute('Id');
}

/**
 * Request ids: one per request, in the X-Request-Id of every answer, in every log line of the request (`requestId`),
 * as SystemError/@Id of SOAP faults and as `requestId` of REST problem documents. The log is the platform's own
 * (createLogger at info), captured as written.
 */
describe('request ids', () => {
  let t: TestPlatform;
  const lines: string[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    t = await startTestPlatform({ BODY_LIMIT_BYTES: '4096' }, { logger: createLogger('info', sink) });
  });
  afterAll(async () => {
    await t.close();
  });

  const logOf = (requestId: string) => lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.requestId === requestId);
  const post = (body: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/EtkDepot/v1', payload: body, headers: { 'content-type': 'text/xml; charset=utf-8', ...headers } });

  it("a fault's SystemError/@Id is the X-Request-Id of the answer and the requestId of the logged call", async () => {
    const response = await post(NOT_XML);
    expect(response.statusCode).toBe(500);
    const id = response.headers['x-request-id'];
    expect(id).toMatch(UUID);
    expect(systemErrorId(response.body)).toBe(id);
    expect(logOf(String(id))).toEqual([expect.objectContaining({ msg: 'soap call', outcome: 'fault', code: 'MALFORMED_REQUEST', endpoint: '/EtkDepot/v1' })]);
  });

  it('the same for a fault answered before dispatch (unsupported media type, body too large)', async () => {
    for (const [body, headers, code] of [
      ['<x/>', { 'content-type': 'text/plain' }, 'UNSUPPORTED_MEDIA_TYPE'],
      [`<x>${'a'.repeat(5000)}</x>`, {}, 'PAYLOAD_TOO_LARGE'],
    ] as const) {
      const response = await post(body, headers);
      expect(response.statusCode).toBe(500);
      const id = String(response.headers['x-request-id']);
      expect(id).toMatch(UUID);
      expect(systemErrorId(response.body)).toBe(id);
      expect(logOf(id)).toContainEqual(expect.objectContaining({ code }));
    }
  });

  it('keeps a well-formed incoming X-Request-Id, in the answer, the fault and the log', async () => {
    for (const incoming of ['proxy-7f3a.b_2:x', 'A', 'z'.repeat(128)]) {
      const response = await post(NOT_XML, { 'x-request-id': incoming });
      expect(response.headers['x-request-id']).toBe(incoming);
      expect(systemErrorId(response.body)).toBe(incoming);
      expect(logOf(incoming)).toEqual([expect.objectContaining({ msg: 'soap call', outcome: 'fault' })]);
    }
  });

  it('replaces a malformed incoming X-Request-Id by a fresh UUID, and neither echoes nor logs it', async () => {
    for (const incoming of ['has space', 'a'.repeat(129), 'x<script>', 'é', '']) {
      const before = lines.length;
      const response = await post(NOT_XML, { 'x-request-id': incoming });
      const id = String(response.headers['x-request-id']);
      expect(id).toMatch(UUID);
      expect(systemErrorId(response.body)).toBe(id);
      expect(logOf(id)).toHaveLength(1);
      if (incoming !== '') {
        expect(response.body).not.toContain(incoming);
        expect(lines.slice(before).join('\n')).not.toContain(JSON.stringify(incoming).slice(1, -1));
      }
    }
    // Two different fresh ids for two requests.
    const [a, b] = await Promise.all([post(NOT_XML), post(NOT_XML)]);
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
  });

  it('puts X-Request-Id on every answer: SOAP, WSDL, REST and its problems, health, metrics, 404', async () => {
    const answers = [
      await post(getEtkEnvelope([{ type: 'SSIN', value: testSsin(951) }])),
      await t.app.inject({ method: 'GET', url: '/EtkDepot/v1?wsdl' }),
      await t.app.inject({ method: 'GET', url: '/CertRa/v2?xsd=nothing.xsd' }),
      await t.app.inject({ method: 'GET', url: `/etkdepot/v1/etks?type=SSIN&value=${testSsin(951)}` }),
      await t.app.inject({ method: 'GET', url: '/etkdepot/v1/openapi.json' }),
      await t.app.inject({ method: 'GET', url: '/health' }),
      await t.app.inject({ method: 'GET', url: '/metrics' }),
      await t.app.inject({ method: 'GET', url: '/no/such/path' }),
      await t.app.inject({ method: 'POST', url: '/no/such/path', payload: 'x' }),
    ];
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 404, 404, 200, 200, 200, 404, 404]);
    for (const answer of answers) expect(answer.headers['x-request-id']).toMatch(UUID);
    expect(new Set(answers.map((a) => a.headers['x-request-id'])).size).toBe(answers.length);
    const problem = answers[3]!;
    expect(problem.headers['content-type']).toContain('application/problem+json');
    expect(problem.json()).toMatchObject({ status: 404, code: 'ETK_NOT_FOUND', requestId: problem.headers['x-request-id'] });
    const kept = await t.app.inject({ method: 'GET', url: '/etkdepot/v1/etks?type=SSIN', headers: { 'x-request-id': 'client-1' } });
    expect(kept.json()).toMatchObject({ status: 400, requestId: 'client-1' });
    expect(kept.headers['x-request-id']).toBe('client-1');
  });

  it('writes each key once per log line', async () => {
    await post(getEtkEnvelope([{ type: 'SSIN', value: testSsin(952) }]));
    await post(NOT_XML);
    const soapCalls = lines.filter((line) => line.includes('"msg":"soap call"'));
    expect(soapCalls.length).toBeGreaterThan(5);
    expect(JSON.parse(soapCalls[0]!)).toMatchObject({ service: 'ehealth-cert-platform' });
    expect(lines.length).toBeGreaterThan(soapCalls.length);
    for (const line of lines) expect({ line, duplicates: duplicateKeys(line) }).toEqual({ line, duplicates: [] });
    // The checker does see a duplicate as pino would write it.
    expect(duplicateKeys('{"level":30,"service":"a","x":{"service":"b"},"service":"c"}')).toEqual(['service']);
  });
});
