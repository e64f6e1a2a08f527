import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mintCitizenIdentity } from '../../ca/hierarchy/index.js';
import { toPem } from '../../ca/x509/index.js';
import { isValidSsin } from '../../identifiers/index.js';
import { auditLog } from '../../storage/certificate-registry.js';
import { optionalOption, requiredOption, type AdminCommand } from '../admin-context.js';

/**
 * Mints a development eID-like identity (Signature + Authentication certificates from the test citizen CA) and
 * writes PEM files a test client can sign with. Refused when no test citizen CA exists (production).
 */
export const mintIdentityCommand: AdminCommand = {
  name: 'identity:mint',
  summary: '--ssin N --given-name G --surname S --out DIR   development eID identity (PEM files)',
  async run(context, options, out) {
    const ssin = requiredOption(options, 'ssin');
    if (!isValidSsin(ssin)) throw new Error(`${ssin} is not a valid SSIN`);
    const citizenCa = context.ca.citizenCa;
    if (!citizenCa) throw new Error('no test citizen CA: development identities exist only with the development hierarchy');
    const directory = requiredOption(options, 'out');
    const identity = await mintCitizenIdentity(
      { ssin, givenName: optionalOption(options, 'given-name') ?? 'Test', surname: optionalOption(options, 'surname') ?? 'Citizen' },
      citizenCa,
    );
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    const chainPem = identity.chain.map((der) => toPem(der, 'CERTIFICATE')).join('');
    for (const [role, credential] of [['signature', identity.signature], ['authentication', identity.authentication]] as const) {
      writeFileSync(join(directory, `${role}.key.pem`), credential.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
      writeFileSync(join(directory, `${role}.cert.pem`), toPem(credential.certificate, 'CERTIFICATE'));
    }
    writeFileSync(join(directory, 'chain.pem'), chainPem);
    await auditLog.record(context.db, { actor: context.operator, action: 'identity.mint', subject: ssin });
    out(`minted development identity for SSIN ${ssin} in ${directory} (signature.*, authentication.*, chain.pem)`);
  },
};
