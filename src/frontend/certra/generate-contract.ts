import { generateCertificateContract } from '../../services/certra/index.js';
import type { SoapOperation } from '../../soap/service.js';
import { el } from '../../xml/builder.js';
import { CERT, CRP, optionalChildText, readActor, readContactData, requiredChild } from './request-reading.js';
import { actorXml, textTypeXml } from './response-writing.js';
import { certRaOperation, type CertRaHandlerContext } from './operation.js';

/** generateContract (public): the sealed contract for a new certificate. */
export function generateContractOperation(ctx: CertRaHandlerContext): SoapOperation {
  return certRaOperation(
    {
      name: 'generateContract',
      request: 'GenerateContractRequest',
      response: 'GenerateContractResponse',
      async run(call) {
        const request = call.envelope.payload;
        const certificateIdentifier = requiredChild(request, CRP, 'CertificateIdentifier');
        const contract = await generateCertificateContract(ctx.deps, {
          contactData: readContactData(requiredChild(request, CRP, 'ContactData')),
          signer: readActor(requiredChild(request, CRP, 'Signer')),
          holder: readActor(requiredChild(certificateIdentifier, CERT, 'Actor')),
          applicationId: optionalChildText(certificateIdentifier, CERT, 'ApplicationId'),
        });
        return [el('crp:Contract', null, el('cert:DN', null, contract.dn), actorXml('cert:Signer', contract.signer), textTypeXml('cert:Text', contract.texts))];
      },
    },
    ctx.clock,
  );
}
