import { AsnConvert } from '@peculiar/asn1-schema';
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';
import { DerError, TAG, childrenOf, decodeOid, expectTag, readSingleTlv, readTlv, tlvValue } from './der.js';

/** The attribute types our profiles use. Anything else in a subject is refused by the DN-form rule. */
export type DnAttributeType = 'C' | 'ST' | 'L' | 'O' | 'OU' | 'CN' | 'SERIALNUMBER' | 'GIVENNAME' | 'SN' | 'ORGANIZATIONIDENTIFIER';

export const DN_ATTRIBUTE_OIDS: Readonly<Record<DnAttributeType, string>> = {
  C: '2.5.4.6',
  ST: '2.5.4.8',
  L: '2.5.4.7',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  CN: '2.5.4.3',
  SERIALNUMBER: '2.5.4.5',
  GIVENNAME: '2.5.4.42',
  SN: '2.5.4.4',
  ORGANIZATIONIDENTIFIER: '2.5.4.97',
};

const TYPE_BY_OID: ReadonlyMap<string, DnAttributeType> = new Map(
  Object.entries(DN_ATTRIBUTE_OIDS).map(([type, oid]) => [oid, type as DnAttributeType]),
);

export function dnAttributeTypeOf(oid: string): DnAttributeType | undefined {
  return TYPE_BY_OID.get(oid);
}

/** X.520 defines countryName and serialNumber as PrintableString; every other type is emitted as UTF8String (RFC 5280 §4.1.2.4). */
export const PRINTABLE_STRING_TYPES: ReadonlySet<DnAttributeType> = new Set(['C', 'SERIALNUMBER']);

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
export const isPrintableString = (value: string): boolean => PRINTABLE.test(value);

export interface DnAttribute {
  readonly type: DnAttributeType;
  readonly value: string;
}

/** A distinguished name in encoded (DER) order, one attribute per RDN. */
export type DnSequence = readonly DnAttribute[];

export function encodeName(dn: DnSequence): Name {
  return new Name(
    dn.map((attribute) => {
      const printable = PRINTABLE_STRING_TYPES.has(attribute.type);
      if (printable && !isPrintableString(attribute.value)) {
        throw new Error(`${attribute.type} value is not a PrintableString`);
      }
      const value = new AttributeValue(printable ? { printableString: attribute.value } : { utf8String: attribute.value });
      return new RelativeDistinguishedName([new AttributeTypeAndValue({ type: DN_ATTRIBUTE_OIDS[attribute.type], value })]);
    }),
  );
}

export function encodeNameDer(dn: DnSequence): Buffer {
  return Buffer.from(AsnConvert.serialize(encodeName(dn)));
}

/** One attribute as it is encoded, with enough detail for lints (string tag, raw bytes, RDN grouping). */
export interface EncodedNameAttribute {
  readonly oid: string;
  readonly type: DnAttributeType | undefined;
  readonly tag: number;
  readonly valueBytes: Buffer;
  /** Best-effort decoding; lints check validity from tag and valueBytes. */
  readonly value: string;
  readonly rdnIndex: number;
  readonly rdnSize: number;
}

export function decodeStringValue(tag: number, bytes: Buffer): string {
  switch (tag) {
    case TAG.UTF8_STRING:
      return bytes.toString('utf8');
    case TAG.BMP_STRING: {
      let out = '';
      for (let i = 0; i + 1 < bytes.length; i += 2) out += String.fromCharCode(bytes.readUInt16BE(i));
      return out;
    }
    case TAG.UNIVERSAL_STRING: {
      let out = '';
      for (let i = 0; i + 3 < bytes.length; i += 4) out += String.fromCodePoint(bytes.readUInt32BE(i));
      return out;
    }
    default:
      return bytes.toString('latin1');
  }
}

/** Decodes a DER Name (RDNSequence) without asn1js, keeping each value's string tag and raw bytes. */
export function decodeNameDer(nameDer: Buffer): EncodedNameAttribute[] {
  const root = expectTag(readSingleTlv(nameDer), TAG.SEQUENCE, 'Name');
  return decodeNameAt(nameDer, root);
}

export function decodeNameAt(buf: Buffer, nameTlv: ReturnType<typeof readTlv>): EncodedNameAttribute[] {
  const out: EncodedNameAttribute[] = [];
  childrenOf(buf, expectTag(nameTlv, TAG.SEQUENCE, 'Name')).forEach((rdn, rdnIndex) => {
    const atvs = childrenOf(buf, expectTag(rdn, TAG.SET, 'RelativeDistinguishedName'));
    if (atvs.length === 0) throw new DerError('empty RelativeDistinguishedName');
    for (const atv of atvs) {
      const parts = childrenOf(buf, expectTag(atv, TAG.SEQUENCE, 'AttributeTypeAndValue'));
      if (parts.length !== 2) throw new DerError('AttributeTypeAndValue must have two elements');
      const oid = decodeOid(tlvValue(buf, expectTag(parts[0]!, TAG.OID, 'AttributeType')));
      const valueTlv = parts[1]!;
      const valueBytes = tlvValue(buf, valueTlv);
      out.push({
        oid,
        type: dnAttributeTypeOf(oid),
        tag: valueTlv.tag,
        valueBytes,
        value: decodeStringValue(valueTlv.tag, valueBytes),
        rdnIndex,
        rdnSize: atvs.length,
      });
    }
  });
  return out;
}
