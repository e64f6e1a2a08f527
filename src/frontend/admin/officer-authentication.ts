import type { TLSSocket } from 'node:tls';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { OfficerIdentity } from '../../domain/operator.js';
import type { AdminService, AuthenticatedOfficer } from '../../services/admin/admin-service.js';
import type { OfficerRole } from '../../domain/operator.js';
import { sendProblem } from '../problem.js';

/**
 * Who may do what on the admin listener. TLS has checked the client certificate's chain against the officer trust
 * anchors (our CA, ADMIN_OFFICER_CA_FILES); here the certificate must also be a registered, unrevoked officer's, and
 * the officer's role must cover the route's. Every refusal is answered 403 and written to the audit log.
 */

/** auditor: read; officer: read and decide (requests, mandates, test cases, revocations); admin: all, officers too. */
const RANK: Readonly<Record<OfficerRole, number>> = { auditor: 0, officer: 1, admin: 2 };

export function roleCovers(held: OfficerRole, required: OfficerRole): boolean {
  return RANK[held] >= RANK[required];
}

declare module 'fastify' {
  interface FastifyRequest {
    officer?: AuthenticatedOfficer;
  }
  interface FastifyContextConfig {
    /** The least role a route needs; absent: public (the OpenAPI document, static assets). */
    role?: OfficerRole;
  }
}

/** The officer of a request the preHandler admitted (routes with a role only). */
export function officerOf(request: FastifyRequest): AuthenticatedOfficer {
  if (!request.officer) throw new Error('route without a role asked for the officer');
  return request.officer;
}

export function officerAuthentication(admin: AdminService, logger: Logger) {
  return async function authenticateOfficer(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const required = request.routeOptions.config.role;
    if (required === undefined) return undefined;
    const socket = request.raw.socket as TLSSocket;
    const peer = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate(false) : undefined;
    const hasCertificate = peer !== undefined && peer.raw !== undefined;
    let refusal: { who: OfficerIdentity | string; reason: string } | undefined;
    if (!hasCertificate) refusal = { who: 'anonymous TLS client', reason: 'no client certificate' };
    else if (!socket.authorized) {
      refusal = {
        who: `untrusted certificate: ${peer.subject?.CN ?? 'no CN'}`,
        reason: `the client certificate is not trusted (${String(socket.authorizationError)})`,
      };
    } else {
      const outcome = await admin.authenticate(peer.raw);
      if ('refused' in outcome) refusal = { who: outcome.identity, reason: outcome.refused };
      else if (!roleCovers(outcome.officer.role, required)) {
        refusal = { who: outcome.officer.identity, reason: `the ${outcome.officer.role} role cannot do this (needs ${required})` };
      } else request.officer = outcome.officer;
    }
    if (!refusal) return undefined;
    const path = request.routeOptions.url ?? request.url;
    try {
      await admin.recordRefusal(refusal.who, { method: request.method, path, reason: refusal.reason, requestId: String(request.id) });
    } catch (error) {
      logger.error({ err: error, requestId: request.id }, 'admin: the refusal could not be audited');
    }
    logger.warn({ requestId: request.id, method: request.method, path, reason: refusal.reason }, 'admin: request refused');
    return sendProblem(reply, 403, 'FORBIDDEN', refusal.reason);
  };
}
