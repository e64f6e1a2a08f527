import { ServiceError } from '../domain/errors.js';
import { descendantsNamed, parseXmlStrict, textOf } from '../xml/parse.js';
import { internalFault, renderFault, SOAP_FAULTS, SoapFault } from './fault.js';

function rendered(fault: SoapFault): { faultcode: string; faultstring: string; origin: string; code: string; message: string } {
  const document = parseXmlStrict(renderFault(fault, 'acceptance', 'req-1'));
  const text = (name: string): string => textOf(descendantsNamed(document, null, name)[0]!);
  return {
    faultcode: text('faultcode'),
    faultstring: text('faultstring'),
    origin: text('Origin'),
    code: text('Code'),
    message: text('Message'),
  };
}

describe('SOAP faults', () => {
  it('takes the faultcode from the kind: Client for what the caller sent, Server for our failures', () => {
    expect(Object.entries(SOAP_FAULTS).map(([code, kind]) => [code, kind.faultCode])).toEqual([
      ['MALFORMED_REQUEST', 'Client'],
      ['SCHEMA_INVALID', 'Client'],
      ['UNKNOWN_OPERATION', 'Client'],
      ['PAYLOAD_TOO_LARGE', 'Client'],
      ['DTD_FORBIDDEN', 'Client'],
      ['UNSUPPORTED_MEDIA_TYPE', 'Client'],
      ['WS_SECURITY_INVALID', 'Client'],
      ['WS_SECURITY_REQUIRED', 'Client'],
      ['VERSION_MISMATCH', 'VersionMismatch'],
      ['MUST_UNDERSTAND', 'MustUnderstand'],
      ['INTERNAL_ERROR', 'Server'],
      ['SERVICE_UNAVAILABLE', 'Server'],
    ]);
    expect(rendered(new SoapFault('VERSION_MISMATCH', 'use SOAP 1.1'))).toEqual({
      faultcode: 'soapenv:VersionMismatch',
      faultstring: 'use SOAP 1.1',
      origin: 'Client',
      code: 'VERSION_MISMATCH',
      message: 'use SOAP 1.1',
    });
  });

  it("answers the kind's text when the thrower gives none", () => {
    expect(rendered(new SoapFault('WS_SECURITY_REQUIRED'))).toMatchObject({
      faultcode: 'soapenv:Client',
      faultstring: 'This service only accepts requests signed with WS-Security (X.509)',
    });
  });

  it('never sends the cause of an internal failure, a ServiceError INTERNAL_ERROR included', () => {
    for (const error of [new Error('pool exhausted at db.ts:12'), new ServiceError('INTERNAL_ERROR', 'Internal error', { cause: new Error('HSM down') })]) {
      const fault = internalFault(error);
      expect(fault.cause).toBe(error);
      expect(rendered(fault)).toEqual({
        faultcode: 'soapenv:Server',
        faultstring: 'Internal error',
        origin: 'Server',
        code: 'INTERNAL_ERROR',
        message: 'Internal error',
      });
    }
  });
});
