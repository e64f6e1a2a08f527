import { createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { buildEncryptionCertificate, buildEtk } from '../../src/ca/etk/index.js';
import { createKeyObjectSigner } from '../../src/ca/keys/key-signer.js';
import { ehealthNaturalPerson, ehealthOrganisation } from '../../src/ca/profiles/index.js';
import { buildCsr, type DnSequence } from '../../src/ca/x509/index.js';
import type { PlatformServices } from '../../src/composition.js';
import { buildEhealthDn, ehealthDnAttributes, type EhealthDnInput } from '../../src/identifiers/index.js';
import type { Queryable } from '../../src/storage/database.js';
import { etkRepository } from '../../src/storage/etk-repository.js';
import { parseCertificate } from '../../src/x509/certificate.js';

/**
 * A holder as the benches need one: an eHealth certificate issued by the platform's CA from a CSR, its encryption
 * certificate and the ETK CMS, stored ACTIVE as EtkRA stores them (in the caller's transaction).
 */
export async function seedHolderWithEtk(
  context: PlatformServices,
  tx: Queryable,
  identity: EhealthDnInput,
  keys: { readonly authentication: KeyObject; readonly encryption: KeyObject },
): Promise<{ certificate: Buffer; etk: Buffer }> {
  const subject = [...ehealthDnAttributes(identity)].reverse().map((a) => ({ type: a.type, value: a.value })) as unknown as DnSequence;
  const issued = await context.issuer.issueFromCsr(
    tx,
    {
      csrDer: buildCsr(subject, keys.authentication),
      expectedSubjectDn: buildEhealthDn(identity),
      profile: identity.type === 'SSIN' ? ehealthNaturalPerson : ehealthOrganisation,
      environment: context.config.environment,
      now: new Date(),
    },
    'bench',
  );
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const encryptionSpki = createPublicKey(keys.encryption).export({ type: 'spki', format: 'der' });
  const encryptionCertificate = await buildEncryptionCertificate({
    authenticationCertificate: issued.der,
    authenticationSigner: createKeyObjectSigner(keys.authentication, 'bench'),
    encryptionPublicKeySpki: encryptionSpki,
    serialNumber: serial,
  });
  const etk = await buildEtk(
    { encryptionCertificate, authenticationCertificate: issued.der, authenticationChain: context.ca.issuingChain },
    { certificate: context.ca.etkRa.cert, signer: context.ca.etkRa.signer },
  );
  const fields = parseCertificate(encryptionCertificate);
  await etkRepository.insert(tx, {
    issuedCertificateId: issued.id,
    holder: { type: identity.type, value: identity.id, applicationId: undefined },
    encryptionSerialHex: fields.serialNumberHex,
    publicKeySpki: encryptionSpki,
    etkDer: etk,
    notBefore: fields.notBefore,
    notAfter: fields.notAfter,
    status: 'ACTIVE',
    registeredAt: new Date(),
  });
  return { certificate: issued.der, etk };
}
