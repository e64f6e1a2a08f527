import { certificateInfoForCitizen } from '../../services/certra/index.js';
import type { SoapOperation } from '../../soap/service.js';
import { certificateInfoXml } from './response-writing.js';
import { certRaOperation, type CertRaHandlerContext } from './operation.js';

/** getCertificateInfoForCitizen (eID Authentication key): the certificates of the signer and of their organisations. */
export function getCertificateInfoForCitizenOperation(ctx: CertRaHandlerContext): SoapOperation {
  return certRaOperation(
    {
      name: 'getCertificateInfoForCitizen',
      request: 'GetCertificateInfoForCitizenRequest',
      response: 'GetCertificateInfoForCitizenResponse',
      async run(call) {
        const { signer } = await ctx.authenticate(call, 'eid-authentication');
        return (await certificateInfoForCitizen(ctx.deps, signer)).map((info) => certificateInfoXml('crp:CertificateInfo', info));
      },
    },
    ctx.clock,
  );
}
