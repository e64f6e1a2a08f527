import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compileSchemaSet, targetNamespaceOf, type XmlValidator } from '../xml/schema-validator.js';

/** Compiles every schema of a directory (one file per namespace) into one SOAP-envelope validator. */
export function compileEnvelopeValidator(xsdDirectory: string): XmlValidator {
  const imports = new Map<string, string>();
  for (const file of readdirSync(xsdDirectory)
    .filter((name) => name.endsWith('.xsd'))
    .sort()) {
    const namespace = targetNamespaceOf(join(xsdDirectory, file));
    if (namespace === undefined) continue;
    if (imports.has(namespace)) throw new Error(`two schemas in ${xsdDirectory} define ${namespace}: ${imports.get(namespace)} and ${file}`);
    imports.set(namespace, file);
  }
  return compileSchemaSet({ baseDirectory: xsdDirectory, imports, soapEnvelope: true });
}
