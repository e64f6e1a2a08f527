/**
 * Conformance of our own contracts (xsd/, wsdl/) with the public eHealth contracts.
 *
 * The public files are the wire format to match, but we do not ship copies: our schemas are written for this
 * project. So the proof is structural: both schema sets are reduced to a prefix-free component model
 * (test/support/xsd-model.ts) and compared component by component, and libxml2 must accept and reject
 * the same sample messages with either set.
 *
 * Reference files: $EHEALTH_CONTRACTS_DIR, default ../shared/reference/ehealth-contracts next to the repository
 * (provenance in its SOURCES.md). Wire facts (SOAPActions): docs/wire-facts.md §1-§3.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  WSDL_SOAP11_NS,
  XSD_NS,
  childElements,
  clark,
  compareComponents,
  compareNamespaces,
  compileSchema,
  componentClosure,
  componentKey,
  definedNamespaces,
  describeDifferences,
  hasDoctype,
  loadSchemaSet,
  loadWsdlSchemas,
  parseXml,
  readWsdl,
  validateInstance,
  writeWrapperSchema,
  type ComponentRef,
  type LoadOptions,
  type SchemaModel,
  type WsdlSummary,
} from '../support/xsd-model.js';
import { REFERENCE_CONTRACTS } from '../support/schemas.js';
import type { Element } from '@xmldom/xmldom';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const xsdDir = join(repoRoot, 'xsd');
const wsdlDir = join(repoRoot, 'wsdl');
const referenceDir = REFERENCE_CONTRACTS;
const wireFactsFile = join(repoRoot, 'docs/wire-facts.md');

// ----- namespaces ---------------------------------------------------------------------------------------

const NS = {
  certraProtocol: 'urn:be:fgov:ehealth:certra:protocol:v2',
  certraCore: 'urn:be:fgov:ehealth:certra:core:v2',
  etkraProtocol: 'urn:be:fgov:ehealth:etkra:protocol:v2',
  etkdepotProtocol: 'urn:be:fgov:ehealth:etkdepot:1_0:protocol',
  kgssProtocol: 'urn:be:fgov:ehealth:etee:kgss:1_0:protocol',
  eteeCommons10: 'urn:be:fgov:ehealth:etee:commons:1_0:etee',
  commonsCoreV2: 'urn:be:fgov:ehealth:commons:core:v2',
  commonsProtocolV2: 'urn:be:fgov:ehealth:commons:protocol:v2',
  commonsCore10: 'urn:be:fgov:ehealth:commons:1_0:core',
  commonsProtocol10: 'urn:be:fgov:ehealth:commons:1_0:protocol',
  eteeCore: 'urn:be:fgov:ehealth:etee:commons:core:v2',
  errorsCore: 'urn:be:fgov:ehealth:errors:core:v1',
  errorsSoa: 'urn:be:fgov:ehealth:errors:soa:v1',
  xmldsig: 'http://www.w3.org/2000/09/xmldsig#',
  xml: 'http://www.w3.org/XML/1998/namespace',
} as const;

// ----- the 17 operations (docs/wire-facts.md §1, §2, §3; KGSS: ../shared/docs/etee-facts.md) --------------------------------------------------

interface OperationSpec {
  operation: string;
  /** local name stem of the request/response elements */
  element: string;
  soapAction: string;
}

const CERTRA_OPERATIONS: readonly OperationSpec[] = [
  { operation: 'generateContract', element: 'GenerateContract', soapAction: 'urn:be:fgov:ehealth:certra:protocol:v2:generateContract' },
  { operation: 'generateCertificate', element: 'GenerateCertificate', soapAction: 'urn:be:fgov:ehealth:etee:certra:protocol:v2:generatecertificate' },
  { operation: 'getCertificate', element: 'GetCertificate', soapAction: 'urn:be:fgov:ehealth:etee:certra:protocol:v2:getcertificate' },
  {
    operation: 'generateRevocationContract',
    element: 'GenerateRevocationContract',
    soapAction: 'urn:be:fgov:ehealth:certra:protocol:v2:generateRevocationContract',
  },
  { operation: 'revoke', element: 'Revoke', soapAction: 'urn:be:fgov:ehealth:etee:certra:protocol:v2:revoke' },
  { operation: 'getActorQualities', element: 'GetActorQualities', soapAction: 'urn:be:fgov:ehealth:certra:protocol:v2:getActorQualities' },
  {
    operation: 'getGenericOrganizationTypes',
    element: 'GetGenericOrganizationTypes',
    soapAction: 'urn:be:fgov:ehealth:certra:protocol:v2:getGenericOrganizationTypes',
  },
  {
    operation: 'getExistingApplicationIds',
    element: 'GetExistingApplicationIds',
    soapAction: 'urn:be:fgov:ehealth:etee:certra:protocol:v2:getexistingapplicationids',
  },
  {
    operation: 'getCertificateInfoForCitizen',
    element: 'GetCertificateInfoForCitizen',
    soapAction: 'urn:be:fgov:ehealth:certra:protocol:v2:getCertificateInfoForCitizen',
  },
  {
    operation: 'getCertificateInfoForAuthenticationCertificate',
    element: 'GetCertificateInfoForAuthenticationCertificate',
    soapAction: 'urn:be:fgov:ehealth:etee:certra:protocol:v2:getCertificateInfoForAuthenticationCertificate',
  },
  { operation: 'submitCSRForForeigner', element: 'SubmitCSRForForeigner', soapAction: 'urn:be:fgov:ehealth:certra:protocol:v2:submitCSRForForeigner' },
];

const ETKRA_OPERATIONS: readonly OperationSpec[] = [
  { operation: 'startETKRegistration', element: 'StartETKRegistration', soapAction: 'urn:be:fgov:ehealth:etee:etkra:protocol:v2:startETKRegistration' },
  // lower-case "r" in the action is what the technical connector sends (docs/wire-facts.md §2)
  {
    operation: 'completeETKRegistration',
    element: 'CompleteETKRegistration',
    soapAction: 'urn:be:fgov:ehealth:etee:etkra:protocol:v2:completeETKregistration',
  },
  { operation: 'activateETK', element: 'ActivateETK', soapAction: 'urn:be:fgov:ehealth:etee:etkra:protocol:v2:activateETK' },
];

const ETKDEPOT_OPERATIONS: readonly OperationSpec[] = [{ operation: 'GetEtk', element: 'GetEtk', soapAction: '' }];

const KGSS_OPERATIONS: readonly OperationSpec[] = [
  { operation: 'GetNewKey', element: 'GetNewKey', soapAction: '' },
  { operation: 'GetKey', element: 'GetKey', soapAction: '' },
];

interface WsdlSpec {
  file: string;
  targetNamespace: string;
  messageNamespace: string;
  operations: readonly OperationSpec[];
  portType: string;
  binding: string;
  service: string;
  port: string;
  address: string;
}

const WSDLS: readonly WsdlSpec[] = [
  {
    file: 'certra-v2.wsdl',
    targetNamespace: NS.certraProtocol,
    messageNamespace: NS.certraProtocol,
    operations: CERTRA_OPERATIONS,
    portType: 'CertRaPortType',
    binding: 'CertRaSoapBinding',
    service: 'CertRaService',
    port: 'CertRaPort',
    address: 'http://localhost:8080/CertRa/v2',
  },
  {
    file: 'etkra-v2.wsdl',
    targetNamespace: NS.etkraProtocol,
    messageNamespace: NS.etkraProtocol,
    operations: ETKRA_OPERATIONS,
    portType: 'EtkRaPortType',
    binding: 'EtkRaSoapBinding',
    service: 'EtkRaService',
    port: 'EtkRaPort',
    address: 'http://localhost:8080/EtkRa/v2',
  },
  {
    file: 'etkdepot-v1.wsdl',
    targetNamespace: NS.etkdepotProtocol,
    messageNamespace: NS.etkdepotProtocol,
    operations: ETKDEPOT_OPERATIONS,
    portType: 'EtkDepotPortType',
    binding: 'EtkDepotSoapBinding',
    service: 'EtkDepotService',
    port: 'EtkDepotPort',
    address: 'http://localhost:8080/EtkDepot/v1',
  },
  {
    file: 'kgss-v1.wsdl',
    targetNamespace: NS.kgssProtocol,
    messageNamespace: NS.kgssProtocol,
    operations: KGSS_OPERATIONS,
    portType: 'KgssPortType',
    binding: 'KgssSoapBinding',
    service: 'KgssService',
    port: 'KgssPort',
    address: 'http://localhost:8080/Kgss/v1',
  },
];

/** Request and response elements of all 17 operations, the sealed KGSS contents, and what travels inside wildcards and faults. */
const OPERATION_ROOTS: readonly ComponentRef[] = [
  ...CERTRA_OPERATIONS.flatMap((op) => messageElements(NS.certraProtocol, op)),
  ...ETKRA_OPERATIONS.flatMap((op) => messageElements(NS.etkraProtocol, op)),
  ...ETKDEPOT_OPERATIONS.flatMap((op) => messageElements(NS.etkdepotProtocol, op)),
  ...KGSS_OPERATIONS.flatMap((op) => messageElements(NS.kgssProtocol, op)),
  // the contents sealed inside the KGSS messages
  ...['GetNewKeyRequestContent', 'GetNewKeyResponseContent', 'GetKeyRequestContent', 'GetKeyResponseContent'].map(
    (name): ComponentRef => ({ space: 'element', name: clark(NS.kgssProtocol, name) }),
  ),
  // reached only through the StatusDetail xs:any wildcard, yet the connector requires it there (docs/wire-facts.md §0)
  { space: 'element', name: clark(NS.eteeCore, 'EteeStatusDetail') },
  { space: 'element', name: clark(NS.errorsSoa, 'SystemError') },
  { space: 'element', name: clark(NS.errorsSoa, 'BusinessError') },
];

function messageElements(namespace: string, op: OperationSpec): ComponentRef[] {
  return [
    { space: 'element', name: clark(namespace, `${op.element}Request`) },
    { space: 'element', name: clark(namespace, `${op.element}Response`) },
  ];
}

// ----- files -------------------------------------------------------------------------------------------

const REFERENCE_ENTRY_FILES = [
  'ehealth-etee/XSD/ehealth-certra-schema-protocol-2_0.xsd',
  'ehealth-etee/XSD/ehealth-etkra-schema-protocol-2_0.xsd',
  'ehealth-etee/XSD/ehealth-etkdepot-schema-protocol-1_0.xsd',
  'ehealth-etee/XSD/ehealth-etee-kgss-schema-protocol-1_2.xsd',
  'ehealth-etee/XSD/ehealth-etee-kgss-schema-inner-protocol-1_2.xsd',
  'ehealth-errors/XSD/ehealth-errors-schema-soa-1_1.xsd',
].map((file) => join(referenceDir, file));

const OUR_ENTRY_FILES = [
  'ehealth-certra-protocol-v2.xsd',
  'ehealth-etkra-protocol-v2.xsd',
  'ehealth-etkdepot-protocol-1_0.xsd',
  'ehealth-etee-kgss-protocol-1_0.xsd',
  'ehealth-errors-soa-v1.xsd',
].map((file) => join(xsdDir, file));

/** Our file that must be wire-identical to each reference namespace (also documented in xsd/README.md). */
const OUR_FILE_BY_NAMESPACE: Readonly<Record<string, string>> = {
  [NS.certraProtocol]: 'ehealth-certra-protocol-v2.xsd',
  [NS.certraCore]: 'ehealth-certra-core-v2.xsd',
  [NS.etkraProtocol]: 'ehealth-etkra-protocol-v2.xsd',
  [NS.etkdepotProtocol]: 'ehealth-etkdepot-protocol-1_0.xsd',
  [NS.kgssProtocol]: 'ehealth-etee-kgss-protocol-1_0.xsd',
  [NS.eteeCommons10]: 'ehealth-etee-commons-1_0.xsd',
  [NS.commonsCoreV2]: 'ehealth-commons-core-v2.xsd',
  [NS.commonsProtocolV2]: 'ehealth-commons-protocol-v2.xsd',
  [NS.commonsCore10]: 'ehealth-commons-core-1_0.xsd',
  [NS.commonsProtocol10]: 'ehealth-commons-protocol-1_0.xsd',
  [NS.eteeCore]: 'ehealth-etee-commons-core-v2.xsd',
  [NS.errorsCore]: 'ehealth-errors-core-v1.xsd',
  [NS.errorsSoa]: 'ehealth-errors-soa-v1.xsd',
  [NS.xmldsig]: 'w3c-xmldsig-core.xsd',
  [NS.xml]: 'w3c-xml.xsd',
};

function filesUnder(dir: string, extensions: readonly string[]): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return filesUnder(path, extensions);
    return extensions.some((ext) => entry.endsWith(ext)) ? [path] : [];
  });
}

const ourXsdFiles = readdirSync(xsdDir)
  .filter((file) => file.endsWith('.xsd'))
  .sort()
  .map((file) => join(xsdDir, file));
const ourWsdlFiles = readdirSync(wsdlDir)
  .filter((file) => file.endsWith('.wsdl'))
  .sort()
  .map((file) => join(wsdlDir, file));
const ourContractFiles = [...ourXsdFiles, ...ourWsdlFiles];
const referenceContractFiles = filesUnder(referenceDir, ['.xsd', '.wsdl']).sort();

/** Reference imports sometimes name folders that are not present; fall back to the file that declares the namespace. */
function referenceNamespaceLocator(): LoadOptions['locateNamespace'] {
  const byNamespace = new Map<string, string>();
  for (const file of filesUnder(join(referenceDir), ['.xsd']).sort()) {
    const root = parseXml(readFileSync(file, 'utf8'), file);
    const namespace = root.getAttribute('targetNamespace') ?? '';
    // prefer the official distribution folders over the e-Contract flat copies
    if (!byNamespace.has(namespace) || byNamespace.get(namespace)?.includes('e-contract-')) byNamespace.set(namespace, file);
  }
  return (namespace) => byNamespace.get(namespace) ?? null;
}

const rel = (path: string): string => relative(repoRoot, path);

// =========================================================================================================

describe('xsd/: our schema files', () => {
  test('are flat, named in xsd/README.md, and cover every namespace the contracts need', () => {
    const readme = readFileSync(join(xsdDir, 'README.md'), 'utf8');
    const mentioned = new Set(readme.match(/[\w.-]+\.xsd/g) ?? []);
    const names = ourXsdFiles.map((file) => basename(file));
    for (const name of names) expect(mentioned).toContain(name);
    for (const name of Object.values(OUR_FILE_BY_NAMESPACE)) expect(names).toContain(name);
    expect(readdirSync(xsdDir).filter((entry) => statSync(join(xsdDir, entry)).isDirectory())).toEqual([]);
  });

  test.each(ourXsdFiles.map((file) => [basename(file), file]))('%s compiles with libxml2 without errors or warnings', (_name, file) => {
    expect(compileSchema(file)).toEqual([]);
  });

  test.each(ourContractFiles.map((file) => [rel(file), file]))('%s has no DOCTYPE (the server rejects DTDs)', (_name, file) => {
    expect(hasDoctype(readFileSync(file, 'utf8'))).toBe(false);
  });

  test.each(ourXsdFiles.map((file) => [basename(file), file]))('%s imports siblings by relative location, declaring the right namespace', (_name, file) => {
    const root = parseXml(readFileSync(file, 'utf8'), file);
    for (const imp of childElements(root, XSD_NS).filter((el) => el.localName === 'import' || el.localName === 'include')) {
      const location = imp.getAttribute('schemaLocation') ?? '';
      expect(location).toMatch(/^[\w.-]+\.xsd$/);
      const target = join(xsdDir, location);
      expect(existsSync(target)).toBe(true);
      const declared = parseXml(readFileSync(target, 'utf8'), target).getAttribute('targetNamespace');
      expect(declared).toBe(imp.getAttribute('namespace'));
    }
  });

  test('declare each namespace in exactly the file the README maps it to', () => {
    for (const [namespace, name] of Object.entries(OUR_FILE_BY_NAMESPACE)) {
      const file = join(xsdDir, name);
      expect(parseXml(readFileSync(file, 'utf8'), file).getAttribute('targetNamespace')).toBe(namespace);
    }
    const model = loadSchemaSet(ourXsdFiles);
    expect(model.unresolvedImports).toEqual([]);
    expect(definedNamespaces(model)).toEqual(Object.keys(OUR_FILE_BY_NAMESPACE).sort());
  });
});

// =========================================================================================================

describe('wire identity with the public eHealth schemas', () => {
  let reference: SchemaModel;
  let ours: SchemaModel;

  beforeAll(() => {
    reference = loadSchemaSet(REFERENCE_ENTRY_FILES, { locateNamespace: referenceNamespaceLocator() });
    ours = loadSchemaSet(OUR_ENTRY_FILES);
  });

  test('both schema sets load completely (every import resolves)', () => {
    expect(reference.unresolvedImports).toEqual([]);
    expect(ours.unresolvedImports).toEqual([]);
    // our four entry points reach every file in xsd/: nothing dead is shipped
    expect([...ours.documents].sort()).toEqual(ourXsdFiles);
  });

  test('every component the 17 operations, the sealed KGSS contents and the fault details use is identical', () => {
    const closure = componentClosure(reference, OPERATION_ROOTS);
    // guard against a vacuous pass: the closure must reach deep into the type graph
    const keys = closure.map(componentKey);
    expect(closure.length).toBeGreaterThan(100);
    for (const expected of [
      `type ${clark(NS.commonsProtocolV2, 'RequestType')}`,
      `type ${clark(NS.eteeCore, 'EteeErrorParameterType')}`,
      `type ${clark(NS.certraCore, 'CertificateInfoType')}`,
      `attribute ${clark(NS.xml, 'lang')}`,
      `element ${clark(NS.xmldsig, 'X509Data')}`,
      `element ${clark(NS.commonsCore10, 'Status')}`,
      `type ${clark(NS.errorsCore, 'ErrorType')}`,
    ]) {
      expect(keys).toContain(expected);
    }
    expect(describeDifferences(compareComponents(reference, ours, closure))).toBe('');
  });

  test('every namespace we define matches the reference as a whole: form defaults, component list and models', () => {
    const ourNamespaces = definedNamespaces(ours);
    const referenceNamespaces = definedNamespaces(reference);
    // we invent no namespace
    expect(ourNamespaces.filter((ns) => !referenceNamespaces.includes(ns))).toEqual([]);
    const shared = ourNamespaces.filter((ns) => referenceNamespaces.includes(ns));
    expect(shared).toEqual(Object.keys(OUR_FILE_BY_NAMESPACE).sort());
    expect(describeDifferences(compareNamespaces(reference, ours, shared))).toBe('');
  });

  // Readable spot checks of the wire facts (docs/wire-facts.md) that clients depend on (redundant with the comparison on purpose).
  test('RequestType v2: optional xs:ID @Id, required @IssueInstant; ResponseType: required @Id', () => {
    const requestType = ours.namespaces.get(NS.commonsProtocolV2)?.complexTypes.get('RequestType');
    expect(requestType?.attributes.map((a) => [a.name, a.type, a.use])).toEqual([
      ['{}Id', clark(XSD_NS, 'ID'), 'optional'],
      ['{}IssueInstant', clark(XSD_NS, 'dateTime'), 'required'],
    ]);
    const responseType = ours.namespaces.get(NS.commonsProtocolV2)?.complexTypes.get('ResponseType');
    expect(responseType?.attributes.find((a) => a.name === '{}Id')?.use).toBe('required');
  });

  test('EteeStatusDetail and commons 1.0 Status have UNQUALIFIED children', () => {
    const etee = ours.namespaces.get(NS.eteeCore);
    expect(etee?.elementFormDefault).toEqual(['unqualified']);
    const errorType = etee?.complexTypes.get('EteeErrorType');
    expect(errorType?.particle?.kind === 'sequence' && errorType.particle.particles.map((p) => (p.kind === 'element' ? p.name : p.kind))).toEqual([
      '{}Code',
      '{}Message',
      '{}Parameters',
    ]);
    const status = ours.namespaces.get(NS.commonsCore10)?.elements.get('Status');
    const inline = status?.inlineType;
    expect(
      inline?.kind === 'complexType' && inline.particle?.kind === 'sequence' && inline.particle.particles.map((p) => (p.kind === 'element' ? p.name : p.kind)),
    ).toEqual(['{}Code', '{}Message']);
  });
});

// =========================================================================================================

describe('libxml2 accepts and rejects the same messages with our schemas and the reference', () => {
  const SIGNATURE = (c14nChild = ''): string => `<ds:Signature xmlns:ds="${NS.xmldsig}" Id="xmldsig-1">
  <ds:SignedInfo>
    <ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#">${c14nChild}</ds:CanonicalizationMethod>
    <ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
    <ds:Reference URI="#_1">
      <ds:Transforms>
        <ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
        <ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
      </ds:Transforms>
      <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
      <ds:DigestValue>AAAA</ds:DigestValue>
    </ds:Reference>
  </ds:SignedInfo>
  <ds:SignatureValue>AAAA</ds:SignatureValue>
  <ds:KeyInfo><ds:X509Data><ds:X509Certificate>AAAA</ds:X509Certificate><ds:X509Certificate>BBBB</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
</ds:Signature>`;
  const ISSUED = 'IssueInstant="2024-05-01T10:00:00.000+02:00"';
  const SKI = 'A1B2C3D4E5F60718293A4B5C6D7E8F9012345678';
  const actor = (tag: string): string => `<${tag}><cc:Id Type="SSIN">85073003328</cc:Id><cc:FirstName>Jan</cc:FirstName><cc:Name>Test</cc:Name></${tag}>`;
  const contract = (lang: string): string =>
    `<Contract><cert:DN>CN=SSIN\\=85073003328,OU=eHealth-platform Belgium,O=Federal Government,C=BE</cert:DN>${actor('cert:Signer')}<cert:Text><cert:Value ${lang}>&lt;html/&gt;</cert:Value></cert:Text></Contract>`;
  const certraNs = `xmlns="${NS.certraProtocol}" xmlns:cert="${NS.certraCore}" xmlns:cc="${NS.commonsCoreV2}" xmlns:etee="${NS.eteeCore}"`;
  const status = (detail = ''): string =>
    `<cc:Status><cc:StatusCode Value="urn:be:fgov:ehealth:2.0:status:${detail ? 'Responder' : 'Success'}"/>${detail ? `<cc:StatusDetail>${detail}</cc:StatusDetail>` : ''}</cc:Status>`;
  const etkStatus = `<c1:Status xmlns:c1="${NS.commonsCore10}"><Code xmlns="">200</Code><Message xmlns="" Lang="EN">OK</Message></c1:Status>`;
  const criteria = (tag: string): string => `<${tag}><Identifier><Type>SSIN</Type><Value>85073003328</Value></Identifier></${tag}>`;

  const SAMPLES: readonly { name: string; valid: boolean; xml: string }[] = [
    {
      name: 'ActivateETKRequest, signed',
      valid: true,
      xml: `<ActivateETKRequest xmlns="${NS.etkraProtocol}" Id="_1" ${ISSUED}>${SIGNATURE()}</ActivateETKRequest>`,
    },
    {
      name: 'ActivateETKRequest without IssueInstant',
      valid: false,
      xml: `<ActivateETKRequest xmlns="${NS.etkraProtocol}" Id="_1">${SIGNATURE()}</ActivateETKRequest>`,
    },
    {
      name: 'exc-c14n InclusiveNamespaces inside CanonicalizationMethod (lax wildcard)',
      valid: true,
      xml: `<ActivateETKRequest xmlns="${NS.etkraProtocol}" Id="_1" ${ISSUED}>${SIGNATURE('<ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="ds"/>')}</ActivateETKRequest>`,
    },
    {
      name: 'StartETKRegistrationRequest with the signature before the key',
      valid: false,
      xml: `<StartETKRegistrationRequest xmlns="${NS.etkraProtocol}" Id="_1" ${ISSUED}>${SIGNATURE()}<PublicEncryptionKey>AAAA</PublicEncryptionKey></StartETKRegistrationRequest>`,
    },
    {
      name: 'CompleteETKRegistrationResponse',
      valid: true,
      xml: `<CompleteETKRegistrationResponse xmlns="${NS.etkraProtocol}" xmlns:cc="${NS.commonsCoreV2}" Id="_r" InResponseTo="_1" ${ISSUED}>${status()}<ETK>AAAA</ETK><ToBeActivated>false</ToBeActivated></CompleteETKRegistrationResponse>`,
    },
    {
      name: 'GetEtkRequest with empty ApplicationID',
      valid: true,
      xml: `<GetEtkRequest xmlns="${NS.etkdepotProtocol}"><SearchCriteria><Identifier><Type>CBE</Type><Value>0820563481</Value><ApplicationID></ApplicationID></Identifier></SearchCriteria></GetEtkRequest>`,
    },
    {
      name: 'GetEtkRequest with an IssueInstant (1.0 RequestType has none)',
      valid: false,
      xml: `<GetEtkRequest xmlns="${NS.etkdepotProtocol}" ${ISSUED}>${criteria('SearchCriteria')}</GetEtkRequest>`,
    },
    {
      name: 'GetEtkResponse with one ETK, unqualified Code/Message',
      valid: true,
      xml: `<GetEtkResponse xmlns="${NS.etkdepotProtocol}" Id="r1">${etkStatus}${criteria('GivenSearchCriteria')}<ETK>AAAA</ETK></GetEtkResponse>`,
    },
    {
      name: 'GetEtkResponse with MatchingEtk entries',
      valid: true,
      xml: `<GetEtkResponse xmlns="${NS.etkdepotProtocol}">${etkStatus}${criteria('GivenSearchCriteria')}${criteria('MatchingEtk')}${criteria('MatchingEtk')}</GetEtkResponse>`,
    },
    {
      name: 'GetEtkResponse with a qualified Status/Code',
      valid: false,
      xml: `<GetEtkResponse xmlns="${NS.etkdepotProtocol}"><c1:Status xmlns:c1="${NS.commonsCore10}"><c1:Code>200</c1:Code><Message xmlns="">OK</Message></c1:Status></GetEtkResponse>`,
    },
    {
      name: 'GetEtkResponse with both ETK and Error',
      valid: false,
      xml: `<GetEtkResponse xmlns="${NS.etkdepotProtocol}">${etkStatus}${criteria('GivenSearchCriteria')}<ETK>AAAA</ETK><Error><Code>404</Code><Message>x</Message></Error></GetEtkResponse>`,
    },
    {
      name: 'GetCertificateRequest, 20-byte key identifier',
      valid: true,
      xml: `<GetCertificateRequest ${certraNs} ${ISSUED}><PublicKeyIdentifier>${SKI}</PublicKeyIdentifier></GetCertificateRequest>`,
    },
    {
      name: 'GetCertificateRequest, 19-byte key identifier',
      valid: false,
      xml: `<GetCertificateRequest ${certraNs} ${ISSUED}><PublicKeyIdentifier>${SKI.slice(2)}</PublicKeyIdentifier></GetCertificateRequest>`,
    },
    {
      name: 'GetCertificateResponse with EteeStatusDetail (unqualified children)',
      valid: true,
      xml: `<GetCertificateResponse ${certraNs} Id="_r" ${ISSUED}>${status('<etee:EteeStatusDetail><Errors xmlns=""><Code>CERT_NOT_YET_DELIVERED</Code><Message>m</Message><Parameters><Name>a</Name><Value>b</Value></Parameters></Errors></etee:EteeStatusDetail>')}</GetCertificateResponse>`,
    },
    {
      name: 'GetCertificateResponse with qualified etee:Errors',
      valid: false,
      xml: `<GetCertificateResponse ${certraNs} Id="_r" ${ISSUED}>${status('<etee:EteeStatusDetail><etee:Errors><Code>X</Code><Message>m</Message></etee:Errors></etee:EteeStatusDetail>')}</GetCertificateResponse>`,
    },
    {
      name: 'GetCertificateResponse with the chain',
      valid: true,
      xml: `<GetCertificateResponse ${certraNs} Id="_r" ${ISSUED}>${status()}<X509Certificate>AAAA</X509Certificate><X509Certificate>BBBB</X509Certificate></GetCertificateResponse>`,
    },
    {
      name: 'GetExistingApplicationIdsResponse: no Status, nil entry',
      valid: true,
      xml: `<GetExistingApplicationIdsResponse ${certraNs} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" Id="_r" ${ISSUED}><ApplicationId xsi:nil="true"/><ApplicationId>APP1</ApplicationId></GetExistingApplicationIdsResponse>`,
    },
    {
      name: 'GetExistingApplicationIdsResponse with a Status',
      valid: false,
      xml: `<GetExistingApplicationIdsResponse ${certraNs} Id="_r" ${ISSUED}>${status()}</GetExistingApplicationIdsResponse>`,
    },
    {
      name: 'GenerateContractRequest',
      valid: true,
      xml: `<GenerateContractRequest ${certraNs} Id="_1" ${ISSUED}><ContactData><cert:EmailPrivate>a@b.be</cert:EmailPrivate><cert:PhonePrivate>+32</cert:PhonePrivate></ContactData>${actor('Signer')}<CertificateIdentifier>${actor('cert:Actor')}<cert:ApplicationId>APP</cert:ApplicationId></CertificateIdentifier></GenerateContractRequest>`,
    },
    {
      name: 'GenerateContractResponse, localized text with xml:lang',
      valid: true,
      xml: `<GenerateContractResponse ${certraNs} Id="_r" ${ISSUED}>${status()}${contract('xml:lang="fr"')}</GenerateContractResponse>`,
    },
    {
      name: 'GenerateContractResponse, localized text without xml:lang',
      valid: false,
      xml: `<GenerateContractResponse ${certraNs} Id="_r" ${ISSUED}>${status()}${contract('')}</GenerateContractResponse>`,
    },
    {
      name: 'GetActorQualitiesResponse',
      valid: true,
      xml: `<GetActorQualitiesResponse ${certraNs} Id="_r" ${ISSUED}>${status()}<NaturalPersonAuthorization>true</NaturalPersonAuthorization><OrganizationAuthorization><cert:Name><cert:Value xml:lang="nl">Ziekenhuis</cert:Value></cert:Name><cert:Identifier Type="NIHII-HOSPITAL">71089815</cert:Identifier></OrganizationAuthorization></GetActorQualitiesResponse>`,
    },
    {
      name: 'GetNewKeyResponse: unqualified Status, qualified SealedNewKeyResponse',
      valid: true,
      xml: `<kgss:GetNewKeyResponse xmlns:kgss="${NS.kgssProtocol}" Id="_r"><Status><Code>200</Code><Message>OK</Message></Status><kgss:SealedNewKeyResponse><kgss:SealedContent>AAEC</kgss:SealedContent></kgss:SealedNewKeyResponse></kgss:GetNewKeyResponse>`,
    },
    {
      name: 'GetKeyResponse: an error and no sealed key',
      valid: true,
      xml: `<kgss:GetKeyResponse xmlns:kgss="${NS.kgssProtocol}"><Status><Code>400</Code><Message>NO_KEY_FOUND</Message></Status><Error><Code>NO_KEY_FOUND</Code><Message Lang="EN">No key</Message></Error></kgss:GetKeyResponse>`,
    },
    {
      name: 'GetKeyResponse with a qualified Status',
      valid: false,
      xml: `<kgss:GetKeyResponse xmlns:kgss="${NS.kgssProtocol}"><kgss:Status><kgss:Code>200</kgss:Code><kgss:Message>OK</kgss:Message></kgss:Status></kgss:GetKeyResponse>`,
    },
    {
      name: 'GetKeyRequest without its sealed content',
      valid: false,
      xml: `<kgss:GetKeyRequest xmlns:kgss="${NS.kgssProtocol}"/>`,
    },
    {
      name: 'soa:SystemError (unqualified core part, qualified Environment)',
      valid: true,
      xml: `<soa:SystemError xmlns:soa="${NS.errorsSoa}" Id="t-1"><Origin>Server</Origin><Code>SOA-01001</Code><Message xml:lang="en">Service error</Message><Retry>false</Retry><soa:Environment>Production</soa:Environment></soa:SystemError>`,
    },
    {
      name: 'soa:SystemError with an unqualified Environment',
      valid: false,
      xml: `<soa:SystemError xmlns:soa="${NS.errorsSoa}"><Origin>Server</Origin><Code>SOA-01001</Code><Message>x</Message><Environment>Production</Environment></soa:SystemError>`,
    },
  ];

  let workDir: string;
  let ourWrapper: string;
  let referenceWrapper: string;

  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), 'contracts-samples-'));
    // One import per namespace (a schema processor reads one document per namespace): for KGSS the protocol file.
    const byName = (files: readonly string[], name: string) => files.find((file) => basename(file) === name)!;
    ourWrapper = writeWrapperSchema(workDir, [
      { namespace: NS.certraProtocol, file: byName(OUR_ENTRY_FILES, 'ehealth-certra-protocol-v2.xsd') },
      { namespace: NS.etkraProtocol, file: byName(OUR_ENTRY_FILES, 'ehealth-etkra-protocol-v2.xsd') },
      { namespace: NS.etkdepotProtocol, file: byName(OUR_ENTRY_FILES, 'ehealth-etkdepot-protocol-1_0.xsd') },
      { namespace: NS.kgssProtocol, file: byName(OUR_ENTRY_FILES, 'ehealth-etee-kgss-protocol-1_0.xsd') },
      { namespace: NS.errorsSoa, file: byName(OUR_ENTRY_FILES, 'ehealth-errors-soa-v1.xsd') },
    ]);
    referenceWrapper = writeWrapperSchema(workDir, [
      { namespace: NS.certraProtocol, file: byName(REFERENCE_ENTRY_FILES, 'ehealth-certra-schema-protocol-2_0.xsd') },
      { namespace: NS.etkraProtocol, file: byName(REFERENCE_ENTRY_FILES, 'ehealth-etkra-schema-protocol-2_0.xsd') },
      { namespace: NS.etkdepotProtocol, file: byName(REFERENCE_ENTRY_FILES, 'ehealth-etkdepot-schema-protocol-1_0.xsd') },
      { namespace: NS.kgssProtocol, file: byName(REFERENCE_ENTRY_FILES, 'ehealth-etee-kgss-schema-protocol-1_2.xsd') },
      { namespace: NS.errorsSoa, file: byName(REFERENCE_ENTRY_FILES, 'ehealth-errors-schema-soa-1_1.xsd') },
    ]);
  });

  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  test('the sample set exercises both outcomes', () => {
    expect(SAMPLES.filter((s) => s.valid).length).toBeGreaterThan(5);
    expect(SAMPLES.filter((s) => !s.valid).length).toBeGreaterThan(5);
  });

  test.each(SAMPLES.map((s) => [s.name, s]))('%s', (_name, sample) => {
    const expectedExit = sample.valid ? 0 : 3;
    const withReference = validateInstance(referenceWrapper, sample.xml);
    const withOurs = validateInstance(ourWrapper, sample.xml);
    expect({ reference: withReference.exitCode }).toEqual({ reference: expectedExit });
    expect({ ours: withOurs.exitCode, output: sample.valid ? withOurs.output : '' }).toEqual({ ours: expectedExit, output: '' });
  });
});

// =========================================================================================================

describe('wsdl/: our service descriptions', () => {
  test('there is exactly one WSDL per service', () => {
    expect(ourWsdlFiles.map((file) => basename(file))).toEqual(WSDLS.map((spec) => spec.file).sort());
  });

  describe.each(WSDLS.map((spec) => [spec.file, spec]))('%s', (_file, spec) => {
    const path = join(wsdlDir, spec.file);
    let summary: WsdlSummary;
    let schemas: SchemaModel;

    beforeAll(() => {
      summary = readWsdl(path);
      schemas = loadWsdlSchemas(path);
    });

    test('embedded schema imports point at ../xsd/, resolve, and compile with libxml2', () => {
      expect(summary.schemaImports.length).toBeGreaterThan(0);
      for (const imp of summary.schemaImports) expect(imp.schemaLocation).toMatch(/^\.\.\/xsd\/[\w.-]+\.xsd$/);
      expect(summary.schemaImports.map((imp) => imp.namespace)).toEqual(expect.arrayContaining([spec.messageNamespace, NS.errorsSoa]));
      expect(schemas.unresolvedImports).toEqual([]);
      const dir = mkdtempSync(join(tmpdir(), 'wsdl-types-'));
      try {
        const wrapper = writeWrapperSchema(
          dir,
          summary.schemaImports.map((imp) => ({ namespace: imp.namespace, file: resolve(dirname(path), imp.schemaLocation ?? '') })),
        );
        expect(compileSchema(wrapper)).toEqual([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('names: target namespace, portType, SOAP 1.1 document binding, service, port, address', () => {
      expect(summary.targetNamespace).toBe(spec.targetNamespace);
      expect(summary.portTypes).toEqual([spec.portType]);
      expect(summary.bindings).toEqual([
        {
          name: spec.binding,
          type: clark(spec.targetNamespace, spec.portType),
          soapNamespace: WSDL_SOAP11_NS,
          transport: 'http://schemas.xmlsoap.org/soap/http',
          style: 'document',
        },
      ]);
      expect(summary.services).toEqual([
        { name: spec.service, ports: [{ name: spec.port, binding: clark(spec.targetNamespace, spec.binding), address: spec.address }] },
      ]);
    });

    test('operations, SOAPActions, message elements, literal bodies and the SystemError fault', () => {
      expect(summary.operations.map((op) => op.name).sort()).toEqual(spec.operations.map((op) => op.operation).sort());
      for (const expected of spec.operations) {
        const op = summary.operations.find((candidate) => candidate.name === expected.operation);
        expect(op).toEqual({
          name: expected.operation,
          input: clark(spec.messageNamespace, `${expected.element}Request`),
          output: clark(spec.messageNamespace, `${expected.element}Response`),
          faults: { SystemError: clark(NS.errorsSoa, 'SystemError') },
          soapAction: expected.soapAction,
          style: 'document',
          inputUse: 'literal',
          outputUse: 'literal',
          faultUses: { SystemError: 'literal' },
        });
      }
    });

    test('every message element is a global element of the imported schemas', () => {
      const elements = summary.operations.flatMap((op) => [op.input, op.output, ...Object.values(op.faults)]);
      for (const element of elements) {
        expect(element).not.toBeNull();
        const { namespace, localName } = /^\{(?<namespace>[^}]*)\}(?<localName>.+)$/.exec(element ?? '')?.groups ?? {};
        expect(schemas.namespaces.get(namespace ?? '')?.elements.has(localName ?? '')).toBe(true);
      }
    });
  });

  test('etkdepot-v1.wsdl describes the same service as the official etkdepot-proxy-v1.wsdl (address aside)', () => {
    const official = readWsdl(join(referenceDir, 'ehealth-etee/WSDL/etkdepot-proxy-v1.wsdl'));
    const ours = readWsdl(join(wsdlDir, 'etkdepot-v1.wsdl'));
    const withoutAddress = (summary: WsdlSummary): unknown => ({
      ...summary,
      schemaImports: summary.schemaImports.map((imp) => imp.namespace).sort(),
      services: summary.services.map((service) => ({ ...service, ports: service.ports.map((port) => ({ ...port, address: null })) })),
    });
    expect(withoutAddress(ours)).toEqual(withoutAddress(official));
  });

  test('the SOAPActions expected here are the ones recorded in the wire facts', () => {
    const wireFacts = readFileSync(wireFactsFile, 'utf8');
    for (const op of [...CERTRA_OPERATIONS, ...ETKRA_OPERATIONS]) expect(wireFacts).toContain(`\`${op.soapAction}\``);
  });
});

// =========================================================================================================

/**
 * The markup of a document as one string: element and attribute names with values (attributes sorted,
 * import/include locations blanked) and non-blank text. Comments, annotations and whitespace are left out,
 * so re-indenting, re-commenting, re-documenting or re-pointing imports does not make a copy "own work".
 */
function markupFingerprint(text: string): string {
  const parts: string[] = [];
  const visit = (el: Element): void => {
    if (el.localName === 'annotation' || el.localName === 'documentation' || el.localName === 'appinfo') return;
    const attributes: string[] = [];
    for (let i = 0; i < el.attributes.length; i++) {
      const attr = el.attributes.item(i);
      if (attr) attributes.push(`${attr.name}=${attr.name === 'schemaLocation' ? '' : attr.value}`);
    }
    parts.push(`<${el.nodeName} ${attributes.sort().join(' ')}>`);
    for (let i = 0; i < el.childNodes.length; i++) {
      const node = el.childNodes.item(i);
      if (node?.nodeType === 1) visit(node as Element);
      else if (node?.nodeType === 3 && (node.nodeValue ?? '').trim() !== '') parts.push((node.nodeValue ?? '').trim());
    }
    parts.push(`</${el.nodeName}>`);
  };
  visit(parseXml(text, 'fingerprint'));
  return parts.join('');
}

/** Why a file counts as a copy of a reference file, or null. */
function copyVerdict(ours: string, reference: string): string | null {
  const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
  if (sha(ours) === sha(reference)) return 'byte-identical';
  const noSpace = (text: string): string => text.replace(/\s+/g, '');
  if (noSpace(ours) === noSpace(reference)) return 'identical apart from whitespace';
  if (markupFingerprint(ours) === markupFingerprint(reference)) {
    return 'same markup apart from comments, annotations, whitespace, attribute order and import locations';
  }
  return null;
}

function documentationTexts(text: string): string[] {
  return [...text.matchAll(/<(?:[\w-]+:)?documentation\b[^>]*>([\s\S]*?)<\/(?:[\w-]+:)?documentation>/g)].map((m) => (m[1] ?? '').replace(/\s+/g, ' ').trim());
}

describe('we ship our own files, not copies of the reference', () => {
  test('the copy detector recognises a copy, a reformatted copy and a re-commented copy', () => {
    const original = readFileSync(join(referenceDir, 'ehealth-commons/XSD/ehealth-commons-schema-protocol-2_0.xsd'), 'utf8');
    expect(copyVerdict(original, original)).toBe('byte-identical');
    expect(copyVerdict(original.replace(/\n\s*/g, '\n\t'), original)).toBe('identical apart from whitespace');
    const disguised = `<!-- ours -->\n${original}`
      .replace(/<xs:documentation>[^<]*<\/xs:documentation>/g, '<xs:documentation>our words</xs:documentation>')
      .replace('schemaLocation="ehealth-commons-schema-core-2_0.xsd"', 'schemaLocation="ehealth-commons-core-v2.xsd"')
      .replace('attributeFormDefault="unqualified" elementFormDefault="qualified"', 'elementFormDefault="qualified" attributeFormDefault="unqualified"');
    expect(copyVerdict(disguised, original)).toBe('same markup apart from comments, annotations, whitespace, attribute order and import locations');
    expect(copyVerdict(readFileSync(join(xsdDir, 'ehealth-commons-protocol-v2.xsd'), 'utf8'), original)).toBeNull();
  });

  test.each(ourContractFiles.map((file) => [rel(file), file]))('%s is not a copy of any reference file', (_name, file) => {
    const ours = readFileSync(file, 'utf8');
    const copies = referenceContractFiles
      .map((referenceFile) => ({ referenceFile, verdict: copyVerdict(ours, readFileSync(referenceFile, 'utf8')) }))
      .filter((entry) => entry.verdict !== null)
      .map((entry) => `${relative(referenceDir, entry.referenceFile)}: ${entry.verdict}`);
    expect(copies).toEqual([]);
  });

  test('no documentation sentence is taken over from the reference', () => {
    const referenceSentences = new Set(
      referenceContractFiles
        .flatMap((file) => documentationTexts(readFileSync(file, 'utf8')))
        .flatMap((doc) => doc.split(/(?<=[.!?])\s+/))
        .filter((sentence) => sentence.length >= 40),
    );
    expect(referenceSentences.size).toBeGreaterThan(50);
    const borrowed = ourContractFiles.flatMap((file) =>
      documentationTexts(readFileSync(file, 'utf8'))
        .filter((doc) => [...referenceSentences].some((sentence) => doc.includes(sentence)))
        .map((doc) => `${rel(file)}: ${doc}`),
    );
    expect(borrowed).toEqual([]);
  });
});

// =========================================================================================================

describe('schema model comparator (self-test: it must be able to fail)', () => {
  const BASE = `<xs:schema xmlns:xs="${XSD_NS}" xmlns:t="urn:t" targetNamespace="urn:t" elementFormDefault="qualified">
  <xs:element name="Root" type="t:RootType"/>
  <xs:complexType name="RootType">
    <xs:sequence>
      <xs:element name="Item" type="xs:string" minOccurs="0" maxOccurs="unbounded"/>
      <xs:element ref="t:Leaf"/>
    </xs:sequence>
    <xs:attribute name="Id" type="xs:ID"/>
    <xs:attribute name="When" type="xs:dateTime" use="required"/>
  </xs:complexType>
  <xs:element name="Leaf" type="xs:int" nillable="true"/>
</xs:schema>`;

  /** Builds a model from in-memory text, so no file is written. */
  const modelOf = (text: string): SchemaModel => loadSchemaSet(['/virtual/schema.xsd'], { readText: () => text, exists: () => false });

  const diff = (variant: string): string => {
    const reference = modelOf(BASE);
    const ours = modelOf(variant);
    return describeDifferences(compareNamespaces(reference, ours, ['urn:t']));
  };

  test('equal when only prefixes, annotations, attribute order and layout differ', () => {
    const variant = `<?xml version="1.0"?>
<!-- rewritten -->
<schema xmlns="${XSD_NS}" xmlns:other="urn:t" elementFormDefault="qualified" targetNamespace="urn:t">
  <annotation><documentation>ours</documentation></annotation>
  <element name="Leaf" nillable="true" type="int"/>
  <complexType name="RootType">
    <sequence>
      <element maxOccurs="unbounded" minOccurs="0" name="Item" type="string"><annotation><documentation>x</documentation></annotation></element>
      <element ref="other:Leaf" minOccurs="1"/>
    </sequence>
    <attribute name="When" type="dateTime" use="required"/>
    <attribute name="Id" type="ID" use="optional"/>
  </complexType>
  <element name="Root" type="other:RootType"/>
</schema>`;
    expect(diff(variant)).toBe('');
  });

  test('detects a changed minOccurs', () => {
    const report = diff(BASE.replace('minOccurs="0" maxOccurs="unbounded"', 'minOccurs="1" maxOccurs="unbounded"'));
    expect(report).toContain('type {urn:t}RootType :: particle.particles[0].min: reference=0 ours=1');
  });

  test('detects a prefix bound to another namespace even though the QName text is unchanged', () => {
    const report = diff(BASE.replace('<xs:element name="Root" type="t:RootType"/>', '<xs:element name="Root" type="t:RootType" xmlns:t="urn:elsewhere"/>'));
    expect(report).toContain('element {urn:t}Root :: type: reference="{urn:t}RootType" ours="{urn:elsewhere}RootType"');
  });

  test('detects a changed elementFormDefault through the effective names of local elements', () => {
    const report = diff(BASE.replace('elementFormDefault="qualified"', 'elementFormDefault="unqualified"'));
    expect(report).toContain('elementFormDefault[0]: reference="qualified" ours="unqualified"');
    expect(report).toContain('particle.particles[0].name: reference="{urn:t}Item" ours="{}Item"');
  });

  test('detects nillable, attribute use, element order and missing components', () => {
    expect(diff(BASE.replace(' nillable="true"', ''))).toContain('element {urn:t}Leaf :: nillable');
    expect(diff(BASE.replace('use="required"', 'use="optional"'))).toContain('attributes[1].use');
    const swapped = BASE.replace(/(<xs:element name="Item"[^>]*\/>)(\s*)(<xs:element ref="t:Leaf"\/>)/, '$3$2$1');
    expect(diff(swapped)).toContain('particle.particles[0].kind');
    expect(diff(BASE.replace('<xs:element name="Leaf" type="xs:int" nillable="true"/>', ''))).toContain(
      'element {urn:t}Leaf :: (component): reference="present" ours="missing"',
    );
  });

  test('the closure follows types, element refs and base types', () => {
    const model = modelOf(BASE);
    expect(
      componentClosure(model, [{ space: 'element', name: '{urn:t}Root' }])
        .map(componentKey)
        .sort(),
    ).toEqual(['element {urn:t}Leaf', 'element {urn:t}Root', 'type {urn:t}RootType']);
  });

  test('unsupported constructs fail loudly instead of being skipped', () => {
    expect(() => modelOf(BASE.replace('<xs:element name="Root"', '<xs:redefine schemaLocation="x.xsd"/><xs:element name="Root"'))).toThrow(/unsupported/);
  });
});
