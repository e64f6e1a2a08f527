import { AsnConvert } from '@peculiar/asn1-schema';
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';
import { DN_ATTRIBUTE_OIDS, type DnAttributeType } from '../../x509/name.js';

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
