import { submitForeignerRequest } from '../../services/certra/index.js';
import type { SoapOperation } from '../../soap/service.js';
import { el } from '../../xml/builder.js';
import { foreignerValidationUrl } from './foreigner-validation-page.js';
import { CRP, readActor, readBase64, readContactData, requiredChild } from './request-reading.js';
import { isoDateTime } from './response-writing.js';
import { certRaOperation, type CertRaHandlerContext } from './operation.js';

/** submitCSRForForeigner (public): queues a non-resident's CSR for an officer's identity check. */
export function submitCsrForForeignerOperation(ctx: CertRaHandlerContext, publicBaseUrl: string): SoapOperation {
  return certRaOperation(
    {
      name: 'submitCSRForForeigner',
      request: 'SubmitCSRForForeignerRequest',
      response: 'SubmitCSRForForeignerResponse',
      async run(call) {
        const request = call.envelope.payload;
        const outcome = await submitForeignerRequest(ctx.deps, {
          person: readActor(requiredChild(request, CRP, 'ForeignPerson')),
          contactData: readContactData(requiredChild(request, CRP, 'ContactData')),
          csrDer: readBase64(requiredChild(request, CRP, 'CSR')),
        });
        return [
          el('crp:ValidationUrl', null, foreignerValidationUrl(publicBaseUrl, outcome.validationReference)),
          el('crp:ExpirationDate', null, isoDateTime(outcome.expiresAt)),
        ];
      },
    },
    ctx.clock,
  );
}
