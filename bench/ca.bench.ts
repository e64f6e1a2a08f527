/**
 * CA throughput: `npx tsx bench/ca.bench.ts` (npm run bench:ca).
 *
 *  1. certificates/s with a file key (KeyObject signer), CSR → prepare (checks, build, lint) → issue, next to a naive
 *     @peculiar/x509 `X509CertificateGenerator.create` loop measured in the same run (target: ≥ 2× naive);
 *  2. the same with a SoftHSM2 PKCS#11 key (target: ≥ 200/s), when softhsm2 is installed;
 *  3. building a CRL with 100,000 revoked entries (target: < 2 s).
 *
 * Rates are medians of interleaved rounds, so background load hits both sides of a comparison alike.
 * Exit code 1 when a measured target is missed. BENCH_SECONDS (default 2) sets the length of a round.
 */
import 'reflect-metadata';
import { loadavg, cpus } from 'node:os';
import { webcrypto, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { buildCrl, type RevokedCertificateEntry } from '../src/ca/crl/index.js';
import { issue, prepareFromCsr, prepareFromTemplate, type IssuerInput } from '../src/ca/issuance/index.js';
import { createTestHierarchy, SAMPLE_PERSON_SUBJECT, sharedTestKey, spkiOf, type TestCa } from '../src/ca/issuance/testing.js';
import { generateTokenKeyPair, openPkcs11KeySigner } from '../src/ca/keys/pkcs11-key.js';
import type { KeySigner } from '../src/ca/keys/key-signer.js';
import { ehealthIssuingCa, ehealthNaturalPerson } from '../src/ca/profiles/builtin.js';
import { buildCsr } from '../src/ca/x509/index.js';
import { createSoftHsmToken } from '../test/support/softhsm.js';

const ROUND_SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = 3;

const SUBJECT = SAMPLE_PERSON_SUBJECT;
const EXPECTED_DN = 'CN=SSIN\\=85073003328,OU=eHealth-platform Belgium,OU=JAN TEST,OU=SSIN\\=85073003328,O=Federal Government,C=BE';

type Operation = () => Promise<unknown>;

/** Operations per second over one round, after a short warm-up. */
async function rate(operation: Operation, seconds = ROUND_SECONDS): Promise<number> {
  for (let i = 0; i < 20; i++) await operation();
  let count = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    await operation();
    count++;
  }
  return count / ((performance.now() - start) / 1000);
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Interleaved rounds of several operations; the median rate of each. */
async function compare(operations: Record<string, Operation>): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(operations).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, operation] of Object.entries(operations)) samples[name]!.push(await rate(operation));
  }
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
}

function csrIssuance(issuer: IssuerInput, csrDer: Buffer): Operation {
  return async () =>
    issue(await prepareFromCsr({ csrDer, expectedSubjectDn: EXPECTED_DN, profile: ehealthNaturalPerson, environment: 'production', now: new Date(), issuer }));
}

/** The naive path: @peculiar/x509 builds, encodes and signs everything on every call (WebCrypto key). */
async function naiveIssuance(issuing: TestCa, leafKey: KeyObject): Promise<Operation> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const signingKey = await webcrypto.subtle.importKey('pkcs8', issuing.privateKey.export({ type: 'pkcs8', format: 'der' }), algorithm, false, ['sign']);
  const publicKey = await webcrypto.subtle.importKey('spki', spkiOf(leafKey), algorithm, true, ['verify']);
  const ca = new x509.X509Certificate(issuing.certificateDer);
  const caSki = ca.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId;
  let serial = 0x1000;
  return async () =>
    x509.X509CertificateGenerator.create({
      serialNumber: (serial++).toString(16).padStart(32, '1'),
      subject: 'C=BE, O=Federal Government, OU=SSIN=85073003328, OU=JAN TEST, OU=eHealth-platform Belgium, CN=SSIN=85073003328',
      issuer: ca.subjectName,
      publicKey,
      signingKey,
      signingAlgorithm: algorithm,
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 3 * 365 * 86_400_000),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.dataEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
        await x509.SubjectKeyIdentifierExtension.create(publicKey),
        new x509.AuthorityKeyIdentifierExtension(caSki),
        new x509.CRLDistributionPointsExtension(['http://pki.example.test/crl/issuing.crl']),
        new x509.AuthorityInfoAccessExtension({ caIssuers: ['http://pki.example.test/certs/issuing.cer'] }),
      ],
    });
}

/**
 * The PKCS#11 plug-in: an issuing CA whose key lives on a fresh SoftHSM2 token. Returns undefined (with the reason)
 * when SoftHSM is not available. Swap this one function to bench another token.
 */
async function openPkcs11Issuer(root: TestCa): Promise<{ issuer: IssuerInput; close(): Promise<void> } | { skipped: string }> {
  let token: Awaited<ReturnType<typeof createSoftHsmToken>>;
  try {
    token = await createSoftHsmToken({ label: 'bench-ca' });
  } catch (error) {
    return { skipped: error instanceof Error ? error.message : String(error) };
  }
  process.env.BENCH_HSM_PIN = token.pin;
  const location = { module: token.modulePath, tokenLabel: token.label, pinEnv: 'BENCH_HSM_PIN' };
  const { publicKeySpki } = await generateTokenKeyPair(location, { algorithm: 'RSA', keyId: 'b1', keyLabel: 'bench-issuing' });
  const signer = await openPkcs11KeySigner({ ...location, keyId: 'b1' });
  const certificate = await issue(
    await prepareFromTemplate({
      profile: ehealthIssuingCa,
      environment: 'production',
      now: new Date(),
      subject: [
        { type: 'C', value: 'BE' },
        { type: 'O', value: 'Federal Government' },
        { type: 'OU', value: 'eHealth-platform Belgium' },
        { type: 'CN', value: 'Bench HSM CA' },
      ],
      subjectPublicKeySpki: publicKeySpki,
      issuer: root.issuer,
    }),
  );
  const issuer: IssuerInput = {
    certificateDer: certificate.der,
    signer: signer as KeySigner,
    crlUrl: 'http://pki.example.test/crl/hsm.crl',
    caIssuersUrl: 'http://pki.example.test/certs/hsm.cer',
  };
  return {
    issuer,
    async close() {
      await signer.close();
      await token.cleanup();
    },
  };
}

async function crlBuildSeconds(issuing: TestCa, count: number): Promise<number> {
  const now = new Date();
  const entries: RevokedCertificateEntry[] = [];
  for (let i = 0; i < count; i++) {
    entries.push({
      serialNumber: (0x4000_0000_0000_0000_0000_0000_0000_0000n + BigInt(i) * 7919n).toString(16),
      revocationDate: now,
      reason: i % 3 === 0 ? 'keyCompromise' : 'superseded',
    });
  }
  const start = performance.now();
  const der = await buildCrl(
    { certificate: issuing.certificateDer, signer: issuing.signer },
    { thisUpdate: now, nextUpdate: new Date(now.getTime() + 7 * 86_400_000), crlNumber: 1, entries },
  );
  const seconds = (performance.now() - start) / 1000;
  console.log(`  CRL with ${count.toLocaleString('en')} entries: ${(der.length / 1024 / 1024).toFixed(1)} MiB DER`);
  return seconds;
}

const verdict = (ok: boolean): string => (ok ? 'MET' : 'MISSED');

async function main(): Promise<void> {
  console.log(
    `CA bench: node ${process.version}, ${cpus().length} CPU(s), load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, ${ROUNDS} rounds × ${ROUND_SECONDS}s`,
  );
  const { root, issuing } = await createTestHierarchy({ now: new Date() });
  const leafKey = sharedTestKey('RSA-2048', 1);
  const csrDer = buildCsr(SUBJECT, leafKey);
  const results: { target: string; ok: boolean | undefined; detail: string }[] = [];

  console.log('\n1. File key (KeyObject), RSA-2048 issuing CA, eHealth person certificate');
  const rates = await compare({
    naive: await naiveIssuance(issuing, leafKey),
    csr: csrIssuance(issuing.issuer, csrDer),
    template: async () =>
      issue(
        await prepareFromTemplate({
          subject: SUBJECT,
          subjectPublicKeySpki: spkiOf(leafKey),
          profile: ehealthNaturalPerson,
          environment: 'production',
          now: new Date(),
          issuer: issuing.issuer,
        }),
      ),
  });
  console.log(`  naive X509CertificateGenerator.create: ${rates.naive!.toFixed(0)}/s`);
  console.log(`  prepareFromCsr + lint + issue:        ${rates.csr!.toFixed(0)}/s (${(rates.csr! / rates.naive!).toFixed(2)}× naive)`);
  console.log(`  prepareFromTemplate + lint + issue:   ${rates.template!.toFixed(0)}/s (${(rates.template! / rates.naive!).toFixed(2)}× naive)`);
  results.push({ target: 'file key ≥ 2× naive (CSR path)', ok: rates.csr! >= 2 * rates.naive!, detail: `${(rates.csr! / rates.naive!).toFixed(2)}×` });

  console.log('\n2. SoftHSM2 PKCS#11 key');
  const hsm = await openPkcs11Issuer(root);
  if ('skipped' in hsm) {
    console.log(`  skipped: ${hsm.skipped}`);
    results.push({ target: 'SoftHSM ≥ 200/s', ok: undefined, detail: 'not measured' });
  } else {
    try {
      const { hsmCsr } = await compare({ hsmCsr: csrIssuance(hsm.issuer, csrDer) });
      console.log(`  prepareFromCsr + lint + issue: ${hsmCsr!.toFixed(0)}/s`);
      results.push({ target: 'SoftHSM ≥ 200/s', ok: hsmCsr! >= 200, detail: `${hsmCsr!.toFixed(0)}/s` });
    } finally {
      await hsm.close();
    }
  }

  console.log('\n3. CRL');
  await crlBuildSeconds(issuing, 1_000); // warm-up
  const seconds = await crlBuildSeconds(issuing, 100_000);
  console.log(`  build + sign: ${seconds.toFixed(2)} s`);
  results.push({ target: 'CRL 100k < 2 s', ok: seconds < 2, detail: `${seconds.toFixed(2)} s` });

  console.log('\nTargets');
  for (const r of results) console.log(`  ${r.ok === undefined ? 'SKIPPED' : verdict(r.ok)}  ${r.target}  (${r.detail})`);
  if (results.some((r) => r.ok === false)) process.exitCode = 1;
}

await main();
