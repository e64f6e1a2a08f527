import { existingApplicationIds } from '../../services/certra/index.js';
import type { SoapOperation } from '../../soap/service.js';
import { el } from '../../xml/builder.js';
import { CRP, readIdentifier, requiredChild } from './request-reading.js';
import { certRaOperation, type CertRaHandlerContext } from './operation.js';

/** getExistingApplicationIds (public, no Status in the response): application ids in use; nil = a certificate without one. */
export function getExistingApplicationIdsOperation(ctx: CertRaHandlerContext): SoapOperation {
  return certRaOperation(
    {
      name: 'getExistingApplicationIds',
      request: 'GetExistingApplicationIdsRequest',
      response: 'GetExistingApplicationIdsResponse',
      withStatus: false,
      async run(call) {
        const ids = await existingApplicationIds(ctx.deps, readIdentifier(requiredChild(call.envelope.payload, CRP, 'OrganizationIdentifier')));
        return ids.map((id) => (id === null ? el('crp:ApplicationId', { 'xsi:nil': 'true' }) : el('crp:ApplicationId', null, id)));
      },
    },
    ctx.clock,
  );
}
