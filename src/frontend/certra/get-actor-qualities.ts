import { CERTRA_LANGUAGES } from '../../domain/certra.js';
import { actorQualities } from '../../services/certra/index.js';
import type { SoapOperation } from '../../soap/service.js';
import { el } from '../../xml/builder.js';
import { CRP, readIdentifier, requiredChild } from './request-reading.js';
import { textTypeXml } from './response-writing.js';
import { certRaOperation, type CertRaHandlerContext } from './operation.js';

/** getActorQualities (eID Authentication key): may the signer request for themself, and for which organisations. */
export function getActorQualitiesOperation(ctx: CertRaHandlerContext): SoapOperation {
  return certRaOperation(
    {
      name: 'getActorQualities',
      request: 'GetActorQualitiesRequest',
      response: 'GetActorQualitiesResponse',
      async run(call) {
        const { signer, request } = await ctx.authenticate(call, 'eid-authentication');
        const qualities = await actorQualities(ctx.deps, signer, readIdentifier(requiredChild(request, CRP, 'SSIN')));
        return [
          el('crp:NaturalPersonAuthorization', null, String(qualities.naturalPerson)),
          qualities.organisations.map((organisation) =>
            el(
              'crp:OrganizationAuthorization',
              null,
              // Organisation names are not translated: the registered name is given in each language.
              textTypeXml(
                'cert:Name',
                CERTRA_LANGUAGES.map((lang) => ({ lang, text: organisation.name })),
              ),
              el('cert:Identifier', { Type: organisation.identifier.type }, organisation.identifier.value),
            ),
          ),
        ];
      },
    },
    ctx.clock,
  );
}
