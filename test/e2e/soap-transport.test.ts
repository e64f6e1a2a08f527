import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseXmlStrict, descendantsNamed, textOf } from '../../src/xml/parse.js';
import { NS } from '../../src/soap/namespaces.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { tableCounts } from '../support/test-database.js';
import { expectValidAgainstBothSchemaSets } from '../support/schemas.js';

const ENDPOINTS = ['/CertRa/v2', '/EtkRa/v2', '/EtkDepot/v1'];

function faultOf(body: string): { faultcode: string; code: string; message: string } {
  const document = parseXmlStrict(body);
  const fault = descendantsNamed(document, NS.soap11, 'Fault')[0];
  if (!fault) throw new Error(`not a fault: ${body}`);
  const systemError = descendantsNamed(fault, NS.soaErrors, 'SystemError')[0]!;
  return {
    faultcode: textOf(descendantsNamed(fault, null, 'faultcode')[0]!),
    code: textOf(descendantsNamed(systemError, null, 'Code')[0]!),
    message: textOf(descendantsNamed(systemError, null, 'Message')[0]!),
  };
}

describe('SOAP transport', () => {
  let t: TestPlatform;
  let baseUrl: string;
  beforeAll(async () => {
    t = await startTestPlatform();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await t.close();
  });

  describe.each(ENDPOINTS)('%s?wsdl', (path) => {
    it('serves the WSDL with absolute schema locations that all answer, and schemas that compile', async () => {
      const response = await fetch(`${baseUrl}${path}?wsdl`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/xml');
      const wsdl = await response.text();
      expect(wsdl).toContain(`location="${baseUrl}${path}"`);
      const locations = [...wsdl.matchAll(/schemaLocation="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
      expect(locations.length).toBeGreaterThan(0);
      const seen = new Set<string>();
      const queue = [...locations];
      while (queue.length > 0) {
        const url = queue.shift()!;
        if (seen.has(url)) continue;
        seen.add(url);
        expect(url.startsWith(`${baseUrl}${path}?xsd=`)).toBe(true);
        const xsd = await fetch(url);
        expect(xsd.status).toBe(200);
        const text = await xsd.text();
        for (const m of text.matchAll(/schemaLocation="([^"]+)"/g)) queue.push(m[1]!.replace(/&amp;/g, '&'));
      }
      // xmllint fetches every import over HTTP from us; exit code 5 means a schema did not compile.
      const directory = mkdtempSync(join(tmpdir(), 'xsd-'));
      try {
        writeFileSync(join(directory, 'empty.xml'), '<probe/>');
        for (const url of seen) {
          let status = 0;
          let output = '';
          // Asynchronous on purpose: xmllint downloads the imports from this very process.
          try {
            await promisify(execFile)('xmllint', ['--noout', '--schema', url, join(directory, 'empty.xml')]);
          } catch (error) {
            status = (error as { code: number }).code;
            output = String((error as { stderr: string }).stderr);
          }
          expect({ url, compiled: status !== 5, output: status === 5 ? output : '' }).toEqual({ url, compiled: true, output: '' });
        }
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    });
  });

  it('does not serve files outside xsd/', async () => {
    const response = await fetch(`${baseUrl}/CertRa/v2?xsd=${encodeURIComponent('../package.json')}`);
    expect(response.status).toBe(404);
  });

  // Every row has four entries: jest treats a test function with more parameters than the row as async-callback style.
  const badRequests: Array<[string, string, string, Record<string, string>]> = [
    ['malformed XML', '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>', 'MALFORMED_REQUEST', {}],
    [
      'a DOCTYPE',
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>&e;</soapenv:Body></soapenv:Envelope>',
      'DTD_FORBIDDEN',
      {},
    ],
    [
      'a processing instruction',
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><?evil x?><soapenv:Body><a/></soapenv:Body></soapenv:Envelope>',
      'DTD_FORBIDDEN',
      {},
    ],
    [
      'two Body children',
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><a xmlns="urn:x"/><b xmlns="urn:x"/></soapenv:Body></soapenv:Envelope>',
      'MALFORMED_REQUEST',
      {},
    ],
    [
      'two Bodies',
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><a xmlns="urn:x"/></soapenv:Body><soapenv:Body><a xmlns="urn:x"/></soapenv:Body></soapenv:Envelope>',
      'MALFORMED_REQUEST',
      {},
    ],
    [
      'a Body hidden in the Header',
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header><w xmlns="urn:x"><soapenv:Body><a xmlns="urn:x"/></soapenv:Body></w></soapenv:Header><soapenv:Body><a xmlns="urn:x"/></soapenv:Body></soapenv:Envelope>',
      'MALFORMED_REQUEST',
      {},
    ],
    [
      'an empty Body',
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body/></soapenv:Envelope>',
      'MALFORMED_REQUEST',
      {},
    ],
    [
      'an unknown operation',
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><x:Nope xmlns:x="urn:unknown"/></soapenv:Body></soapenv:Envelope>',
      'UNKNOWN_OPERATION',
      {},
    ],
    ['a root that is not an Envelope', '<a/>', 'MALFORMED_REQUEST', {}],
    [
      'a SOAP 1.2 envelope',
      '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><a xmlns="urn:x"/></e:Body></e:Envelope>',
      'VERSION_MISMATCH',
      {},
    ],
    [
      'a mustUnderstand header nobody understands',
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header><h:X xmlns:h="urn:h" soapenv:mustUnderstand="1"/></soapenv:Header><soapenv:Body><p:GetEtkRequest xmlns:p="urn:be:fgov:ehealth:etkdepot:1_0:protocol"/></soapenv:Body></soapenv:Envelope>',
      'MUST_UNDERSTAND',
      {},
    ],
    [
      'an oversized body',
      `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><a xmlns="urn:x">${'x'.repeat(1024 * 1024 + 10)}</a></soapenv:Body></soapenv:Envelope>`,
      'PAYLOAD_TOO_LARGE',
      {},
    ],
    ['a JSON content type', '{"a":1}', 'UNSUPPORTED_MEDIA_TYPE', { 'content-type': 'application/json' }],
    // fastify's JSON parser used to fail first: an INTERNAL_ERROR Server fault.
    [
      'a JSON content type on a body that is not JSON',
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><a xmlns="urn:x"/></soapenv:Body></soapenv:Envelope>',
      'UNSUPPORTED_MEDIA_TYPE',
      { 'content-type': 'application/json' },
    ],
    ['an empty JSON body', '', 'UNSUPPORTED_MEDIA_TYPE', { 'content-type': 'application/json' }],
    ['a form body', 'a=b', 'UNSUPPORTED_MEDIA_TYPE', { 'content-type': 'application/x-www-form-urlencoded' }],
  ];

  describe.each(ENDPOINTS)('%s refuses bad input with a SOAP 1.1 fault and changes nothing', (path) => {
    it.each(badRequests)('%s', async (_name, body, expectedCode, headers) => {
      const before = await tableCounts(t.database.db);
      const response = await t.soap(path, body, headers);
      expect(response.status).toBe(500);
      expect(response.contentType).toContain('text/xml');
      const fault = faultOf(response.body);
      expect(fault.code).toBe(expectedCode);
      const expectedFaultCode = { VERSION_MISMATCH: 'soapenv:VersionMismatch', MUST_UNDERSTAND: 'soapenv:MustUnderstand' }[expectedCode] ?? 'soapenv:Client';
      expect(fault.faultcode).toBe(expectedFaultCode);
      expect(response.body).not.toMatch(/\bat .*\.(ts|js):\d+/);
      expectValidAgainstBothSchemaSets(response.body);
      expect(await tableCounts(t.database.db)).toEqual(before);
    });
  });

  it('names the unknown element in the fault', async () => {
    const response = await t.soap(
      '/EtkDepot/v1',
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><x:Nope xmlns:x="urn:unknown"/></soapenv:Body></soapenv:Envelope>',
    );
    expect(faultOf(response.body).message).toContain('{urn:unknown}Nope');
  });

  it('counts calls by operation and outcome on /metrics', async () => {
    await t.soap('/EtkDepot/v1', '<a/>');
    const response = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toMatch(/ehealth_soap_calls_total\{service="\/EtkDepot\/v1",operation="unknown",outcome="fault",code="MALFORMED_REQUEST"\} [1-9]/);
    expect(response.body).toContain('ehealth_soap_call_duration_seconds_bucket');
  });

  it('answers the health probe', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
    // The development hierarchy's keys are files, decrypted at start: nothing to probe, nothing to leak.
    expect(response.json()).toEqual({
      status: 'ok',
      database: 'ok',
      keys: {
        'root CA': { custody: 'file', status: 'ok' },
        'issuing CA': { custody: 'file', status: 'ok' },
        'ETK-RA signer': { custody: 'file', status: 'ok' },
        'test citizen CA': { custody: 'file', status: 'ok' },
        'OCSP responder (issuing CA)': { custody: 'file', status: 'ok' },
        'OCSP responder (root)': { custody: 'file', status: 'ok' },
        'trusted-list signer': { custody: 'file', status: 'ok' },
        'audit checkpoint key': { custody: 'file', status: 'ok' },
        'KGSS authentication': { custody: 'file', status: 'ok' },
        'KGSS encryption (its ETK)': { custody: 'file', status: 'ok' },
        'KGSS key-encryption key': { custody: 'file', status: 'ok' },
      },
    });
  });
});
