import { organizationTypes } from '../../services/certra/index.js';
import type { SoapOperation } from '../../soap/service.js';
import { el } from '../../xml/builder.js';
import { textTypeXml } from './response-writing.js';
import { certRaOperation, type CertRaHandlerContext } from './operation.js';

/** getGenericOrganizationTypes (public): the organisation identifier types with their validation rules. */
export function getGenericOrganizationTypesOperation(ctx: CertRaHandlerContext): SoapOperation {
  return certRaOperation(
    {
      name: 'getGenericOrganizationTypes',
      request: 'GetGenericOrganizationTypesRequest',
      response: 'GetGenericOrganizationTypesResponse',
      async run() {
        return organizationTypes().map((type) =>
          el(
            'crp:OrganizationType',
            null,
            textTypeXml('cert:Name', [{ lang: 'en', text: type.name }]),
            el('cert:IdentifierType', null, type.type),
            el('cert:ValidationRegEx', null, type.validationRegex),
            type.checkDigitAlgorithms.map((algorithm) => el('cert:CheckDigitAlgorithm', null, algorithm)),
            type.availableBaseServices.map((service) => el('cert:AvailableBaseService', null, service)),
          ),
        );
      },
    },
    ctx.clock,
  );
}
