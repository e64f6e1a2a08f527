import type { FastifyReply, FastifyRequest } from 'fastify';
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { sendProblem } from '../problem.js';

/**
 * OAuth2 bearer tokens on the REST API (RFC 6750), as the real platform protects its ETEE REST API: JWT access tokens
 * of client-credentials clients issued by an authorization server (Keycloak's "M2M" realm there), verified against
 * the issuer's published keys with `jose`. Anonymous requests pass only when the operator allows them.
 */

export interface BearerTokenSettings {
  /** OAUTH_ISSUER: the `iss` every token must carry; undefined: no issuer configured, no token can be accepted. */
  readonly issuer: string | undefined;
  /** OAUTH_JWKS_URL: where the issuer publishes its signing keys (fetched and cached by jose, refreshed on an unknown kid). */
  readonly jwksUrl: string | undefined;
  /** OAUTH_AUDIENCE: an `aud` every token must carry; undefined: not checked. */
  readonly audience: string | undefined;
  /** An unknown `kid` refetches the issuer's keys at most this often (a key rotation is followed, a flood of made-up kids is not). */
  readonly jwksCooldownSeconds: number;
  /** Requests without a token are served (ETEE_REST_ANONYMOUS). */
  readonly allowAnonymous: boolean;
  readonly clockSkewSeconds: number;
  /** The refusal of an anonymous request while no issuer is configured: what else authenticates (ETKDepot: SOAP WS-Security). */
  readonly withoutIssuer?: { readonly challenge: string; readonly detail: string };
}

export type BearerOutcome =
  | { readonly ok: true; readonly client: { readonly subject: string | undefined; readonly clientId: string | undefined } | undefined }
  | {
      readonly ok: false;
      readonly status: 401;
      readonly code: 'AUTHENTICATION_REQUIRED' | 'INVALID_TOKEN';
      readonly detail: string;
      readonly challenge: string;
    }
  /** The issuer's keys cannot be fetched: not the caller's fault, try again later. */
  | { readonly ok: false; readonly status: 503; readonly code: 'TOKEN_ISSUER_UNAVAILABLE'; readonly detail: string };

/** Asymmetric JWS algorithms only: a token signed with a shared secret ("HS256") or none is never accepted. */
const ACCEPTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const REALM = 'realm="eHealth ETEE"';

export class BearerTokenAuthenticator {
  private readonly keys: JWTVerifyGetKey | undefined;

  constructor(private readonly settings: BearerTokenSettings) {
    this.keys = settings.jwksUrl
      ? createRemoteJWKSet(new URL(settings.jwksUrl), { timeoutDuration: 5_000, cooldownDuration: settings.jwksCooldownSeconds * 1000 })
      : undefined;
  }

  /** Whether a request without a token is served. */
  get allowsAnonymous(): boolean {
    return this.settings.allowAnonymous;
  }

  async authenticate(authorization: string | undefined): Promise<BearerOutcome> {
    if (authorization === undefined || authorization.trim() === '') {
      if (this.settings.allowAnonymous) return { ok: true, client: undefined };
      if (this.keys === undefined) {
        return {
          ok: false,
          status: 401,
          code: 'AUTHENTICATION_REQUIRED',
          detail: this.settings.withoutIssuer?.detail ?? 'This API answers only authenticated requests and no token issuer is configured (OAUTH_ISSUER)',
          challenge: this.settings.withoutIssuer?.challenge ?? `Bearer ${REALM}`,
        };
      }
      return {
        ok: false,
        status: 401,
        code: 'AUTHENTICATION_REQUIRED',
        detail: 'This API answers only authenticated requests: send an OAuth2 access token (Authorization: Bearer …)',
        challenge: `Bearer ${REALM}`,
      };
    }
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization.trim());
    if (!match) return this.invalid('the Authorization header is not "Bearer <token>"');
    if (this.keys === undefined || this.settings.issuer === undefined) return this.invalid('no token issuer is configured (OAUTH_ISSUER, OAUTH_JWKS_URL)');
    try {
      const { payload } = await jwtVerify(match[1]!, this.keys, {
        issuer: this.settings.issuer,
        ...(this.settings.audience !== undefined ? { audience: this.settings.audience } : {}),
        algorithms: ACCEPTED_ALGORITHMS,
        clockTolerance: this.settings.clockSkewSeconds,
        requiredClaims: ['exp'],
      });
      const clientId = typeof payload.azp === 'string' ? payload.azp : typeof payload.client_id === 'string' ? payload.client_id : undefined;
      return { ok: true, client: { subject: payload.sub, clientId } };
    } catch (error) {
      if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || !(error instanceof errors.JOSEError)) {
        // A fetch of the issuer's keys that failed (refused, timed out, not JSON): the token is not judged.
        return { ok: false, status: 503, code: 'TOKEN_ISSUER_UNAVAILABLE', detail: "the token issuer's keys cannot be fetched now: try again later" };
      }
      return this.invalid(describeTokenError(error));
    }
  }

  private invalid(detail: string): BearerOutcome {
    // RFC 6750 §3: the description is a quoted string; the detail never holds a quote or a backslash.
    const description = detail.replace(/["\\]/g, "'");
    return {
      ok: false,
      status: 401,
      code: 'INVALID_TOKEN',
      detail: `invalid access token: ${detail}`,
      challenge: `Bearer ${REALM}, error="invalid_token", error_description="${description}"`,
    };
  }
}

/** What went wrong, for the caller, without echoing the token. */
function describeTokenError(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `claim ${error.claim} is not acceptable (${error.reason})`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the signature does not verify';
  if (error instanceof errors.JWKSNoMatchingKey) return 'no key of the issuer matches the token';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the signature algorithm is not accepted';
  if (error instanceof errors.JOSEError) return 'the token is malformed';
  return 'the token cannot be verified';
}

/**
 * Lets a REST request through, or answers it: 401 problem with its WWW-Authenticate challenge, or 503 when the
 * issuer's keys cannot be fetched. Runs before the query is read: a refused request looks nothing up.
 */
export async function admitRestRequest(authenticator: BearerTokenAuthenticator, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  const outcome = await authenticator.authenticate(request.headers.authorization);
  if (outcome.ok) {
    if (outcome.client) request.log.info({ client: outcome.client }, 'REST request authenticated by bearer token');
    return true;
  }
  request.log.warn({ code: outcome.code, detail: outcome.detail }, 'REST request refused');
  if (outcome.status === 401) reply.header('www-authenticate', outcome.challenge);
  await sendProblem(reply, outcome.status, outcome.code, outcome.detail);
  return false;
}
