import type { FastifyReply } from 'fastify';

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
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
