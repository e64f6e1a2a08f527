/**
 * XSD validation cost: our compile-once validator (src/xml/schema-validator.ts) against libxmljs' high-level
 * Document.validate(), which recompiles the schema on every call. Prints validations per second for a GetEtk request.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileEnvelopeValidator } from '../src/soap/request-validator.js';
import { projectPaths } from '../src/project-paths.js';

const require = createRequire(import.meta.url);
const libxmljs = require('libxmljs') as {
  parseXml(xml: string, options?: { baseUrl?: string }): { validate(schema: unknown): boolean };
};

const ENVELOPE = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>
<p:GetEtkRequest xmlns:p="urn:be:fgov:ehealth:etkdepot:1_0:protocol"><p:SearchCriteria><p:Identifier><p:Type>NIHII-HOSPITAL</p:Type>
<p:Value>71089815</p:Value><p:ApplicationID>MYAPP</p:ApplicationID></p:Identifier></p:SearchCriteria></p:GetEtkRequest></soapenv:Body></soapenv:Envelope>`;
const PAYLOAD = ENVELOPE.slice(ENVELOPE.indexOf('<p:GetEtkRequest'), ENVELOPE.indexOf('</soapenv:Body>'));

function rate(name: string, seconds: number, fn: () => boolean): number {
  if (!fn()) throw new Error(`${name}: the sample does not validate`);
  const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  let count = 0;
  const started = process.hrtime.bigint();
  while (process.hrtime.bigint() < deadline) {
    fn();
    count++;
  }
  const perSecond = count / (Number(process.hrtime.bigint() - started) / 1e9);
  console.log(`${name.padEnd(58)} ${perSecond.toFixed(0).padStart(8)} /s`);
  return perSecond;
}

const compiled = compileEnvelopeValidator(projectPaths.xsd());
const once = rate('compile-once (whole envelope, all our schemas)', 3, () => compiled.validate(ENVELOPE).valid);

const xsdPath = join(projectPaths.xsd(), 'ehealth-etkdepot-protocol-1_0.xsd');
const schemaDocument = libxmljs.parseXml(readFileSync(xsdPath, 'utf8'), { baseUrl: xsdPath });
const recompiling = rate('libxmljs Document.validate (recompiles; ETKDepot schema only)', 3, () => libxmljs.parseXml(PAYLOAD).validate(schemaDocument));

console.log(
  `compile-once is ${(once / recompiling).toFixed(1)}x the recompiling validator ` +
    `(target of the probe: ~25k/s compile-once; ${once >= 10_000 ? 'at least 10k/s: OK' : 'below 10k/s on this machine now'})`,
);
