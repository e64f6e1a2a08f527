import { createServer } from 'node:net';
import { SAMPLE_PERSON_SUBJECT, sharedTestKey } from '../../src/ca/issuance/testing.js';
import { ehealthNaturalPerson } from '../../src/ca/profiles/builtin.js';
import { buildCsr } from '../../src/ca/x509/index.js';
import type { CertificateIssuer, IssuedRecord } from '../../src/services/certificate-issuer.js';
import type { Queryable } from '../../src/storage/database.js';

/** The contract DN of SAMPLE_PERSON_SUBJECT. */
export const SAMPLE_PERSON_DN = 'CN=SSIN\\=85073003328,OU=eHealth-platform Belgium,OU=JAN TEST,OU=SSIN\\=85073003328,O=Federal Government,C=BE';

/**
 * A natural-person eHealth certificate issued straight through the CertificateIssuer (lint, journal, registry; no
 * CertRA flow), for tests of what becomes of issued certificates (OCSP, CRL). `keySlot` picks a shared test key.
 */
export function issueSamplePersonCertificate(issuer: CertificateIssuer, db: Queryable, now: Date, keySlot: number): Promise<IssuedRecord> {
  return issuer.issueFromCsr(
    db,
    {
      csrDer: buildCsr(SAMPLE_PERSON_SUBJECT, sharedTestKey('RSA-2048', keySlot)),
      expectedSubjectDn: SAMPLE_PERSON_DN,
      profile: ehealthNaturalPerson,
      environment: 'acceptance',
      now,
    },
    'test',
  );
}

/** A TCP port free on 127.0.0.1 at the time of asking (for servers whose URL must be known before they start). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}
