import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';

/** What an incoming X-Request-Id must look like to be kept: 1 to 128 of letters, digits and `. _ : -`. */
const WELL_FORMED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/u;

/**
 * The request id: the caller's X-Request-Id when it is well-formed (so that a proxy's or a client's id follows the
 * request into our logs and faults), else a fresh UUID. A malformed one (too long, other characters, repeated header)
 * is dropped, never echoed or logged.
 */
export function requestIdFor(header: string | string[] | undefined): string {
  return typeof header === 'string' && WELL_FORMED_REQUEST_ID.test(header) ? header : randomUUID();
}
