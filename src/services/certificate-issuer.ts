import { issue, prepareFromCsr, prepareFromTemplate, isCaError, type PrepareFromCsrInput, type PrepareFromTemplateInput } from '../ca/issuance/index.js';
import type { CaMaterial } from '../ca/hierarchy/index.js';
import { ServiceError } from '../domain/errors.js';
import type { Queryable } from '../storage/database.js';
import { auditLog, certificateRegistry, DuplicateSerialError } from '../storage/certificate-registry.js';

export interface IssuedRecord {
  /** issued_certificates.id */
  id: bigint;
  der: Buffer;
  serialHex: string;
  subjectKeyIdentifierHex: string;
  subjectDn: string;
  notBefore: Date;
  notAfter: Date;
}

const SERIAL_ATTEMPTS = 3;

/**
 * Issues through the CA the Boulder way, inside the caller's transaction: prepare (checks + lints) → record the
 * serial (the database refuses duplicates) → sign once → record the certificate, with audit lines around it.
 * CA refusals become ServiceErrors with the public code that fits them.
 */
export class CertificateIssuer {
  constructor(private readonly ca: CaMaterial) {}

  async issueFromCsr(
    tx: Queryable,
    input: Omit<PrepareFromCsrInput, 'issuer'>,
    actor: string,
  ): Promise<IssuedRecord> {
    return this.run(tx, actor, () => prepareFromCsr({ ...input, issuer: this.issuerInput() }));
  }

  async issueFromTemplate(tx: Queryable, input: Omit<PrepareFromTemplateInput, 'issuer'>, actor: string): Promise<IssuedRecord> {
    return this.run(tx, actor, () => prepareFromTemplate({ ...input, issuer: this.issuerInput() }));
  }

  /** The issuing CA certificate and its chain up to (excluding) the root: what getCertificate returns after the leaf. */
  chainWithoutRoot(): Buffer[] {
    return this.ca.issuingChain.filter((certificate) => !certificate.equals(this.ca.root.cert));
  }

  get issuerKeyId(): string {
    return this.ca.issuing.fields.subjectKeyIdentifier.toString('hex').toUpperCase();
  }

  private issuerInput() {
    return {
      certificateDer: this.ca.issuing.cert,
      signer: this.ca.issuing.signer,
      crlUrl: this.ca.issuing.crlUrl,
      caIssuersUrl: this.ca.issuing.certificateUrl,
    };
  }

  private async run(tx: Queryable, actor: string, prepare: () => ReturnType<typeof prepareFromCsr>): Promise<IssuedRecord> {
    for (let attempt = 1; ; attempt++) {
      let prepared;
      try {
        prepared = await prepare();
      } catch (error) {
        throw toServiceError(error);
      }
      let id: bigint;
      try {
        id = await certificateRegistry.recordIntent(tx, {
          issuerKeyId: this.issuerKeyId,
          serialHex: prepared.serialHex,
          subjectKeyId: prepared.subjectKeyIdentifierHex,
          subjectDn: prepared.subjectDn,
          profile: prepared.profileName,
          notBefore: prepared.notBefore,
          notAfter: prepared.notAfter,
        });
      } catch (error) {
        // 128 random bits make this practically impossible; retrying keeps the guarantee without trusting luck.
        if (error instanceof DuplicateSerialError && attempt < SERIAL_ATTEMPTS) continue;
        throw error;
      }
      await auditLog.record(tx, { actor, action: 'certificate.sign.intent', subject: prepared.subjectKeyIdentifierHex, details: { serial: prepared.serialHex, profile: prepared.profileName, subjectDn: prepared.subjectDn } });
      let issued;
      try {
        issued = await issue(prepared);
      } catch (error) {
        throw toServiceError(error);
      }
      await certificateRegistry.recordIssued(tx, id, issued.der, new Date());
      await auditLog.record(tx, { actor, action: 'certificate.sign.done', subject: issued.subjectKeyIdentifierHex, details: { serial: issued.serialHex } });
      return {
        id,
        der: issued.der,
        serialHex: issued.serialHex,
        subjectKeyIdentifierHex: issued.subjectKeyIdentifierHex.toUpperCase(),
        subjectDn: issued.subjectDn,
        notBefore: issued.notBefore,
        notAfter: issued.notAfter,
      };
    }
  }
}

/** Maps CA refusals to the public catalogue; anything else stays an internal error. */
export function toServiceError(error: unknown): unknown {
  if (!isCaError(error)) return error;
  switch (error.code) {
    case 'WEAK_KEY':
    case 'UNSUPPORTED_KEY':
      return new ServiceError('WEAK_KEY', error.message, { cause: error });
    case 'DN_MISMATCH':
    case 'SUBJECT_NOT_ALLOWED':
      return new ServiceError('DN_MISMATCH', error.message, { cause: error });
    case 'BAD_CSR':
    case 'BAD_CSR_SIGNATURE':
    case 'UNSUPPORTED_SIGNATURE_ALGORITHM':
      return new ServiceError('BAD_CSR', error.message, { cause: error });
    case 'LINT_FAILED':
      return new ServiceError('ISSUANCE_REFUSED', `issuance refused by lint ${error.lintName ?? ''}`.trim(), { cause: error });
    default:
      return new ServiceError('INTERNAL_ERROR', 'Internal error', { cause: error });
  }
}
