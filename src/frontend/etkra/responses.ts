import { randomUUID } from 'node:crypto';
import type { Clock } from '../../domain/clock.js';
import type { ServiceError } from '../../domain/errors.js';
import { NS, STATUS_SUCCESS_V2 } from '../../soap/namespaces.js';
import type { SoapCall } from '../../soap/service.js';
import { el, textEl, type Child } from '../../xml/builder.js';

/**
 * Non-success StatusCode values. The connector only tests for Success; the values of the real platform are not
 * documented (docs/wire-facts.md §0): these follow the SAML-style top-level codes of the eHealth commons v2.
 */
export const STATUS_REQUESTER_V2 = 'urn:be:fgov:ehealth:2.0:status:Requester';
export const STATUS_RESPONDER_V2 = 'urn:be:fgov:ehealth:2.0:status:Responder';

export type EtkRaResponseName = 'StartETKRegistrationResponse' | 'CompleteETKRegistrationResponse' | 'ActivateETKResponse';

/**
 * An EtkRA v2 response element (commons v2 StatusResponseType): Id, InResponseTo (the request's Id), IssueInstant,
 * cc:Status, then the operation's content. Errors carry the code and detail in StatusMessage only (docs/wire-facts.md §0:
 * the connector reads no StatusDetail from EtkRA).
 */
export function etkRaResponse(name: EtkRaResponseName, call: SoapCall, clock: Clock, outcome: ServiceError | 'success', ...content: Child[]): string {
  const status =
    outcome === 'success'
      ? el('cc:Status', null, el('cc:StatusCode', { Value: STATUS_SUCCESS_V2 }))
      : el(
          'cc:Status',
          null,
          el('cc:StatusCode', { Value: outcome.code === 'INTERNAL_ERROR' ? STATUS_RESPONDER_V2 : STATUS_REQUESTER_V2 }),
          textEl('cc:StatusMessage', `${outcome.code}: ${outcome.detail}`),
        );
  return el(
    `erp:${name}`,
    {
      'xmlns:erp': NS.etkraProtocolV2,
      'xmlns:cc': NS.commonsCoreV2,
      Id: `_${randomUUID()}`,
      // Only echoed (escaped) for correlation; nothing else is read from the request before its signature verifies.
      InResponseTo: call.envelope.payload.getAttribute('Id') || undefined,
      IssueInstant: clock.now().toISOString(),
    },
    status,
    outcome === 'success' ? content : [],
  ).markup;
}
