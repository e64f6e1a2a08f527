import type { KeySigner } from '../keys/key-signer.js';
import { issue, prepareFromTemplate } from '../issuance/index.js';
import type { Environment } from '../../domain/environment.js';
import type { CertificateProfile } from '../profiles/types.js';
import type { DnSequence } from '../x509/index.js';
import type { ParsedCertificate } from '../../x509/certificate.js';

/**
 * Issues the certificates the hierarchy itself needs (root, issuing CA, ETK-RA signer, citizen CA, test eID
 * identities) through the issuance engine: template → lint (placeholder signature) → sign once.
 */
export interface HierarchyIssueRequest {
  readonly profile: CertificateProfile;
  readonly environment?: Environment;
  readonly subject: DnSequence;
  readonly subjectPublicKeySpki: Buffer;
  /** Undefined: self-signed with `signer` (which must hold the subject key). */
  readonly issuer: ParsedCertificate | undefined;
  readonly signer: KeySigner;
  /** Start of validity; the profile gives the length, clamped to the issuer's validity. */
  readonly notBefore: Date;
  readonly crlUrl?: string;
  readonly caIssuersUrl?: string;
}

export async function issueHierarchyCertificate(request: HierarchyIssueRequest): Promise<Buffer> {
  const urls = { ...(request.crlUrl ? { crlUrl: request.crlUrl } : {}), ...(request.caIssuersUrl ? { caIssuersUrl: request.caIssuersUrl } : {}) };
  const prepared = await prepareFromTemplate({
    profile: request.profile,
    environment: request.environment ?? 'acceptance',
    now: request.notBefore,
    subject: request.subject,
    subjectPublicKeySpki: request.subjectPublicKeySpki,
    issuer: request.issuer ? { certificateDer: request.issuer.der, signer: request.signer, ...urls } : { selfSigned: true, signer: request.signer, ...urls },
  });
  return (await issue(prepared)).der;
}
