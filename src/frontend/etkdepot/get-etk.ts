import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DirectoryAnswer, EtkDirectory, EtkQuery } from '../../services/etk-directory.js';
import { NS } from '../../soap/namespaces.js';
import type { SoapFastLane, SoapOperation } from '../../soap/service.js';
import { el, raw, textEl, type Xml } from '../../xml/builder.js';
import { oneOrMore, optional, one, sequenceElement, textElement } from '../../xml/element-shape.js';
import { domElementView, viewChildrenNamed, viewOptionalChild, viewRequiredChild } from '../../xml/element-view.js';
import type { ElementView } from '../../xml/element-view-interface.js';
import { childElements } from '../../xml/parse.js';
import type { VerifiedWsSecurity } from './ws-security-gate.js';

const DEP = NS.etkdepotProtocolV1;

/** One Identifier of SearchCriteria as sent: echoed in GivenSearchCriteria (ApplicationID only when it was sent). */
export interface GivenIdentifier extends EtkQuery {
  readonly applicationIdElement: boolean;
}

/** What ETKDepot's verifyEnvelope hands GetEtk: the verified WS-Security signature, or undefined for an unsigned request. */
export type EtkDepotSecurity = VerifiedWsSecurity | undefined;

/**
 * GetEtk: the request is read from the Body the WS-Security signature covers when there is one (verifyEnvelope put
 * it in call.security), else from the unsigned Body — for a request without header entries from the light element tree of
 * the transport's fast lane (no DOM is built on the busiest path of the platform). Outcomes are normal responses (docs/wire-facts.md §3): Status 200 with
 * one ETK or with MatchingEtk entries, 404 none, 400 unknown type or invalid value, 500 internal error.
 */
export function getEtkOperation(directory: Pick<EtkDirectory, 'lookup'>, logger: Logger): SoapOperation<GivenIdentifier[], EtkDepotSecurity> {
  return {
    name: 'GetEtk',
    requestElement: { namespace: DEP, localName: 'GetEtkRequest' },
    fastLane: GET_ETK_FAST_LANE,
    handle(call) {
      const verified = call.security;
      const given = verified
        ? readSearchCriteria(domElementView(childElements(verified.body)[0]!))
        : (call.validatedRequest ?? readSearchCriteria(domElementView(call.envelope.payload)));
      const failed = (error: unknown): string => {
        logger.error({ err: error, requestId: call.requestId }, 'GetEtk failed');
        return getEtkResponse('500', 'Internal error', given);
      };
      let answer: DirectoryAnswer | Promise<DirectoryAnswer>;
      try {
        answer = directory.lookup(given);
      } catch (error) {
        return failed(error);
      }
      // A lookup served from the cache answers synchronously: no promise on the busiest path.
      return answer instanceof Promise ? answer.then((found) => renderAnswer(found, given), failed) : renderAnswer(answer, given);
    },
  };
}

/**
 * GetEtk's fast lane: GetEtkRequest as the schema declares it (no attributes; Type, Value and ApplicationID are
 * xs:string), read from the light element tree.
 */
export const GET_ETK_FAST_LANE: SoapFastLane<GivenIdentifier[]> = {
  shape: sequenceElement(
    DEP,
    'GetEtkRequest',
    one(
      sequenceElement(
        DEP,
        'SearchCriteria',
        oneOrMore(
          sequenceElement(DEP, 'Identifier', one(textElement(DEP, 'Type')), one(textElement(DEP, 'Value')), optional(textElement(DEP, 'ApplicationID'))),
        ),
      ),
    ),
  ),
  read: readSearchCriteria,
};

/** The schema-valid (or shape-checked) GetEtkRequest's identifiers. */
function readSearchCriteria(request: ElementView): GivenIdentifier[] {
  const criteria = viewRequiredChild(request, DEP, 'SearchCriteria');
  return viewChildrenNamed(criteria, DEP, 'Identifier').map((identifier) => {
    const applicationId = viewOptionalChild(identifier, DEP, 'ApplicationID');
    return {
      type: viewRequiredChild(identifier, DEP, 'Type').text(),
      value: viewRequiredChild(identifier, DEP, 'Value').text(),
      applicationId: applicationId?.text(),
      applicationIdElement: applicationId !== undefined,
    };
  });
}

export function renderAnswer(answer: DirectoryAnswer, given: readonly GivenIdentifier[]): string {
  switch (answer.kind) {
    case 'found':
      // base64 needs no escaping; the ETK text is the bulk of the response, so it skips the escaper's passes.
      return getEtkResponse('200', 'ETK found', given, el('dep:ETK', null, raw(answer.etk.der.toString('base64'))));
    case 'several':
      return getEtkResponse(
        '200',
        `${answer.matches.length} ETKs match: ask again with one of the MatchingEtk identifiers`,
        given,
        answer.matches.map((etk) =>
          el('dep:MatchingEtk', null, identifierXml({ type: etk.holder.type, value: etk.holder.value, applicationId: etk.holder.applicationId })),
        ),
      );
    case 'not-found':
      return getEtkResponse('404', 'No ETK found for the search criteria', given);
    case 'invalid':
      return getEtkResponse('400', answer.message, given, el('dep:Error', null, textEl('dep:Code', answer.code), textEl('dep:Message', answer.message)));
  }
}

function identifierXml(identifier: { type: string; value: string; applicationId?: string | undefined }, echoEmptyApplicationId = false): Xml {
  return el(
    'dep:Identifier',
    null,
    textEl('dep:Type', identifier.type),
    textEl('dep:Value', identifier.value),
    identifier.applicationId !== undefined || echoEmptyApplicationId ? textEl('dep:ApplicationID', identifier.applicationId ?? '') : undefined,
  );
}

/**
 * GetEtkResponse: core:Status (Code and Message unqualified: no default namespace is ever declared), criteria, content.
 * It is its own exclusive c14n (each namespace declared where first used, one attribute per element, the builder's
 * canonical escapes and end tags), so a signed response digests it as it is (get-etk.test.ts checks this).
 */
function getEtkResponse(code: '200' | '400' | '404' | '500', message: string, given: readonly GivenIdentifier[], ...content: Array<Xml | Xml[]>): string {
  return el(
    'dep:GetEtkResponse',
    { 'xmlns:dep': DEP, Id: `_${randomUUID()}` },
    el('core:Status', { 'xmlns:core': NS.commonsCoreV1 }, textEl('Code', code), textEl('Message', message, { Lang: 'EN' })),
    given.length > 0
      ? el(
          'dep:GivenSearchCriteria',
          null,
          given.map((identifier) => identifierXml(identifier, identifier.applicationIdElement)),
        )
      : undefined,
    content,
  ).markup;
}
