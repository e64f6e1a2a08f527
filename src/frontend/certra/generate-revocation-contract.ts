import { generateRevocationContract } from '../../services/certra/index.js';
import type { SoapOperation } from '../../soap/service.js';
import { el } from '../../xml/builder.js';
import { CRP, readActor, readPublicKeyIdentifier, readRevocationReason, requiredChild } from './request-reading.js';
import { actorXml, textTypeXml } from './response-writing.js';
import { certRaOperation, type CertRaHandlerContext } from './operation.js';

/** generateRevocationContract (public): the sealed revocation contract, to be sent back as-is with revoke. */
export function generateRevocationContractOperation(ctx: CertRaHandlerContext): SoapOperation {
  return certRaOperation(
    {
      name: 'generateRevocationContract',
      request: 'GenerateRevocationContractRequest',
      response: 'GenerateRevocationContractResponse',
      async run(call) {
        const request = call.envelope.payload;
        const contract = await generateRevocationContract(ctx.deps, {
          publicKeyIdentifier: readPublicKeyIdentifier(requiredChild(request, CRP, 'PublicKeyIdentifier')),
          signer: readActor(requiredChild(request, CRP, 'Signer')),
          reason: readRevocationReason(requiredChild(request, CRP, 'RevocationReason')),
        });
        return [
          el(
            'crp:Contract',
            null,
            el('cert:DN', null, contract.dn),
            actorXml('cert:Signer', contract.signer),
            el('cert:RevocationReason', null, contract.reason),
            textTypeXml('cert:Text', contract.texts),
          ),
        ];
      },
    },
    ctx.clock,
  );
}
