import { listOrphanIntents, type OrphanIntent } from '../../services/certificate-issuer.js';
import { defineListCommand, jsonDate, jsonId, type AdminCommand } from '../command.js';

/**
 * CA administration: the key-use journal. Every issuance commits its intent (serial, SHA-256 of the TBSCertificate)
 * before the CA key signs; an intent whose certificate was never recorded is an orphan, the trace of a key use that
 * produced no certificate on record (the caller rolled back after the signature, the process died, signing failed).
 */

function describeOrphan(o: OrphanIntent): string {
  const signed = o.signedAt ? ` signed ${o.signedAt.toISOString()}` : '';
  return `#${o.id} ${o.state} serial=${o.serialHex} issuer=${o.issuerKeyId} tbs-sha256=${o.tbsSha256Hex ?? '-'} intent ${o.intentAt?.toISOString() ?? '-'}${signed} profile=${o.profile} ski=${o.subjectKeyId} dn="${o.subjectDn}"`;
}

export const listOrphanIntentsCommand = defineListCommand({
  name: 'ca:intents:orphans',
  summary: 'uses of the CA key that left no recorded certificate (orphan issuance intents)',
  details: [
    'Each issuance commits its intent (serial, SHA-256 of the TBSCertificate to be signed) before the key signs, then',
    'records the certificate. Listed here: intents whose certificate was never recorded. State "intent": the outcome',
    'of the signature is unknown (the process died); "signed": the key signed it, then the caller rolled back or died;',
    '"sign_failed": the signer failed or produced something else. An issuance in progress also shows until it ends.',
  ].join('\n'),
  options: {},
  counted: 'orphan intent(s)',
  list: (context) => listOrphanIntents(context.db),
  text: describeOrphan,
  json: (o) => ({
    id: jsonId(o.id),
    state: o.state,
    issuerKeyId: o.issuerKeyId,
    serialHex: o.serialHex,
    tbsSha256: o.tbsSha256Hex,
    subjectKeyId: o.subjectKeyId,
    subjectDn: o.subjectDn,
    profile: o.profile,
    notBefore: jsonDate(o.notBefore),
    notAfter: jsonDate(o.notAfter),
    intentAt: jsonDate(o.intentAt),
    signedAt: jsonDate(o.signedAt),
  }),
});

/** The commands of this file, for the command index (src/cli/commands/index.ts). */
export const CA_COMMANDS: readonly AdminCommand[] = [listOrphanIntentsCommand];
