import { certificateInfoForAuthenticationCertificate } from '../../services/certra/index.js';
import type { SoapOperation } from '../../soap/service.js';
import { certificateInfoXml } from './response-writing.js';
import { certRaOperation, type CertRaHandlerContext } from './operation.js';

/** getCertificateInfoForAuthenticationCertificate (eHealth certificate): the info of the certificate that signed. */
export function getCertificateInfoForAuthenticationCertificateOperation(ctx: CertRaHandlerContext): SoapOperation {
  return certRaOperation(
    {
      name: 'getCertificateInfoForAuthenticationCertificate',
      request: 'GetCertificateInfoForAuthenticationCertificateRequest',
      response: 'GetCertificateInfoForAuthenticationCertificateResponse',
      async run(call) {
        const { signer } = await ctx.authenticate(call, 'ehealth');
        return [certificateInfoXml('crp:CertificateInfo', await certificateInfoForAuthenticationCertificate(ctx.deps, signer))];
      },
    },
    ctx.clock,
  );
}
