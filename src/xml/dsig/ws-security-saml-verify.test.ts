import { XMLSerializer } from '@xmldom/xmldom';
import { createTestSts, holderOfKeyAssertion, signWithAssertion, type TestSts } from '../../../test/support/saml-hok.js';
import { descendantsNamed, parseXmlStrict } from '../parse.js';
import { WsSecurityError } from './errors.js';
import { SAML11_ASSERTION_NS, verifySamlHolderOfKey } from './ws-security-saml-verify.js';
import { SOAP11_NS, WSSE_NS } from './ws-security-constants.js';

/**
 * The SAML 1.1 holder-of-key verifier on messages laid out as the connector's: a valid one, then each kind of forgery
 * (edited assertion, attributes smuggled in, another assertion named, a wrapped Body, a bearer assertion).
 */
describe('SAML holder-of-key WS-Security', () => {
  let sts: TestSts;
  let holder: TestSts; // a key and certificate, standing in for the reader's eHealth credential
  const now = new Date();
  const envelope = `<soapenv:Envelope xmlns:soapenv="${SOAP11_NS}"><soapenv:Body><p:GetKeyRequest xmlns:p="urn:test"/></soapenv:Body></soapenv:Envelope>`;
  const attributes = [{ namespace: 'urn:be:fgov:certified-namespace:ehealth', name: 'urn:be:fgov:person:ssin:doctor:boolean', values: ['true'] }];

  beforeAll(() => {
    sts = createTestSts();
    holder = createTestSts();
  });
  afterAll(() => {
    sts.cleanup();
    holder.cleanup();
  });

  const message = (edit?: (xml: string) => string, assertionEdit?: (xml: string) => string) => {
    let assertion = holderOfKeyAssertion({ sts, holderCertificate: holder.certificate, attributes, now });
    if (assertionEdit) assertion = assertionEdit(assertion);
    const signed = signWithAssertion(envelope, assertion, holder.key, now);
    return parseXmlStrict(edit ? edit(signed) : signed);
  };
  const verify = (document: ReturnType<typeof message>) =>
    verifySamlHolderOfKey(document, { stsCertificates: [sts.certificate], at: now, clockSkewSeconds: 60 });
  const reasonOf = (document: ReturnType<typeof message>) => {
    try {
      verify(document);
      return 'verified';
    } catch (error) {
      if (error instanceof WsSecurityError) return error.reason;
      throw error;
    }
  };

  it('verifies a holder-of-key message: the holder certificate and the asserted attributes', () => {
    const verified = verify(message());
    expect(verified.holderCertificate).toEqual(holder.certificate);
    expect(verified.attributes).toEqual(attributes);
    expect(verified.issuer).toBe('urn:be:fgov:ehealth:sts:test');
  });

  it('refuses an assertion edited after the STS signed it (an attribute value changed)', () => {
    expect(reasonOf(message(undefined, (xml) => xml.replace('>true<', '>TRUE<')))).toBe('DIGEST_MISMATCH');
  });

  it('refuses an attribute smuggled in after signing, and an assertion of an STS not configured', () => {
    expect(
      reasonOf(
        message(undefined, (xml) =>
          xml.replace(
            '</saml:AttributeStatement>',
            '<saml:Attribute AttributeName="x" AttributeNamespace="y"><saml:AttributeValue>z</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>',
          ),
        ),
      ),
    ).toBe('DIGEST_MISMATCH');
    const document = message();
    expect(() => verifySamlHolderOfKey(document, { stsCertificates: [holder.certificate], at: now })).toThrow(/not signed by a configured STS certificate/);
  });

  it('refuses a message whose signature names another assertion, and a Body wrapped behind a second one', () => {
    expect(reasonOf(message((xml) => xml.replace(/(<wsse:KeyIdentifier[^>]*>)[^<]+/, '$1_other')))).toBe('BAD_KEY_INFO');
    const wrapped = message();
    const body = descendantsNamed(wrapped, SOAP11_NS, 'Body')[0]!;
    const security = descendantsNamed(wrapped, WSSE_NS, 'Security')[0]!;
    security.appendChild(body.cloneNode(true));
    expect(reasonOf(parseXmlStrict(new XMLSerializer().serializeToString(wrapped)))).toBe('MALFORMED');
  });

  it('refuses a bearer assertion (no holder-of-key confirmation) and an assertion outside its validity', () => {
    const bearer = holderOfKeyAssertion({
      sts,
      holderCertificate: holder.certificate,
      attributes,
      now,
      confirmationMethod: 'urn:oasis:names:tc:SAML:1.0:cm:bearer',
    });
    expect(() => verify(parseXmlStrict(signWithAssertion(envelope, bearer, holder.key, now)))).toThrow(/not holder-of-key/);
    const document = message();
    expect(() => verifySamlHolderOfKey(document, { stsCertificates: [sts.certificate], at: new Date(now.getTime() + 2 * 3600_000) })).toThrow(/expired/);
    expect(descendantsNamed(document, SAML11_ASSERTION_NS, 'Assertion')).toHaveLength(1);
  });
});
