import Fastify, { type FastifyInstance } from 'fastify';
import { loadConfig } from '../config/config.js';
import { ServiceError } from '../domain/errors.js';
import { createMetrics } from '../metrics.js';
import { projectPaths } from '../project-paths.js';
import { GET_ETK_FAST_LANE } from '../frontend/etkdepot/get-etk.js';
import { viewRequiredChild } from '../xml/element-view.js';
import type { ElementView } from '../xml/element-view-interface.js';
import { childElements, textOf } from '../xml/parse.js';
import { ContractDocuments } from './contract-documents.js';
import { NS } from './namespaces.js';
import { compileEnvelopeValidator } from './request-validator.js';
import type { SoapCall, SoapOperation, SoapService } from './service.js';
import { soapRoutes } from './soap-routes.js';

const DEP = NS.etkdepotProtocolV1;

/** What the test operation saw of each call. */
interface Seen {
  readRequestCalls: number;
  validatedRequest: unknown;
  typeFromEnvelope: string;
}

function getEtkRequest(type: string, header = ''): string {
  return (
    `<soapenv:Envelope xmlns:soapenv="${NS.soap11}">${header}<soapenv:Body>` +
    `<p:GetEtkRequest xmlns:p="${DEP}"><p:SearchCriteria><p:Identifier><p:Type>${type}</p:Type><p:Value>50010100156</p:Value></p:Identifier></p:SearchCriteria></p:GetEtkRequest>` +
    '</soapenv:Body></soapenv:Envelope>'
  );
}

/** The transport with the real schemas and one GetEtk-shaped operation whose fast-lane reader can be made to fail. */
async function transport(
  options: { readerThrows?: boolean; withReader?: boolean; env?: Record<string, string> } = {},
): Promise<{ app: FastifyInstance; seen: Seen[] }> {
  const seen: Seen[] = [];
  let readRequestCalls = 0;
  const app = Fastify();
  await app.register(async (scope) =>
    soapRoutes(scope, {
      services: [
        {
          path: '/Test/v1',
          wsdlFile: 'etkdepot-v1.wsdl',
          operations: [
            {
              name: 'GetEtk',
              requestElement: { namespace: DEP, localName: 'GetEtkRequest' },
              fastLane:
                options.withReader === false
                  ? undefined
                  : {
                      shape: GET_ETK_FAST_LANE.shape,
                      read(payload: ElementView) {
                        readRequestCalls++;
                        if (options.readerThrows) throw new Error('reader refuses');
                        return {
                          type: viewRequiredChild(viewRequiredChild(viewRequiredChild(payload, DEP, 'SearchCriteria'), DEP, 'Identifier'), DEP, 'Type').text(),
                        };
                      },
                    },
              async handle(call: SoapCall) {
                const identifier = childElements(childElements(call.envelope.payload)[0]!)[0]!;
                seen.push({ readRequestCalls, validatedRequest: call.validatedRequest, typeFromEnvelope: textOf(childElements(identifier)[0]!) });
                return `<r:Done xmlns:r="urn:test"/>`;
              },
            },
          ],
        },
      ],
      documents: new ContractDocuments(projectPaths.wsdl(), projectPaths.xsd()),
      requestValidator: compileEnvelopeValidator(projectPaths.xsd()),
      config: loadConfig({ LOG_LEVEL: 'silent', ...options.env }),
      metrics: createMetrics({ collectProcessMetrics: false }),
    }),
  );
  return { app, seen };
}

async function post(app: FastifyInstance, body: string, contentType: string | null = 'text/xml; charset=utf-8'): Promise<{ status: number; body: string }> {
  const response = await app.inject({
    method: 'POST',
    url: '/Test/v1',
    headers: contentType === null ? {} : { 'content-type': contentType },
    payload: body,
  });
  return { status: response.statusCode, body: response.body };
}

describe('SOAP transport fast lane (header-less requests read from a light element tree)', () => {
  it('hands a header-less request to the operation as validatedRequest, and still parses the envelope on demand', async () => {
    const { app, seen } = await transport();
    expect((await post(app, getEtkRequest('SSIN'))).status).toBe(200);
    expect(seen).toEqual([{ readRequestCalls: 1, validatedRequest: { type: 'SSIN' }, typeFromEnvelope: 'SSIN' }]);
  });

  it('resolves character and entity references in the light tree as the DOM does', async () => {
    const { app, seen } = await transport();
    expect((await post(app, getEtkRequest('&#x53;S&#73;N&amp;&lt;x&gt;'))).status).toBe(200);
    expect(seen).toEqual([{ readRequestCalls: 1, validatedRequest: { type: 'SSIN&<x>' }, typeFromEnvelope: 'SSIN&<x>' }]);
  });

  it('takes the ordinary path when the envelope has a Header entry', async () => {
    const { app, seen } = await transport();
    expect((await post(app, getEtkRequest('NIHII', '<soapenv:Header><x:Trace xmlns:x="urn:x">1</x:Trace></soapenv:Header>'))).status).toBe(200);
    expect(seen).toEqual([{ readRequestCalls: 0, validatedRequest: undefined, typeFromEnvelope: 'NIHII' }]);
  });

  it.each([
    ['an attribute on the payload', getEtkRequest('SSIN').replace('<p:GetEtkRequest ', '<p:GetEtkRequest Id="x" ')],
    [
      'xsi:type on a text element',
      getEtkRequest('SSIN').replace(
        '<p:Type>',
        '<p:Type xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string" xmlns:xs="http://www.w3.org/2001/XMLSchema">',
      ),
    ],
    ['CDATA between elements', getEtkRequest('SSIN').replace('<p:Identifier>', '<p:Identifier><![CDATA[ ]]>')],
    ['an XML declaration naming another encoding', `<?xml version="1.0" encoding="ISO-8859-1"?>${getEtkRequest('SSIN')}`],
    ['an XML 1.1 declaration', `<?xml version="1.1"?>${getEtkRequest('SSIN')}`],
  ])('takes the ordinary path (XSD validation) for %s', async (_what, body) => {
    const { app, seen } = await transport();
    await post(app, body);
    expect(seen.every((call) => call.readRequestCalls === 0)).toBe(true);
  });

  it('takes the fast lane with an empty Header (SAAJ clients), whitespace, comments, an XML declaration, a default namespace', async () => {
    const { app, seen } = await transport();
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Envelope xmlns="${NS.soap11}">\n  <!-- c --><Header> </Header><Body>\n<GetEtkRequest xmlns="${DEP}"> <SearchCriteria><Identifier><Type><![CDATA[SS]]>IN</Type><Value>50010100156</Value><ApplicationID/></Identifier></SearchCriteria></GetEtkRequest></Body></Envelope>`;
    expect((await post(app, body)).status).toBe(200);
    expect(seen).toEqual([{ readRequestCalls: 1, validatedRequest: { type: 'SSIN' }, typeFromEnvelope: 'SSIN' }]);
  });

  it('takes the ordinary path when the reader refuses, or when the operation has no reader', async () => {
    const refusing = await transport({ readerThrows: true });
    expect((await post(refusing.app, getEtkRequest('CBE'))).status).toBe(200);
    expect(refusing.seen).toEqual([{ readRequestCalls: 1, validatedRequest: undefined, typeFromEnvelope: 'CBE' }]);
    const readerless = await transport({ withReader: false });
    expect((await post(readerless.app, getEtkRequest('CBE'))).status).toBe(200);
    expect(readerless.seen).toEqual([{ readRequestCalls: 0, validatedRequest: undefined, typeFromEnvelope: 'CBE' }]);
  });

  it.each([
    ['a schema-invalid payload', getEtkRequest('SSIN').replace('<p:Value>', '<p:Unexpected/><p:Value>'), 'SCHEMA_INVALID'],
    ['a DOCTYPE (refused before any parser sees it)', `<!DOCTYPE x [<!ENTITY e "SSIN">]>${getEtkRequest('&e;')}`, 'DTD_FORBIDDEN'],
    ['a processing instruction', getEtkRequest('SSIN').replace('<soapenv:Body>', '<soapenv:Body><?pi x?>'), 'DTD_FORBIDDEN'],
    ['a SOAP 1.2 envelope', getEtkRequest('SSIN').replaceAll(NS.soap11, NS.soap12), 'VERSION_MISMATCH'],
    ['text beside the payload', getEtkRequest('SSIN').replace('</soapenv:Body>', 'text</soapenv:Body>'), 'MALFORMED_REQUEST'],
    [
      'a payload that is the root',
      getEtkRequest('SSIN')
        .replace(/^.*<soapenv:Body>/, '')
        .replace('</soapenv:Body></soapenv:Envelope>', ''),
      'MALFORMED_REQUEST',
    ],
    ['malformed XML', getEtkRequest('SSIN').replace('</p:Type>', '</p:Typo>'), 'MALFORMED_REQUEST'],
  ])('refuses %s with its usual fault, never reaching the operation', async (_what, body, code) => {
    const { app, seen } = await transport();
    const response = await post(app, body);
    expect(response.status).toBe(500);
    expect(response.body).toContain(`<Code>${code}</Code>`);
    expect(seen).toEqual([]);
  });

  it('refuses attributes and namespace declarations beyond the configured limits, on both lanes', async () => {
    const { app, seen } = await transport({ env: { XML_MAX_ATTRIBUTES_PER_ELEMENT: '300', XML_MAX_NAMESPACE_DECLARATIONS: '16' } });
    const attributes = (n: number): string => Array.from({ length: n }, (_, i) => ` a${i}="v"`).join('');
    const declarations = (n: number): string => Array.from({ length: n }, (_, i) => ` xmlns:q${i}="urn:q${i}"`).join('');
    // 300 attributes on a Header entry: beyond the default (256), within the configured limit.
    expect((await post(app, getEtkRequest('SSIN', `<soapenv:Header><x:T xmlns:x="urn:x"${attributes(299)}/></soapenv:Header>`))).status).toBe(200);
    for (const body of [
      getEtkRequest('SSIN', `<soapenv:Header><x:T xmlns:x="urn:x"${attributes(300)}/></soapenv:Header>`), // ordinary path
      getEtkRequest('SSIN').replace('<p:GetEtkRequest ', `<p:GetEtkRequest${attributes(300)} `), // the fast lane gives way
      getEtkRequest('SSIN', `<soapenv:Header><x:T xmlns:x="urn:x"${declarations(14)}/></soapenv:Header>`), // 17 declarations
    ]) {
      const response = await post(app, body);
      expect(response.status).toBe(500);
      expect(response.body).toContain('<Code>PAYLOAD_TOO_LARGE</Code>');
      expect(response.body).toMatch(/more than (300 attributes \(namespace declarations included\) on one element|16 namespace declarations in the document)/);
    }
    expect(seen).toHaveLength(1);
  });

  it('refuses XML nested deeper than XML_MAX_DEPTH with PAYLOAD_TOO_LARGE, as documented', async () => {
    const { app } = await transport({ env: { XML_MAX_DEPTH: '8' } });
    const response = await post(app, getEtkRequest('SSIN', `<soapenv:Header>${'<x:T xmlns:x="urn:x">'.repeat(7)}${'</x:T>'.repeat(7)}</soapenv:Header>`));
    expect(response.status).toBe(500);
    expect(response.body).toContain('<Code>PAYLOAD_TOO_LARGE</Code>');
    expect(response.body).toContain('XML nesting deeper than 8');
  });
});

describe('SOAP transport media types', () => {
  // Regression: fastify's own JSON parser ran before the transport, so a JSON body that did not parse was an
  // INTERNAL_ERROR Server fault. Every non-XML content type is refused as such, whatever its body.
  it.each([
    ['JSON that is not JSON', 'application/json', getEtkRequest('SSIN')],
    ['an empty JSON body', 'application/json', ''],
    ['well-formed JSON', 'application/json; charset=utf-8', '{"a":1}'],
    ['JSON beyond the body limit', 'application/json', `"${'x'.repeat(1_100_000)}"`],
    ['text/plain', 'text/plain', getEtkRequest('SSIN')],
    ['a form', 'application/x-www-form-urlencoded', 'a=b'],
    ['multipart', 'multipart/form-data; boundary=x', '--x--'],
    ['bytes', 'application/octet-stream', getEtkRequest('SSIN')],
    ['an unparsable content type', ';', getEtkRequest('SSIN')],
    ['no content type', null, getEtkRequest('SSIN')],
  ])('refuses %s with the Client fault UNSUPPORTED_MEDIA_TYPE, never reaching the operation', async (_what, contentType, body) => {
    const { app, seen } = await transport();
    const response = await post(app, body, contentType);
    expect(response.status).toBe(500);
    expect(response.body).toContain('<faultcode>soapenv:Client</faultcode>');
    expect(response.body).toContain('<Code>UNSUPPORTED_MEDIA_TYPE</Code>');
    expect(response.body).toContain('<faultstring>SOAP 1.1 requests must be sent as text/xml</faultstring>');
    expect(seen).toEqual([]);
  });

  it.each(['text/xml', 'text/xml; charset=utf-8', 'application/soap+xml', 'application/xml'])('reads a request sent as %s', async (contentType) => {
    const { app, seen } = await transport();
    expect((await post(app, getEtkRequest('SSIN'), contentType)).status).toBe(200);
    expect(seen).toHaveLength(1);
  });
});

describe('SOAP transport answers', () => {
  /** The transport with one GetEtk-shaped operation (no fast lane) whose handler and refusal rendering are given. */
  async function answering(operation: Pick<SoapOperation, 'handle' | 'businessError'>): Promise<{ app: FastifyInstance; calls: () => Promise<string> }> {
    const metrics = createMetrics({ collectProcessMetrics: false });
    const app = Fastify();
    await app.register(async (scope) =>
      soapRoutes(scope, {
        services: [
          {
            path: '/Test/v1',
            wsdlFile: 'etkdepot-v1.wsdl',
            operations: [{ name: 'GetEtk', requestElement: { namespace: DEP, localName: 'GetEtkRequest' }, ...operation }],
          },
        ],
        documents: new ContractDocuments(projectPaths.wsdl(), projectPaths.xsd()),
        requestValidator: compileEnvelopeValidator(projectPaths.xsd()),
        config: loadConfig({ LOG_LEVEL: 'silent' }),
        metrics,
      }),
    );
    const calls = async () =>
      (await metrics.registry.metrics())
        .split('\n')
        .filter((line) => line.startsWith('ehealth_soap_calls_total{'))
        .join('\n');
    return { app, calls };
  }

  it("answers a refusal in the operation's own response (HTTP 200), counted as refused", async () => {
    const { app, calls } = await answering({
      handle: () => {
        throw new ServiceError('NOT_AUTHORIZED');
      },
      businessError: (error) => `<r:Refused xmlns:r="urn:test">${error.code}</r:Refused>`,
    });
    const response = await post(app, getEtkRequest('SSIN'));
    expect(response).toEqual({ status: 200, body: expect.stringContaining('<r:Refused xmlns:r="urn:test">NOT_AUTHORIZED</r:Refused>') });
    expect(await calls()).toContain('operation="GetEtk",outcome="refused",code="NOT_AUTHORIZED"} 1');
  });

  it.each([
    ['of an operation without businessError', undefined],
    [
      'that cannot be rendered',
      () => {
        throw new Error('rendering failed');
      },
    ],
  ])('answers a refusal %s as INTERNAL_ERROR, counted as a fault', async (_what, businessError) => {
    const { app, calls } = await answering({
      handle: () => {
        throw new ServiceError('NOT_AUTHORIZED');
      },
      businessError,
    });
    const response = await post(app, getEtkRequest('SSIN'));
    expect(response.status).toBe(500);
    expect(response.body).toContain('<faultcode>soapenv:Server</faultcode><faultstring>Internal error</faultstring>');
    expect(response.body).toContain('<Code>INTERNAL_ERROR</Code>');
    expect(await calls()).toContain('operation="GetEtk",outcome="fault",code="INTERNAL_ERROR"} 1');
  });

  it('answers any other failure INTERNAL_ERROR, without its cause', async () => {
    const { app } = await answering({
      handle: async () => {
        throw new Error('database at 10.0.0.7 is down');
      },
    });
    const response = await post(app, getEtkRequest('SSIN'));
    expect(response.status).toBe(500);
    expect(response.body).toContain('<Code>INTERNAL_ERROR</Code>');
    expect(response.body).not.toContain('10.0.0.7');
  });
});

describe('SOAP transport types', () => {
  interface Read {
    readonly type: string;
  }
  interface Verified {
    readonly lane: 'fast' | 'ordinary';
  }

  /** An operation typed by what its fast lane reads and what its service verifies: its handler needs no cast. */
  function typedOperation(seen: Array<{ read: Read | undefined; security: Verified | undefined }>): SoapOperation<Read, Verified> {
    return {
      name: 'GetEtk',
      requestElement: { namespace: DEP, localName: 'GetEtkRequest' },
      fastLane: {
        shape: GET_ETK_FAST_LANE.shape,
        read: (payload) => ({
          type: viewRequiredChild(viewRequiredChild(viewRequiredChild(payload, DEP, 'SearchCriteria'), DEP, 'Identifier'), DEP, 'Type').text(),
        }),
      },
      handle(call) {
        const read: Read | undefined = call.validatedRequest;
        const security: Verified | undefined = call.security;
        seen.push({ read, security });
        return `<r:Done xmlns:r="urn:test"/>`;
      },
    };
  }

  it('hands the value verifyEnvelope returns (at once or as a promise) to the handler as call.security', async () => {
    const seen: Array<{ read: Read | undefined; security: Verified | undefined }> = [];
    const service: SoapService<Verified> = {
      path: '/Test/v1',
      wsdlFile: 'etkdepot-v1.wsdl',
      operations: [typedOperation(seen)],
      understoodHeaders: [{ namespace: 'urn:x', localName: 'Trace' }],
      verifyEnvelope: (call) => (call.validatedRequest !== undefined ? { lane: 'fast' } : Promise.resolve({ lane: 'ordinary' })),
    };
    const app = Fastify();
    await app.register(async (scope) =>
      soapRoutes(scope, {
        services: [service],
        documents: new ContractDocuments(projectPaths.wsdl(), projectPaths.xsd()),
        requestValidator: compileEnvelopeValidator(projectPaths.xsd()),
        config: loadConfig({ LOG_LEVEL: 'silent' }),
        metrics: createMetrics({ collectProcessMetrics: false }),
      }),
    );
    expect((await post(app, getEtkRequest('SSIN'))).status).toBe(200);
    expect((await post(app, getEtkRequest('CBE', '<soapenv:Header><x:Trace xmlns:x="urn:x">1</x:Trace></soapenv:Header>'))).status).toBe(200);
    expect(seen).toEqual([
      { read: { type: 'SSIN' }, security: { lane: 'fast' } },
      { read: undefined, security: { lane: 'ordinary' } },
    ]);
  });

  it('refuses, at compile time, an operation that expects another call.security than its service gives', () => {
    const service = (operation: SoapOperation<Read, { readonly other: true }>): SoapService<Verified> => ({
      path: '/Test/v1',
      wsdlFile: 'etkdepot-v1.wsdl',
      // @ts-expect-error the operation expects another call.security than this service's verifyEnvelope gives
      operations: [operation],
    });
    expect(typeof service).toBe('function');
  });
});
