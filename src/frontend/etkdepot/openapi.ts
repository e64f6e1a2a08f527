import { problemDocumentSchema, problemResponse, REST_PROBLEM_CODES } from '../problem.js';

/** OpenAPI 3.0 description of the ETKDepot REST API, served at /etkdepot/v1/openapi.json. */

const identifier = {
  type: 'object',
  required: ['type', 'value'],
  properties: {
    type: { type: 'string', example: 'SSIN' },
    value: { type: 'string', example: '85073003328' },
    applicationId: { type: 'string', description: 'Present only for ETKs of an application certificate' },
  },
} as const;

const problem = problemDocumentSchema(REST_PROBLEM_CODES);

export const ETKDEPOT_OPENAPI = {
  openapi: '3.0.3',
  info: {
    title: 'ETKDepot REST',
    version: '1.0.0',
    description:
      'Lookup of eHealth encryption tokens (ETK), the REST twin of the SOAP ETKDepot v1 GetEtk operation. Values are ' +
      'normalised as the eHealth connector does (left-padded with 0 to the length of the type, truncated when longer). ' +
      'Only active, unrevoked, valid ETKs are returned; revocations take effect at once. The older twin of the ETEE REST API ' +
      '(/etee/v1/openapi.json), with the same authentication: an OAuth2 bearer token of the configured issuer, or none when ' +
      'the server serves anonymous requests.',
  },
  paths: {
    '/etkdepot/v1/etks': {
      get: {
        operationId: 'getEtk',
        summary: 'Find the ETK of an identifier',
        parameters: [
          {
            name: 'type',
            in: 'query',
            required: true,
            schema: { type: 'string' },
            description: 'ETK identifier type: SSIN, CBE, EHP, NIHII, NIHII-HOSPITAL, …',
          },
          { name: 'value', in: 'query', required: true, schema: { type: 'string' } },
          { name: 'applicationId', in: 'query', required: false, schema: { type: 'string' }, description: 'Empty means absent' },
        ],
        responses: {
          '200': {
            description: 'The ETK (DER CMS SignedData)',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['identifier', 'etk', 'notBefore', 'notAfter'],
                  properties: {
                    identifier: { $ref: '#/components/schemas/Identifier' },
                    etk: { type: 'string', format: 'byte', description: 'base64 of the DER ETK' },
                    notBefore: { type: 'string', format: 'date-time' },
                    notAfter: { type: 'string', format: 'date-time' },
                  },
                },
              },
              'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
            },
          },
          '300': {
            description: 'Several ETKs (application ids) match and no applicationId was given: ask again with one of them',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['matchingEtks'],
                  properties: { matchingEtks: { type: 'array', items: { $ref: '#/components/schemas/Identifier' } } },
                },
              },
            },
          },
          '400': problemResponse('Missing parameter, unknown identifier type or invalid value'),
          '401': {
            ...problemResponse(
              'No valid bearer token and anonymous lookups are refused (AUTHENTICATION_REQUIRED, INVALID_TOKEN). Without a ' +
                'configured token issuer, every lookup is refused and the challenge names GetEtk on the SOAP endpoint /EtkDepot/v1 with a WS-Security X.509 signature.',
            ),
            headers: { 'WWW-Authenticate': { description: 'RFC 6750 Bearer challenge, or WS-Security on the SOAP endpoint', schema: { type: 'string' } } },
          },
          '503': problemResponse("The token issuer's keys cannot be fetched now (TOKEN_ISSUER_UNAVAILABLE)"),
          '404': problemResponse('No ETK for these criteria'),
          '500': problemResponse('Internal error'),
        },
      },
    },
  },
  components: { schemas: { Identifier: identifier, Problem: problem } },
} as const;
