import { revokeCertificate } from '../../services/certra/index.js';
import type { SoapOperation } from '../../soap/service.js';
import { CRP, readPublicKeyIdentifier, readRevocationContract, requiredChild } from './request-reading.js';
import { certRaOperation, evidenceOf, type CertRaHandlerContext } from './operation.js';

/** revoke (eID Signature key): revokes the certificate and its ETK. */
export function revokeOperation(ctx: CertRaHandlerContext): SoapOperation {
  return certRaOperation(
    {
      name: 'revoke',
      request: 'RevokeRequest',
      response: 'RevokeResponse',
      async run(call) {
        const { signer, request } = await ctx.authenticate(call, 'eid-signature');
        await revokeCertificate(ctx.deps, {
          signer,
          publicKeyIdentifier: readPublicKeyIdentifier(requiredChild(request, CRP, 'PublicKeyIdentifier')),
          contract: readRevocationContract(requiredChild(request, CRP, 'Contract')),
          signedRequest: evidenceOf(request),
        });
        return [];
      },
    },
    ctx.clock,
  );
}
