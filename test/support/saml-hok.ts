import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, randomUUID, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLSerializer } from '@xmldom/xmldom';
import { escapeAttribute } from '../../src/xml/builder.js';
import { DSIG_NS } from '../../src/xml/dsig/algorithms.js';
import { canonicalizeExclusive } from '../../src/xml/dsig/canonicalize.js';
import { signCanonical } from '../../src/xml/dsig/signing.js';
import { SOAP11_NS, WSSE_NS, WSU_NS } from '../../src/xml/dsig/ws-security-constants.js';
import { SAML11_ASSERTION_NS, SAML11_HOLDER_OF_KEY } from '../../src/xml/dsig/ws-security-saml-verify.js';
import { descendantsNamed, parseXmlStrict, type Element } from '../../src/xml/parse.js';

/**
 * A test STS and the SAML 1.1 holder-of-key messages the technical connector sends with its assertions (KGSS
 * GetKey): the STS signs the assertion (enveloped, exc-c14n, over #AssertionID), the holder signs Timestamp and Body
 * with the key the assertion confirms, naming the assertion by STR/KeyIdentifier …#SAMLAssertionID.
 */

export interface TestSts {
  readonly certificate: Buffer;
  readonly key: KeyObject;
  readonly pemFile: string;
  cleanup(): void;
}

/** A self-signed STS certificate made by OpenSSL. */
export function createTestSts(): TestSts {
  const dir = mkdtempSync(join(tmpdir(), 'sts-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'sts.key'),
      '-out',
      join(dir, 'sts.pem'),
      '-subj',
      '/C=BE/O=Test/CN=Test STS',
      '-days',
      '2',
    ],
    {
      stdio: 'ignore',
    },
  );
  return {
    certificate: Buffer.from(new X509Certificate(readFileSync(join(dir, 'sts.pem'))).raw),
    key: createPrivateKey(readFileSync(join(dir, 'sts.key'))),
    pemFile: join(dir, 'sts.pem'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface SamlAttributeInput {
  readonly namespace: string;
  readonly name: string;
  readonly values: readonly string[];
}

const iso = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

function fill(element: Element, localName: string, text: string): void {
  descendantsNamed(element, DSIG_NS, localName)[0]!.textContent = text;
}

/** A SAML 1.1 holder-of-key assertion about the holder certificate, signed by the STS. */
export function holderOfKeyAssertion(input: {
  sts: TestSts;
  holderCertificate: Buffer;
  attributes: readonly SamlAttributeInput[];
  now: Date;
  validSeconds?: number;
  signWith?: { certificate: Buffer; key: KeyObject };
  /** Default holder-of-key; a bearer assertion for negative tests. */
  confirmationMethod?: string;
}): string {
  const id = `_${randomUUID().replace(/-/g, '')}`;
  const notOnOrAfter = new Date(input.now.getTime() + (input.validSeconds ?? 3600) * 1000);
  const signer = input.signWith ?? input.sts;
  const confirmation = `<saml:SubjectConfirmation><saml:ConfirmationMethod>${input.confirmationMethod ?? SAML11_HOLDER_OF_KEY}</saml:ConfirmationMethod><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${input.holderCertificate.toString('base64')}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></saml:SubjectConfirmation>`;
  const subject = `<saml:Subject><saml:NameIdentifier Format="urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName">holder</saml:NameIdentifier>${confirmation}</saml:Subject>`;
  const attributes = input.attributes
    .map(
      (a) =>
        `<saml:Attribute AttributeName="${escapeAttribute(a.name)}" AttributeNamespace="${escapeAttribute(a.namespace)}">${a.values.map((v) => `<saml:AttributeValue>${escapeAttribute(v)}</saml:AttributeValue>`).join('')}</saml:Attribute>`,
    )
    .join('');
  const xml =
    `<saml:Assertion xmlns:saml="${SAML11_ASSERTION_NS}" xmlns:ds="${DSIG_NS}" AssertionID="${id}" IssueInstant="${iso(input.now)}" Issuer="urn:be:fgov:ehealth:sts:test" MajorVersion="1" MinorVersion="1">` +
    `<saml:Conditions NotBefore="${iso(new Date(input.now.getTime() - 60_000))}" NotOnOrAfter="${iso(notOnOrAfter)}"/>` +
    `<saml:AuthenticationStatement AuthenticationInstant="${iso(input.now)}" AuthenticationMethod="urn:oasis:names:tc:SAML:1.0:am:X509-PKI">${subject}</saml:AuthenticationStatement>` +
    `<saml:AttributeStatement>${subject}${attributes}</saml:AttributeStatement>` +
    '</saml:Assertion>';
  const document = parseXmlStrict(xml);
  const assertion = document.documentElement!;
  const digest = createHash('sha256').update(canonicalizeExclusive(assertion)).digest('base64');
  const signature = parseXmlStrict(
    `<ds:Signature xmlns:ds="${DSIG_NS}"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#${id}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>${digest}</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${signer.certificate.toString('base64')}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>`,
  ).documentElement!;
  const imported = document.importNode(signature, true) as unknown as Element;
  // SAML 1.1: the signature follows the statements.
  assertion.appendChild(imported);
  const signedInfo = descendantsNamed(imported, DSIG_NS, 'SignedInfo')[0]!;
  fill(imported, 'SignatureValue', signCanonical('rsa-sha256', signer.key, canonicalizeExclusive(signedInfo)).toString('base64'));
  return new XMLSerializer().serializeToString(document);
}

/** The envelope with Security = Timestamp, assertion, and the holder's signature over Timestamp and Body. */
export function signWithAssertion(envelopeXml: string, assertionXml: string, holderKey: KeyObject, now: Date): string {
  const document = parseXmlStrict(envelopeXml);
  const envelope = document.documentElement!;
  const body = descendantsNamed(document, SOAP11_NS, 'Body')[0]!;
  let header = descendantsNamed(document, SOAP11_NS, 'Header')[0];
  if (!header) {
    header = document.createElementNS(SOAP11_NS, `${envelope.prefix}:Header`);
    envelope.insertBefore(header, body);
  }
  const assertion = parseXmlStrict(assertionXml).documentElement!;
  const assertionId = assertion.getAttribute('AssertionID')!;
  const created = iso(now);
  const expires = iso(new Date(now.getTime() + 60_000));
  const security = parseXmlStrict(
    `<wsse:Security xmlns:wsse="${WSSE_NS}" xmlns:wsu="${WSU_NS}" ${envelope.prefix}:mustUnderstand="1" xmlns:${envelope.prefix}="${SOAP11_NS}"><wsu:Timestamp wsu:Id="TS-1"><wsu:Created>${created}</wsu:Created><wsu:Expires>${expires}</wsu:Expires></wsu:Timestamp></wsse:Security>`,
  ).documentElement!;
  const importedSecurity = document.importNode(security, true) as unknown as Element;
  header.appendChild(importedSecurity);
  importedSecurity.appendChild(document.importNode(assertion, true));
  body.setAttributeNS('http://www.w3.org/2000/xmlns/', 'xmlns:wsu', WSU_NS);
  body.setAttributeNS(WSU_NS, 'wsu:Id', 'id-body');
  const timestamp = descendantsNamed(importedSecurity, WSU_NS, 'Timestamp')[0]!;
  const digest = (element: Element) => createHash('sha256').update(canonicalizeExclusive(element)).digest('base64');
  const reference = (id: string, element: Element) =>
    `<ds:Reference URI="#${id}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>${digest(element)}</ds:DigestValue></ds:Reference>`;
  const signature = parseXmlStrict(
    `<ds:Signature xmlns:ds="${DSIG_NS}"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>${reference('TS-1', timestamp)}${reference('id-body', body)}</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><wsse:SecurityTokenReference xmlns:wsse="${WSSE_NS}"><wsse:KeyIdentifier ValueType="http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.0#SAMLAssertionID">${assertionId}</wsse:KeyIdentifier></wsse:SecurityTokenReference></ds:KeyInfo></ds:Signature>`,
  ).documentElement!;
  const importedSignature = document.importNode(signature, true) as unknown as Element;
  importedSecurity.appendChild(importedSignature);
  const signedInfo = descendantsNamed(importedSignature, DSIG_NS, 'SignedInfo')[0]!;
  fill(importedSignature, 'SignatureValue', signCanonical('rsa-sha256', holderKey, canonicalizeExclusive(signedInfo)).toString('base64'));
  return new XMLSerializer().serializeToString(document);
}
