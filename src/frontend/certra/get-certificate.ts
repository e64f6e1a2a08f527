import { certificateChain } from '../../services/certra/index.js';
import type { SoapOperation } from '../../soap/service.js';
import { el } from '../../xml/builder.js';
import { CRP, readPublicKeyIdentifier, requiredChild } from './request-reading.js';
import { certRaOperation, type CertRaHandlerContext } from './operation.js';

/** getCertificate (public): the chain once issued (leaf first, no root), CERT_NOT_YET_DELIVERED before. */
export function getCertificateOperation(ctx: CertRaHandlerContext): SoapOperation {
  return certRaOperation(
    {
      name: 'getCertificate',
      request: 'GetCertificateRequest',
      response: 'GetCertificateResponse',
      async run(call) {
        const chain = await certificateChain(ctx.deps, readPublicKeyIdentifier(requiredChild(call.envelope.payload, CRP, 'PublicKeyIdentifier')));
        return chain.map((der) => el('crp:X509Certificate', null, der.toString('base64')));
      },
    },
    ctx.clock,
  );
}
