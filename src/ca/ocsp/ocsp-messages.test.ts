import { createHash } from 'node:crypto';
import { BasicOCSPResponse, CertID, OCSPRequest, OCSPResponse, Request, TBSRequest } from '@peculiar/asn1-ocsp';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Extension } from '@peculiar/asn1-x509';
import { parseCertificate } from '../../x509/certificate.js';
import { OID } from '../../x509/oids.js';
import { createTestHierarchy, sharedTestKey } from '../issuance/testing.js';
import { createKeyObjectSigner } from '../keys/key-signer.js';
import { splitSpki } from '../x509/public-key.js';
import {
  buildOcspResponse,
  certIdHashesOf,
  MAX_CERT_IDS_PER_REQUEST,
  OcspMalformedRequestError,
  ocspErrorResponse,
  parseOcspRequest,
} from './ocsp-messages.js';

function certId(options: { hash?: string; nameHash?: Buffer; keyHash?: Buffer; serial?: Buffer } = {}): CertID {
  return new CertID({
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: options.hash ?? OID.sha1, parameters: null }),
    issuerNameHash: new OctetString(options.nameHash ?? Buffer.alloc(20, 1)),
    issuerKeyHash: new OctetString(options.keyHash ?? Buffer.alloc(20, 2)),
    serialNumber: new Uint8Array(options.serial ?? Buffer.from('00ab12', 'hex')).buffer,
  });
}

function request(ids: CertID[], extensions?: Extension[]): Buffer {
  return Buffer.from(
    AsnConvert.serialize(
      new OCSPRequest({
        tbsRequest: new TBSRequest({ requestList: ids.map((id) => new Request({ reqCert: id })), ...(extensions ? { requestExtensions: extensions } : {}) }),
      }),
    ),
  );
}

const nonce = (octets: number) =>
  new Extension({ extnID: OID.ocspNonce, critical: false, extnValue: new OctetString(AsnConvert.serialize(new OctetString(Buffer.alloc(octets, 7)))) });

describe('OCSP request parsing', () => {
  it('reads every CertID (hash, issuer hashes, serial without leading zeros) and the nonce', () => {
    const parsed = parseOcspRequest(
      request([certId(), certId({ hash: OID.sha256, nameHash: Buffer.alloc(32, 3), keyHash: Buffer.alloc(32, 4) })], [nonce(16)]),
    );
    expect(parsed.certIds.map(({ hash, serialHex, issuerNameHashHex }) => ({ hash, serialHex, issuerNameHashHex }))).toEqual([
      { hash: 'SHA-1', serialHex: 'ab12', issuerNameHashHex: '01'.repeat(20) },
      { hash: 'SHA-256', serialHex: 'ab12', issuerNameHashHex: '03'.repeat(32) },
    ]);
    expect(parsed.nonce?.extnID).toBe(OID.ocspNonce);
  });

  it.each([
    ['an empty body', Buffer.alloc(0), /empty request/],
    ['not DER', Buffer.from('hello'), /not a DER OCSPRequest/],
    ['trailing bytes', Buffer.concat([request([certId()]), Buffer.from([0])]), /bytes after the OCSPRequest/],
    ['no CertID', request([]), /names no certificate/],
    ['too many CertIDs', request(Array.from({ length: MAX_CERT_IDS_PER_REQUEST + 1 }, () => certId())), /more than 64/],
    ['MD5 CertID', request([certId({ hash: '1.2.840.113549.2.5' })]), /not SHA-1 or SHA-256/],
    ['SHA-256 named, SHA-1 sized hashes', request([certId({ hash: OID.sha256 })]), /not SHA-256 digests/],
    ['an empty serial', request([certId({ serial: Buffer.alloc(0) })]), /serial number out of range/],
    ['a 33-octet nonce', request([certId()], [nonce(33)]), /nonce of 33 octets/],
  ])('refuses %s as malformed', (_name, der, message) => {
    expect(() => parseOcspRequest(der)).toThrow(OcspMalformedRequestError);
    expect(() => parseOcspRequest(der)).toThrow(message);
  });

  it('refuses as malformed hash parameters that parse but do not re-encode (a zero-length UTCTime: found by the fuzzer)', () => {
    const der = request([certId()], [nonce(16)]);
    const nullAt = der.indexOf(Buffer.from([0x05, 0x00]));
    der[nullAt] = 0x17;
    expect(() => parseOcspRequest(der)).toThrow(OcspMalformedRequestError);
  });

  it('a byte of a request changed into any universal tag, a structure tag or a neighbour value parses, or is refused as malformed: never another error', () => {
    const valid = request([certId()], [nonce(16)]);
    const unexpected: string[] = [];
    // Every universal tag number (primitive), SEQUENCE, SET, context tags, extremes: what re-types an element.
    const replacements = [...Array.from({ length: 32 }, (_, i) => i), 0x30, 0x31, 0x80, 0x81, 0x82, 0xa0, 0xa1, 0xa2, 0xa3, 0x7f, 0xff];
    for (let index = 0; index < valid.length; index++) {
      for (const byte of new Set([...replacements, (valid[index]! + 1) & 0xff, (valid[index]! + 255) & 0xff])) {
        const mutated = Buffer.from(valid);
        mutated[index] = byte;
        try {
          parseOcspRequest(mutated);
        } catch (error) {
          if (!(error instanceof OcspMalformedRequestError)) unexpected.push(`byte ${index} = ${byte}: ${(error as Error).message}`);
        }
      }
    }
    expect(unexpected).toEqual([]);
  });
});

describe('OCSP response building', () => {
  it('hashes the issuer as CertIDs do: its DER name and its public key bit string', async () => {
    const { issuing } = await createTestHierarchy({ now: new Date() });
    const fields = parseCertificate(issuing.certificateDer);
    const { nameHashHex, keyHashHex } = certIdHashesOf(fields, 'SHA-256');
    expect(nameHashHex).toBe(createHash('sha256').update(fields.subjectDer).digest('hex'));
    expect(keyHashHex).toBe(createHash('sha256').update(splitSpki(fields.spkiDer).subjectPublicKey).digest('hex'));
    expect(certIdHashesOf(fields, 'SHA-1').keyHashHex).toBe(createHash('sha1').update(splitSpki(fields.spkiDer).subjectPublicKey).digest('hex'));
  });

  it('signs good, revoked (time and reason) and unknown answers by key hash, echoing the nonce', async () => {
    const { issuing } = await createTestHierarchy({ now: new Date() });
    const signer = createKeyObjectSigner(sharedTestKey('RSA-2048', 5), 'responder');
    const now = new Date('2026-12-05T10:00:00.750Z');
    const nextUpdate = new Date('2026-12-06T10:00:00Z');
    const echoed = nonce(16);
    const der = await buildOcspResponse(
      { certificate: issuing.certificateDer, signer },
      {
        producedAt: now,
        nonce: echoed,
        answers: [
          { certId: certId(), status: { status: 'good' }, thisUpdate: now, nextUpdate },
          {
            certId: certId(),
            status: { status: 'revoked', revokedAt: new Date('2026-01-02T03:04:05Z'), reason: 'keyCompromise' },
            thisUpdate: now,
            nextUpdate,
          },
          { certId: certId(), status: { status: 'unknown' }, thisUpdate: now, nextUpdate },
        ],
      },
    );
    const response = AsnConvert.parse(der, OCSPResponse);
    expect(response.responseStatus).toBe(0);
    expect(response.responseBytes!.responseType).toBe(OID.ocspBasic);
    const basic = AsnConvert.parse(response.responseBytes!.response.buffer, BasicOCSPResponse);
    const data = basic.tbsResponseData;
    expect(Buffer.from(data.responderID.byKey!.buffer)).toEqual(createHash('sha1').update(splitSpki(signer.publicKeySpki).subjectPublicKey).digest());
    expect(data.producedAt).toEqual(new Date('2026-12-05T10:00:00Z')); // whole seconds
    expect(data.responses.map((r) => (r.certStatus.good === null ? 'good' : r.certStatus.revoked ? 'revoked' : 'unknown'))).toEqual([
      'good',
      'revoked',
      'unknown',
    ]);
    expect(data.responses[1]!.certStatus.revoked!.revocationReason!.reason).toBe(1);
    expect(data.responses[1]!.certStatus.revoked!.revocationTime).toEqual(new Date('2026-01-02T03:04:05Z'));
    expect(Buffer.from(AsnConvert.serialize(data.responseExtensions![0]!))).toEqual(Buffer.from(AsnConvert.serialize(echoed)));
    expect(basic.certs).toHaveLength(1);
  });

  it('makes unsigned error responses of one status each', () => {
    expect(ocspErrorResponse('malformedRequest')).toEqual(Buffer.from([0x30, 0x03, 0x0a, 0x01, 0x01]));
    expect(ocspErrorResponse('unauthorized')).toEqual(Buffer.from([0x30, 0x03, 0x0a, 0x01, 0x06]));
    expect(ocspErrorResponse('internalError')).toEqual(Buffer.from([0x30, 0x03, 0x0a, 0x01, 0x02]));
  });
});
