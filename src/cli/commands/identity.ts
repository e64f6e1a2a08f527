import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mintCitizenIdentity } from '../../ca/hierarchy/index.js';
import { toPem } from '../../ca/x509/index.js';
import { isValidSsin } from '../../identifiers/index.js';
import { auditLog } from '../../storage/certificate-registry.js';
import { defineCommand, UsageError } from '../command.js';

/**
 * Mints a development eID-like identity (Signature + Authentication certificates from the test citizen CA) and
 * writes PEM files a test client can sign with. Refused when no test citizen CA exists (production).
 */
export const mintIdentityCommand = defineCommand({
  name: 'identity:mint',
  summary: 'development eID identity (PEM files)',
  details: 'Writes signature.key.pem, signature.cert.pem, authentication.key.pem, authentication.cert.pem and chain.pem.',
  options: {
    ssin: { type: 'string', required: true, placeholder: 'SSIN', description: 'national register number of the identity' },
    'given-name': { type: 'string', placeholder: 'G', default: 'Test', description: 'given name(s) in the certificates' },
    surname: { type: 'string', placeholder: 'S', default: 'Citizen', description: 'surname in the certificates' },
    out: { type: 'string', required: true, placeholder: 'DIR', description: 'directory for the PEM files (created, mode 0700)' },
  },
  async run(context, options, out) {
    const ssin = options.ssin;
    if (!isValidSsin(ssin)) throw new UsageError(`${ssin} is not a valid SSIN`);
    const citizenCa = context.ca.citizenCa;
    if (!citizenCa) throw new Error('no test citizen CA: development identities exist only with the development hierarchy');
    const directory = options.out;
    const identity = await mintCitizenIdentity({ ssin, givenName: options['given-name'], surname: options.surname }, citizenCa);
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    const chainPem = identity.chain.map((der) => toPem(der, 'CERTIFICATE')).join('');
    for (const [role, credential] of [
      ['signature', identity.signature],
      ['authentication', identity.authentication],
    ] as const) {
      writeFileSync(join(directory, `${role}.key.pem`), credential.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
      writeFileSync(join(directory, `${role}.cert.pem`), toPem(credential.certificate, 'CERTIFICATE'));
    }
    writeFileSync(join(directory, 'chain.pem'), chainPem);
    await auditLog.record(context.db, { actor: context.operator, action: 'identity.mint', subject: ssin });
    out(`minted development identity for SSIN ${ssin} in ${directory} (signature.*, authentication.*, chain.pem)`);
  },
});
