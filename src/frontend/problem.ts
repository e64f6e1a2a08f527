import type { FastifyReply } from 'fastify';

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** An RFC 9457 problem document; the extension member `requestId` is the X-Request-Id of the answer and of the log lines. */
export function sendProblem(reply: FastifyReply, status: number, code: string, detail: string) {
  return reply
    .code(status)
    .type('application/problem+json; charset=utf-8')
    .send({ type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail, code, requestId: String(reply.request.id) });
}

/** The codes of the REST APIs' problem documents (ETEE and the older ETKDepot REST answer the same ones). */
export const REST_PROBLEM_CODES = [
  'BAD_QUERY',
  'UNKNOWN_IDENTIFIER_TYPE',
  'INVALID_IDENTIFIER',
  'AUTHENTICATION_REQUIRED',
  'INVALID_TOKEN',
  'TOKEN_ISSUER_UNAVAILABLE',
  'ETK_NOT_FOUND',
  'INTERNAL_ERROR',
] as const;

/** The OpenAPI schema of these problem documents, with the codes an API answers. */
export function problemDocumentSchema(codes: readonly string[]) {
  return {
    type: 'object',
    description: 'RFC 9457 problem details',
    required: ['status', 'code', 'detail', 'requestId'],
    properties: {
      type: { type: 'string' },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      requestId: { type: 'string', description: 'The id of this request, also in the X-Request-Id header: quote it when reporting a problem' },
      code: { type: 'string', enum: codes },
    },
  } as const;
}

/** An OpenAPI response carrying a problem document (the schema under components/schemas/Problem). */
export const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});
