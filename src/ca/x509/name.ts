import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';
import { DN_ATTRIBUTE_OIDS, type DnAttributeType } from '../../x509/name.js';
import { encodeOid, encodeSequence, encodeTlv, TAG } from './der.js';

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

/**
 * The DER of encodeName(dn), written directly: one attribute per RDN leaves DER nothing to sort, and
 * @peculiar/asn1-schema's reflective serializer took about 185 µs per subject, more than the certificate's signature
 * (tbs-certificate.test.ts checks both encodings are the same bytes).
 */
export function encodeNameDer(dn: DnSequence): Buffer {
  return encodeSequence(
    ...dn.map((attribute) => {
      const printable = PRINTABLE_STRING_TYPES.has(attribute.type);
      if (printable && !isPrintableString(attribute.value)) {
        throw new Error(`${attribute.type} value is not a PrintableString`);
      }
      const value = encodeTlv(printable ? TAG.PRINTABLE_STRING : TAG.UTF8_STRING, Buffer.from(attribute.value, 'utf8'));
      return encodeTlv(TAG.SET, encodeSequence(encodeOid(DN_ATTRIBUTE_OIDS[attribute.type]), value));
    }),
  );
}
