import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compileSchemaSet, type XmlValidator } from '../../src/xml/schema-validator.js';
import { compileEnvelopeValidator } from '../../src/soap/request-validator.js';
import { projectPaths } from '../../src/project-paths.js';

/**
 * The public eHealth contracts, unmodified, as shipped in shared/reference beside the repository (or
 * $EHEALTH_CONTRACTS_DIR). Conformance without them would prove nothing, so a missing copy fails loudly.
 */
export const REFERENCE_CONTRACTS = referenceContractsDir();

function referenceContractsDir(): string {
  const dir = resolve(process.env['EHEALTH_CONTRACTS_DIR'] ?? join(projectPaths.xsd(), '..', '..', 'shared', 'reference', 'ehealth-contracts'));
  if (!existsSync(join(dir, 'SOURCES.md'))) {
    throw new Error(
      `the public eHealth reference contracts are not at ${dir}: the conformance and interop suites need ../shared/reference/ehealth-contracts ` +
        'beside the repository (or EHEALTH_CONTRACTS_DIR pointing at a copy)',
    );
  }
  return dir;
}

/** namespace → reference file (relative to REFERENCE_CONTRACTS); the interop suite validates with the same set. */
export const REFERENCE_FILES: ReadonlyArray<readonly [string, string]> = [
  ['http://www.w3.org/XML/1998/namespace', 'external/XSD/xml.xsd'],
  ['http://www.w3.org/2000/09/xmldsig#', 'external/XSD/xmldsig-core-schema.xsd'],
  ['urn:be:fgov:ehealth:errors:core:v1', 'ehealth-errors/XSD/ehealth-errors-schema-core-1_1.xsd'],
  ['urn:be:fgov:ehealth:errors:soa:v1', 'ehealth-errors/XSD/ehealth-errors-schema-soa-1_1.xsd'],
  ['urn:be:fgov:ehealth:commons:1_0:core', 'ehealth-commons/XSD/ehealth-commons-schema-core-1_0.xsd'],
  ['urn:be:fgov:ehealth:commons:1_0:protocol', 'ehealth-commons/XSD/ehealth-commons-schema-protocol-1_0.xsd'],
  ['urn:be:fgov:ehealth:commons:core:v2', 'ehealth-commons/XSD/ehealth-commons-schema-core-2_0.xsd'],
  ['urn:be:fgov:ehealth:commons:protocol:v2', 'ehealth-commons/XSD/ehealth-commons-schema-protocol-2_0.xsd'],
  ['urn:be:fgov:ehealth:etee:commons:core:v2', 'ehealth-etee/XSD/ehealth-etee-schema-core-2_0.xsd'],
  ['urn:be:fgov:ehealth:certra:core:v2', 'ehealth-etee/XSD/ehealth-certra-schema-core-2_0.xsd'],
  ['urn:be:fgov:ehealth:certra:protocol:v2', 'ehealth-etee/XSD/ehealth-certra-schema-protocol-2_0.xsd'],
  ['urn:be:fgov:ehealth:etkra:protocol:v2', 'ehealth-etee/XSD/ehealth-etkra-schema-protocol-2_0.xsd'],
  ['urn:be:fgov:ehealth:etkdepot:1_0:protocol', 'ehealth-etee/XSD/ehealth-etkdepot-schema-protocol-1_0.xsd'],
  ['urn:be:fgov:ehealth:etee:commons:1_0:etee', 'ehealth-etee/XSD/ehealth-etee-commons-schema-1_2.xsd'],
  ['urn:be:fgov:ehealth:etee:kgss:1_0:protocol', 'ehealth-etee/XSD/ehealth-etee-kgss-schema-protocol-1_2.xsd'],
];

/** The KGSS sealed contents (…Content elements) against the reference "kgss inner protocol 1.2" schema. */
export function referenceKgssContentValidator(): XmlValidator {
  return (referenceKgssContent ??= compileSchemaSet({
    baseDirectory: REFERENCE_CONTRACTS,
    imports: new Map([['urn:be:fgov:ehealth:etee:kgss:1_0:protocol', 'ehealth-etee/XSD/ehealth-etee-kgss-schema-inner-protocol-1_2.xsd']]),
    soapEnvelope: false,
  }));
}
let referenceKgssContent: XmlValidator | undefined;

let ours: XmlValidator | undefined;
let reference: XmlValidator | undefined;

/** SOAP 1.1 envelopes (requests, responses, faults) against our xsd/. */
export function ourEnvelopeValidator(): XmlValidator {
  return (ours ??= compileEnvelopeValidator(projectPaths.xsd()));
}

/** SOAP 1.1 envelopes against the public eHealth reference XSDs. */
export function referenceEnvelopeValidator(): XmlValidator {
  return (reference ??= compileSchemaSet({ baseDirectory: REFERENCE_CONTRACTS, imports: new Map(REFERENCE_FILES), soapEnvelope: true }));
}

/** Asserts an envelope is valid against both schema sets, with the validators' messages on failure. */
export function expectValidAgainstBothSchemaSets(envelopeXml: string): void {
  for (const [name, validator] of [
    ['our xsd/', ourEnvelopeValidator()],
    ['reference XSDs', referenceEnvelopeValidator()],
  ] as const) {
    const result = validator.validate(envelopeXml);
    if (!result.valid) throw new Error(`not valid against ${name}: ${result.errors.join(' | ')}\n${envelopeXml.slice(0, 2000)}`);
  }
}
