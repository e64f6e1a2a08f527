import { submitCertificateRequest } from '../../services/certra/index.js';
import type { SoapOperation } from '../../soap/service.js';
import { el, textEl } from '../../xml/builder.js';
import { childrenNamed, textOf } from '../../xml/parse.js';
import { CERT, CRP, readBase64, readCertificateContract, readContactData, requiredChild } from './request-reading.js';
import { certRaOperation, evidenceOf, type CertRaHandlerContext } from './operation.js';

/** generateCertificate (eID Signature key): submit the eHealth CSR with the sealed contract. */
export function generateCertificateOperation(ctx: CertRaHandlerContext): SoapOperation {
  return certRaOperation(
    {
      name: 'generateCertificate',
      request: 'GenerateCertificateRequest',
      response: 'GenerateCertificateResponse',
      async run(call) {
        const { signer, request } = await ctx.authenticate(call, 'eid-signature');
        const csr = requiredChild(request, CRP, 'EHealthCSR');
        const outcome = await submitCertificateRequest(ctx.deps, {
          signer,
          contactData: readContactData(requiredChild(csr, CERT, 'ContactData')),
          csrDer: readBase64(requiredChild(csr, CERT, 'CSR')),
          contract: readCertificateContract(requiredChild(csr, CERT, 'Contract')),
          baseServiceUsage: childrenNamed(csr, CERT, 'BaseServiceUsage').map((e) => textOf(e)),
          signedRequest: evidenceOf(request),
        });
        return [
          el('crp:PublicKeyIdentifier', null, outcome.publicKeyIdentifier),
          el('crp:AutomaticallyValidated', null, String(outcome.automaticallyValidated)),
          textEl('crp:ReplacesCertificate', outcome.replacesPublicKeyIdentifier),
        ];
      },
    },
    ctx.clock,
  );
}
