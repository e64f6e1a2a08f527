import { problemDocumentSchema, problemResponse, REST_PROBLEM_CODES } from '../problem.js';

/** OpenAPI 3.0 description of the ETEE REST API, served at /etee/v1/openapi.json. */

const criteria = [
  { name: 'identifier', in: 'query', required: true, schema: { type: 'string' }, description: 'Identifier of the ETK owner', example: '85073003328' },
  {
    name: 'type',
    in: 'query',
    required: true,
    schema: { type: 'string' },
    description: 'Type of identifier, any case (ssin, cbe, nihii, nihii-hospital, ehp, …)',
    example: 'ssin',
  },
  {
    name: 'applicationIdentifier',
    in: 'query',
    required: false,
    schema: { type: 'string' },
    description: 'The application id of the key; without it, every ETK of the identifier is answered',
  },
] as const;

const commonResponses = {
  '400': problemResponse('Unknown search criteria: an unknown parameter or identifier type, an invalid identifier, a parameter given twice'),
  '401': {
    ...problemResponse('No valid bearer token, and anonymous requests are refused (code AUTHENTICATION_REQUIRED or INVALID_TOKEN)'),
    headers: { 'WWW-Authenticate': { description: 'RFC 6750 Bearer challenge', schema: { type: 'string' } } },
  },
  '404': problemResponse('There exists no ETK matching your search criteria'),
  '500': problemResponse('Internal error'),
  '503': problemResponse("The token issuer's keys cannot be fetched now (TOKEN_ISSUER_UNAVAILABLE)"),
};

export const ETEE_OPENAPI = {
  openapi: '3.0.3',
  info: {
    title: 'API ETEE',
    version: '1.0.0',
    description:
      "Encryption tokens (ETK) and their public keys, shaped as the eHealth platform's ETEE REST API (basePath /etee/v1). " +
      'Only active, unrevoked, valid ETKs are answered; revocations take effect at once. Values are normalised as the eHealth ' +
      'connector does. Requests carry an OAuth2 access token (JWT of the configured issuer) unless the server serves anonymous requests.',
  },
  servers: [{ url: '/' }],
  security: [{ OAuth2: [] }, {}],
  paths: {
    '/etee/v1/etks': {
      get: {
        operationId: 'getEtks',
        tags: ['Encryption Token Registry'],
        summary: 'Gets an etks list by owner identifier, type and application identifier',
        parameters: criteria,
        responses: {
          '200': {
            description: 'The ETKs of the owner',
            content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/Etk' } } } },
          },
          ...commonResponses,
        },
      },
    },
    '/etee/v1/pubKeys/cacerts/jwks': {
      get: {
        operationId: 'getJwks',
        tags: ['Encryption Token Registry'],
        summary: "The owner's public keys as a JWK set, with their certificate chains",
        parameters: [
          ...criteria,
          {
            name: 'use',
            in: 'query',
            required: false,
            schema: { type: 'string', enum: ['enc', 'sig'] },
            description: 'Use of the JWKS (RFC 7517 §4.2): enc, the ETK encryption keys; sig, the authentication (signing) keys; absent, both',
          },
        ],
        responses: {
          '200': { description: 'RFC 7517 JWK set', content: { 'application/json': { schema: { $ref: '#/components/schemas/JwkSet' } } } },
          ...commonResponses,
        },
      },
    },
  },
  components: {
    securitySchemes: {
      OAuth2: {
        type: 'oauth2',
        description: "Client credentials of the configured issuer (OAUTH_ISSUER); the token endpoint is the issuer's",
        flows: { clientCredentials: { tokenUrl: '/', scopes: {} } },
      },
    },
    schemas: {
      Etk: {
        type: 'object',
        required: ['type', 'identifier', 'etk', 'notBefore', 'notAfter'],
        properties: {
          type: { type: 'string', example: 'SSIN' },
          identifier: { type: 'string', example: '85073003328' },
          applicationIdentifier: { type: 'string', description: 'Present only for ETKs of an application certificate' },
          etk: { type: 'string', format: 'byte', description: 'base64 of the DER ETK (CMS SignedData)' },
          notBefore: { type: 'string', format: 'date-time' },
          notAfter: { type: 'string', format: 'date-time' },
        },
      },
      JwkSet: {
        type: 'object',
        required: ['keys'],
        properties: {
          keys: {
            type: 'array',
            items: {
              type: 'object',
              required: ['kty', 'kid', 'use', 'x5c', 'x5t#S256'],
              properties: {
                kty: { type: 'string', enum: ['RSA', 'EC'] },
                kid: { type: 'string', description: 'RFC 7638 SHA-256 thumbprint of the key' },
                use: { type: 'string', enum: ['enc', 'sig'] },
                n: { type: 'string' },
                e: { type: 'string' },
                crv: { type: 'string' },
                x: { type: 'string' },
                y: { type: 'string' },
                x5c: {
                  type: 'array',
                  items: { type: 'string', format: 'byte' },
                  description:
                    'The certificate holding the key, then its issuers: for enc, the ETK encryption certificate, the authentication certificate and its CA chain',
                },
                'x5t#S256': { type: 'string' },
              },
            },
          },
        },
      },
      Problem: problemDocumentSchema(REST_PROBLEM_CODES),
    },
  },
} as const;
