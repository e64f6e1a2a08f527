import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { escapeAttribute } from './builder.js';

// libxmljs' high-level validate() recompiles the schema on every call; its low-level libxml2 bindings let us
// compile once at start-up and reuse one validation context (not thread-safe: one per worker).
const require = createRequire(import.meta.url);
interface LibXml2 {
  xmlReadMemory(buffer: Buffer, size: number, url: string | null, encoding: string | null, options: number): unknown;
  xmlFreeDoc(doc: unknown): void;
  xmlSchemaNewDocParserCtxt(doc: unknown): unknown;
  xmlSchemaParse(ctxt: unknown): unknown;
  xmlSchemaNewValidCtxt(schema: unknown): unknown;
  xmlSchemaValidateDoc(ctxt: unknown, doc: unknown): number;
  withStructuredErrors<T>(callback: (errors: Array<{ message?: string; line?: number }>) => T): T;
}
const libxml2 = require('libxmljs/dist/lib/bindings/functions') as LibXml2;

const XML_PARSE_NONET = 1 << 11; // never fetch anything over the network while parsing
const XML_PARSE_NONET_NOCDATA = XML_PARSE_NONET;
/** Documents up to a third of this (UTF-8 takes at most 3 bytes per UTF-16 unit) are copied into the scratch buffer. */
const SCRATCH_BYTES = 256 * 1024;
const SOAP11_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';

export interface ValidationResult {
  valid: boolean;
  errors: string[];
}
export interface XmlValidator {
  validate(xml: string | Buffer): ValidationResult;
}

export interface SchemaSetOptions {
  /** Directory the schema files live in; relative schemaLocations resolve against it. */
  baseDirectory: string;
  /** namespace → file (relative to baseDirectory) to import. */
  imports: ReadonlyMap<string, string>;
  /**
   * Wrap the schemas in a SOAP 1.1 Envelope definition: Header children are checked laxly (WS-Security has no
   * schema here), the Body must hold exactly one element that one of the imported schemas declares (strict).
   */
  soapEnvelope: boolean;
}

/** Compiles a schema set once; validate() then costs one parse plus one validation. */
export function compileSchemaSet(options: SchemaSetOptions): XmlValidator {
  const driver = buildDriverSchema(options);
  const driverUrl = join(resolve(options.baseDirectory), '__schema-set-driver.xsd');
  const vctx = libxml2.withStructuredErrors((errors) => {
    const buffer = Buffer.from(driver);
    const doc = libxml2.xmlReadMemory(buffer, buffer.length, driverUrl, 'UTF-8', XML_PARSE_NONET);
    if (!doc) throw new Error(`cannot read schema driver: ${summarise(errors)}`);
    const schema = libxml2.xmlSchemaParse(libxml2.xmlSchemaNewDocParserCtxt(doc));
    if (!schema) throw new Error(`schemas in ${options.baseDirectory} do not compile: ${summarise(errors)}`);
    return libxml2.xmlSchemaNewValidCtxt(schema);
  });
  // One scratch buffer per validator (validation is synchronous): a request-sized Buffer per call cost more than the
  // validation itself, and was garbage outside the V8 heap that lived until a GC noticed it (megabytes under load).
  const scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
  return {
    validate(xml) {
      let buffer: Buffer;
      let length: number;
      if (typeof xml !== 'string') {
        buffer = xml;
        length = xml.length;
      } else if (xml.length * 3 <= SCRATCH_BYTES) {
        buffer = scratch;
        length = scratch.write(xml, 'utf8');
      } else {
        buffer = Buffer.from(xml, 'utf8');
        length = buffer.length;
      }
      return libxml2.withStructuredErrors((errors) => {
        const doc = libxml2.xmlReadMemory(buffer, length, null, null, XML_PARSE_NONET_NOCDATA);
        if (!doc) return { valid: false, errors: messages(errors) };
        try {
          const rc = libxml2.xmlSchemaValidateDoc(vctx, doc);
          return { valid: rc === 0, errors: rc === 0 ? [] : messages(errors) };
        } finally {
          libxml2.xmlFreeDoc(doc);
        }
      });
    },
  };
}

/** Reads an XSD's targetNamespace (enough for building import maps from a directory listing). */
export function targetNamespaceOf(file: string): string | undefined {
  const head = readFileSync(file, 'utf8').slice(0, 4000);
  return /targetNamespace\s*=\s*"([^"]*)"/.exec(head)?.[1];
}

function buildDriverSchema(options: SchemaSetOptions): string {
  const imports = schemaImports([...options.imports].filter(([namespace]) => !(options.soapEnvelope && namespace === SOAP11_ENV)));
  if (!options.soapEnvelope) {
    return `<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:x-schema-set-driver" elementFormDefault="qualified">
${imports}
</xs:schema>`;
  }
  return soapEnvelopeDriverSchema(imports);
}

/**
 * A SOAP 1.1 Envelope schema that imports the given schemas (`imports` is the xs:import markup): Header children
 * are checked laxly, the Body holds one Fault or exactly one element that an imported schema declares (strict).
 * Shared with the interop suite, which validates every exchanged message with xmllint against the reference XSDs.
 */
export function soapEnvelopeDriverSchema(imports: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:soap="${SOAP11_ENV}" targetNamespace="${SOAP11_ENV}"
           elementFormDefault="qualified" attributeFormDefault="qualified">
${imports}
  <xs:element name="Envelope">
    <xs:complexType>
      <xs:sequence>
        <xs:element ref="soap:Header" minOccurs="0"/>
        <xs:element ref="soap:Body"/>
      </xs:sequence>
      <xs:anyAttribute namespace="##other" processContents="lax"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="Header">
    <xs:complexType>
      <xs:sequence><xs:any namespace="##other" processContents="lax" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
      <xs:anyAttribute namespace="##other" processContents="lax"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="Body">
    <xs:complexType>
      <xs:choice>
        <xs:element ref="soap:Fault"/>
        <xs:any namespace="##other" processContents="strict"/>
      </xs:choice>
      <xs:anyAttribute namespace="##any" processContents="lax"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="Fault">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="faultcode" type="xs:QName" form="unqualified"/>
        <xs:element name="faultstring" type="xs:string" form="unqualified"/>
        <xs:element name="faultactor" type="xs:anyURI" minOccurs="0" form="unqualified"/>
        <xs:element name="detail" minOccurs="0" form="unqualified">
          <xs:complexType>
            <xs:sequence><xs:any namespace="##any" processContents="strict" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
          </xs:complexType>
        </xs:element>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>`;
}
/** xs:import lines for [namespace, schemaLocation] pairs. */
export function schemaImports(locations: ReadonlyArray<readonly [string, string]>): string {
  return locations
    .map(([namespace, location]) => `  <xs:import namespace="${escapeAttribute(namespace)}" schemaLocation="${escapeAttribute(location)}"/>`)
    .join('\n');
}

function messages(errors: Array<{ message?: string; line?: number }>): string[] {
  return errors.map((error) => `${(error.message ?? 'invalid').trim()}${error.line ? ` (line ${error.line})` : ''}`);
}
function summarise(errors: Array<{ message?: string }>): string {
  return messages(errors).slice(0, 5).join('; ') || 'unknown error';
}
