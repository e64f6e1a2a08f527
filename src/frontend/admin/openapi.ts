import { problemDocumentSchema, problemResponse } from '../problem.js';
import { ADMIN_API_PREFIX, ADMIN_ROUTES } from './api-routes.js';

const ADMIN_PROBLEM_CODES = [
  'BAD_REQUEST',
  'FORBIDDEN',
  'NOT_FOUND',
  'CERTIFICATE_NOT_FOUND',
  'DATA_NOT_FOUND',
  'NOT_REVOCABLE',
  'REQUEST_PENDING',
  'NOT_AUTHORIZED',
  'INVALID_REQUEST',
  'INVALID_IDENTIFIER',
  'TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'INTERNAL_ERROR',
];

/** The admin API's OpenAPI 3.1 document, made from the same route table as the routes (api-routes.ts). */
export function adminOpenApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ADMIN_ROUTES) {
    const path = `${ADMIN_API_PREFIX}${route.path}`.replace(/:([A-Za-z]+)/g, '{$1}');
    const parameters = [...path.matchAll(/\{([A-Za-z]+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const query = route.query as { properties?: Record<string, unknown> } | undefined;
    for (const [name, schema] of Object.entries(query?.properties ?? {}))
      parameters.push({ name, in: 'query', required: false, schema: schema as { type: string } });
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = {
      summary: route.summary,
      description: `Needs the ${route.role} role (auditor < officer < admin).`,
      'x-required-role': route.role,
      ...(parameters.length ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: route.body } } } } : {}),
      responses: {
        '200': { description: 'Done', content: { 'application/json': { schema: { type: ['object', 'array'] } } } },
        ...(route.method === 'POST' || route.method === 'DELETE' ? { '202': { description: 'Waits for a second officer (ADMIN_DUAL_CONTROL)' } } : {}),
        '400': problemResponse('Malformed input'),
        '403': problemResponse('No valid officer certificate, or a role that does not cover this (audited)'),
        '404': problemResponse('Not found'),
        '409': problemResponse('Refused in the current state'),
        '500': problemResponse('Our failure; quote requestId'),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'eHealth certificate platform: admin API',
      version: '1.0.0',
      description:
        'Officers and auditors, authenticated by TLS client certificates on the admin listener (ADMIN_PORT). Every change is audited with the officer certificate subject and serial; refused requests too.',
    },
    servers: [{ url: '/' }],
    paths,
    components: { schemas: { Problem: problemDocumentSchema(ADMIN_PROBLEM_CODES) } },
  };
}
