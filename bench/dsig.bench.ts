/**
 * Throughput of XML signature verification and signing, per core.
 *
 *   taskset -c 0 npx tsx bench/dsig.bench.ts [seconds-per-case]
 *
 * Target: ≥ 1,000 WS-Security verifications/s per core for a ~5 KB envelope, against ~156/s with
 * xml-crypto's SignedXml (docs/wire-facts.md §4.4). Figures are printed, not asserted: timings do not belong in unit tests.
 */
import { constants, sign, verify } from 'node:crypto';
import { createHierarchy } from '../test/support/dsig-test-pki.js';
import { TrustStore } from '../src/trust/index.js';
import { childElements, parseXmlStrict, type Element } from '../src/xml/parse.js';
import { signEnveloped, verifyEnvelopedSignature } from '../src/xml/dsig/enveloped.js';
import { signEnvelopeWsSecurity } from '../src/xml/dsig/ws-security-sign.js';
import { verifyWsSecurity } from '../src/xml/dsig/ws-security-verify.js';

const seconds = Number(process.argv[2] ?? 2);

async function measure(name: string, operation: () => unknown): Promise<void> {
  const warmUntil = Date.now() + 300;
  while (Date.now() < warmUntil) await operation();
  let count = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < end) {
    for (let i = 0; i < 20; i++) await operation();
    count += 20;
    now = process.hrtime.bigint();
  }
  const elapsed = Number(now - start) / 1e9;
  console.log(
    `${name.padEnd(58)} ${Math.round(count / elapsed)
      .toString()
      .padStart(7)} /s  ${((elapsed / count) * 1e6).toFixed(0).padStart(6)} µs`,
  );
}

const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';

/** A GetEtkRequest padded so that the signed envelope weighs about `targetBytes`. */
function etkEnvelope(padding: number): string {
  const criteria = Array.from(
    { length: padding },
    (_, i) =>
      `<SearchCriteria><Identifier><Type>CBE</Type><Value>08093944${String(i % 100).padStart(2, '0')}</Value><ApplicationID/></Identifier></SearchCriteria>`,
  ).join('');
  return `<soapenv:Envelope xmlns:soapenv="${SOAP}"><soapenv:Header/><soapenv:Body><ns2:GetEtkRequest xmlns:ns2="urn:be:fgov:ehealth:etkdepot:1_0:protocol">${criteria}</ns2:GetEtkRequest></soapenv:Body></soapenv:Envelope>`;
}

function certraEnvelope(padding: number): string {
  const contact = Array.from(
    { length: padding },
    (_, i) => `<ContactData><Name>Alice ${i}</Name><Email>alice${i}@example.be</Email><Phone>+32 2 000 00 ${String(i).padStart(2, '0')}</Phone></ContactData>`,
  ).join('');
  return (
    `<SOAP-ENV:Envelope xmlns:SOAP-ENV="${SOAP}"><SOAP-ENV:Body>` +
    `<ns2:GenerateCertificateRequest xmlns:ns2="urn:be:fgov:ehealth:certra:protocol:v2" xmlns="urn:be:fgov:ehealth:certra:core:v2" Id="_0d0e3c1a-6e1f-4bb8-9d2f-3b1f8e0a7c55" IssueInstant="2026-11-22T10:00:00.000+01:00">` +
    `${contact}</ns2:GenerateCertificateRequest></SOAP-ENV:Body></SOAP-ENV:Envelope>`
  );
}

const payloadOf = (xml: string): Element => childElements(childElements(parseXmlStrict(xml).documentElement!).at(-1)!)[0]!;

async function main(): Promise<void> {
  const pki = await createHierarchy('rsa-2048');
  const trust = new TrustStore({ anchors: [pki.root.der], intermediates: [pki.intermediate.der] });
  const key = pki.leaf.privateKey;
  const at = new Date();
  console.log(`node ${process.version}, RSA-2048 keys unless stated, ${seconds} s per case\n`);

  // WS-Security (ETKDepot _X509).
  let padding = 1;
  const wssOptions = { key, certificate: pki.leaf.der, mustUnderstand: false, timestampTtlSeconds: 3600, signBinarySecurityToken: true };
  while (Buffer.byteLength(signEnvelopeWsSecurity(etkEnvelope(padding), wssOptions)) < 5000) padding++;
  const wssInput = etkEnvelope(padding);
  const wssSigned = signEnvelopeWsSecurity(wssInput, wssOptions);
  const wssDocument = parseXmlStrict(wssSigned);
  await verifyWsSecurity(wssDocument, { trust, at }); // fails loudly if the setup is wrong
  console.log(`WS-Security: input ${Buffer.byteLength(wssInput)} B, signed envelope ${Buffer.byteLength(wssSigned)} B (Body, Timestamp and BST signed)`);
  await measure('verify: parse + verifyWsSecurity', () => verifyWsSecurity(parseXmlStrict(wssSigned), { trust, at }));
  await measure('verify: verifyWsSecurity on a parsed document', () => verifyWsSecurity(wssDocument, { trust, at }));
  await measure('parse only (parseXmlStrict)', () => parseXmlStrict(wssSigned));
  await measure('sign: signEnvelopeWsSecurity (parse, sign, serialise)', () => signEnvelopeWsSecurity(wssInput, wssOptions));

  const ec = await createHierarchy('ec-p256');
  const ecTrust = new TrustStore({ anchors: [ec.root.der], intermediates: [ec.intermediate.der] });
  const ecOptions = { ...wssOptions, key: ec.leaf.privateKey, certificate: ec.leaf.der };
  const ecSigned = signEnvelopeWsSecurity(wssInput, ecOptions);
  await verifyWsSecurity(parseXmlStrict(ecSigned), { trust: ecTrust, at });
  await measure('verify (ECDSA P-256): parse + verifyWsSecurity', () => verifyWsSecurity(parseXmlStrict(ecSigned), { trust: ecTrust, at }));
  await measure('sign (ECDSA P-256): signEnvelopeWsSecurity', () => signEnvelopeWsSecurity(wssInput, ecOptions));

  // RA v2 enveloped signature (CertRA / EtkRA).
  padding = 1;
  const sign1 = (xml: string) => signEnveloped(payloadOf(xml), { key, certificateChain: [pki.leaf.der, pki.intermediate.der, pki.root.der] });
  while (Buffer.byteLength(sign1(certraEnvelope(padding))) < 5000) padding++;
  const raInput = certraEnvelope(padding);
  const raSigned = sign1(raInput);
  const raPayload = payloadOf(raSigned);
  await verifyEnvelopedSignature(raPayload, { trust, at });
  console.log(`\nEnveloped (RA v2): input ${Buffer.byteLength(raInput)} B, signed envelope ${Buffer.byteLength(raSigned)} B (X509Data with 3 certificates)`);
  await measure('verify: parse + verifyEnvelopedSignature', () => verifyEnvelopedSignature(payloadOf(raSigned), { trust, at }));
  await measure('verify: verifyEnvelopedSignature on a parsed document', () => verifyEnvelopedSignature(raPayload, { trust, at }));
  await measure('sign: signEnveloped (parse, sign, serialise)', () => sign1(raInput));

  // Reference points.
  const data = Buffer.alloc(700, 1);
  const signature = sign('sha256', data, key);
  console.log('\nReference');
  await measure('TrustStore.validate (cached path)', () => trust.validate(pki.leaf.der, { at }));
  await measure('raw RSA-2048 PKCS#1 verify (node:crypto)', () =>
    verify('sha256', data, { key: pki.leaf.publicKey, padding: constants.RSA_PKCS1_PADDING }, signature),
  );
  await measure('raw RSA-2048 PKCS#1 sign (node:crypto)', () => sign('sha256', data, key));
}

await main();
