import { DerError, TAG, childrenOf, decodeDirectoryString, decodeOid, expectTag, readSingleTlv, tlvBytes, tlvValue, type Tlv } from '../asn1/der.js';
import { formatDn, normaliseAttributeType } from '../identifiers/dn.js';

/** The attribute types our certificate profiles use (RFC 4514 / X.520 keywords). */
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

const TYPE_BY_OID: ReadonlyMap<string, DnAttributeType> = new Map(Object.entries(DN_ATTRIBUTE_OIDS).map(([type, oid]) => [oid, type as DnAttributeType]));

export function dnAttributeTypeOf(oid: string): DnAttributeType | undefined {
  return TYPE_BY_OID.get(oid);
}

/** One AttributeTypeAndValue of a Name, as encoded, with its text. */
export interface NameAttribute {
  readonly oid: string;
  /** The keyword when the type is one of DN_ATTRIBUTE_OIDS, else undefined. */
  readonly type: DnAttributeType | undefined;
  /** The value's tag (UTF8String, PrintableString…) and content octets, for checks of the encoding itself. */
  readonly tag: number;
  readonly valueBytes: Buffer;
  /** The whole value TLV (written as `#hex` in a DN string when the value is not a directory string). */
  readonly valueDer: Buffer;
  /**
   * The value as text: exact when `isString`, otherwise a best-effort reading (Latin-1 for unknown tags, U+FFFD for
   * bad UTF-8) for messages and lints, which judge `tag` and `valueBytes` themselves.
   */
  readonly value: string;
  /** True when valueBytes are a valid directory string of their tag (`decodeDirectoryString` accepts them). */
  readonly isString: boolean;
  /** Index of the RDN in encoded order, and how many attributes that RDN holds (> 1: multi-valued). */
  readonly rdnIndex: number;
  readonly rdnSize: number;
}

function bestEffortText(tag: number, bytes: Buffer): string {
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
      for (let i = 0; i + 3 < bytes.length; i += 4) {
        const codePoint = bytes.readUInt32BE(i);
        out += codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : '\ufffd';
      }
      return out;
    }
    default:
      return bytes.toString('latin1');
  }
}

function isDirectoryString(buf: Buffer, tlv: Tlv): boolean {
  try {
    decodeDirectoryString(buf, tlv);
    return true;
  } catch {
    return false;
  }
}

/** Decodes the Name (RDNSequence) at `nameTlv` in `buf`: every attribute in encoded order. Throws DerError when it is not a Name. */
export function decodeName(buf: Buffer, nameTlv: Tlv): NameAttribute[] {
  const out: NameAttribute[] = [];
  childrenOf(buf, expectTag(nameTlv, TAG.SEQUENCE, 'Name')).forEach((rdn, rdnIndex) => {
    const atvs = childrenOf(buf, expectTag(rdn, TAG.SET, 'RelativeDistinguishedName'));
    if (atvs.length === 0) throw new DerError('empty RelativeDistinguishedName');
    for (const atv of atvs) {
      const parts = childrenOf(buf, expectTag(atv, TAG.SEQUENCE, 'AttributeTypeAndValue'));
      if (parts.length !== 2) throw new DerError('AttributeTypeAndValue must have two elements');
      const oid = decodeOid(tlvValue(buf, expectTag(parts[0], TAG.OID, 'AttributeType')));
      const valueTlv = parts[1]!;
      const valueBytes = tlvValue(buf, valueTlv);
      out.push(
        Object.freeze({
          oid,
          type: dnAttributeTypeOf(oid),
          tag: valueTlv.tag,
          valueBytes,
          valueDer: tlvBytes(buf, valueTlv),
          value: bestEffortText(valueTlv.tag, valueBytes),
          isString: isDirectoryString(buf, valueTlv),
          rdnIndex,
          rdnSize: atvs.length,
        }),
      );
    }
  });
  return out;
}

/** Decodes a DER Name. */
export function decodeNameDer(nameDer: Buffer): NameAttribute[] {
  return decodeName(nameDer, readSingleTlv(nameDer));
}

/**
 * The RFC 4514 string of a decoded Name: last RDN first, the platform's one DN formatter (`formatDn`: Java
 * X500Principal RFC 2253 escaping), keywords from `normaliseAttributeType` (else the dotted OID), and a value that is
 * not a directory string as `#` + the hex of its DER (RFC 4514 §2.4).
 */
export function nameToString(attributes: readonly NameAttribute[]): string {
  const rdns: NameAttribute[][] = [];
  for (const attribute of attributes) (rdns[attribute.rdnIndex] ??= []).push(attribute);
  return formatDn(
    rdns.reverse().flatMap((rdn, index) =>
      rdn.map((a) => ({
        type: normaliseAttributeType(a.oid),
        value: a.isString ? a.value : `#${a.valueDer.toString('hex')}`,
        rdn: index,
        ...(a.isString ? {} : { ber: a.valueDer }),
      })),
    ),
  );
}
