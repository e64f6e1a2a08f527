/**
 * The layers of src/ (docs/ARCHITECTURE.md), enforced by `npm run check:boundaries` (part of `npm test`):
 *
 *   front ends (soap/, frontend/, cli/)  →  services/  →  ca/ , storage/  →  domain/
 *
 * with shared low-level pieces (asn1/, x509/, identifiers/, trust/, xml/) that never reach up. composition.ts, app.ts
 * and server.ts are the composition root and may import anything.
 */
const layer = (name) => `^src/${name}/`;

/** Node/npm modules only storage may touch: SQL lives in src/storage. */
const DATABASE_DRIVERS = '^(node_modules/)?(pg|@electric-sql/pglite)(/|$)';
/** Unit tests sit beside the code and may wire layers together (a SOAP test drives a real operation). */
const TEST = '\\.test\\.ts$';
const HTTP_FRAMEWORK = '^(node_modules/)?(fastify|@fastify/[^/]+)(/|$)';

module.exports = {
  forbidden: [
    {
      name: 'domain-is-the-bottom',
      comment: 'domain/ holds plain types and rules shared by every layer; it imports nothing else from src/.',
      severity: 'error',
      from: { path: layer('domain'), pathNot: TEST },
      to: { path: '^src/', pathNot: layer('domain') },
    },
    {
      name: 'ca-knows-no-soap-xml-or-sql',
      comment: 'The CA signs and lints; it knows nothing of SOAP, XML, SQL, HTTP or the services that call it.',
      severity: 'error',
      from: { path: layer('ca'), pathNot: TEST },
      to: {
        path: [
          layer('storage'),
          layer('xml'),
          layer('soap'),
          layer('frontend'),
          layer('services'),
          layer('cli'),
          layer('config'),
          DATABASE_DRIVERS,
          HTTP_FRAMEWORK,
        ],
      },
    },
    {
      name: 'storage-stays-below-services',
      comment: 'Repositories are called by services; they never call up into services, front ends, XML or the CA.',
      severity: 'error',
      from: { path: layer('storage'), pathNot: TEST },
      to: { path: [layer('services'), layer('frontend'), layer('soap'), layer('xml'), layer('cli'), layer('ca'), HTTP_FRAMEWORK] },
    },
    {
      name: 'services-receive-plain-values',
      comment: 'Services get typed, authenticated values from the front ends: no XML, SOAP, HTTP or front-end code.',
      severity: 'error',
      from: { path: layer('services'), pathNot: TEST },
      to: { path: [layer('xml'), layer('soap'), layer('frontend'), layer('cli'), HTTP_FRAMEWORK] },
    },
    {
      name: 'sql-drivers-only-in-storage',
      comment: 'SQL lives only in storage/: nothing else opens a database driver.',
      severity: 'error',
      from: { path: '^src/', pathNot: [layer('storage'), TEST] },
      to: { path: DATABASE_DRIVERS },
    },
    {
      name: 'transport-knows-no-business',
      comment: 'soap/ is transport (envelopes, faults, dispatch); operations plug in from frontend/.',
      severity: 'error',
      from: { path: layer('soap'), pathNot: TEST },
      to: { path: [layer('services'), layer('storage'), layer('ca'), layer('frontend'), layer('cli')] },
    },
    {
      name: 'front-ends-go-through-services',
      comment: 'Front ends stay thin: they authenticate, read the request and call services, never storage directly.',
      severity: 'error',
      from: { path: [layer('frontend'), layer('soap')], pathNot: TEST },
      to: { path: layer('storage') },
    },
    {
      name: 'low-level-pieces-never-reach-up',
      comment: 'asn1/, x509/, identifiers/, trust/ and xml/ are shared building blocks below every layer that uses them.',
      severity: 'error',
      from: { path: '^src/(asn1|x509|identifiers|trust|xml)/', pathNot: TEST },
      to: {
        path: [
          layer('services'),
          layer('storage'),
          layer('soap'),
          layer('frontend'),
          layer('cli'),
          layer('ca'),
          layer('config'),
          HTTP_FRAMEWORK,
          DATABASE_DRIVERS,
        ],
      },
    },
    {
      name: 'only-the-root-imports-the-root',
      comment: 'composition.ts, app.ts and server.ts wire everything; nothing below them imports them but the CLI entry.',
      severity: 'error',
      from: { path: '^src/(?!composition\\.ts|app\\.ts|server\\.ts)', pathNot: [TEST, '^src/cli/admin(-context)?\\.ts$'] },
      to: { path: '^src/(composition|app|server)\\.ts$' },
    },
    {
      name: 'no-production-code-imports-tests',
      severity: 'error',
      from: { path: '^src/', pathNot: TEST },
      to: { path: ['\\.test\\.ts$', '^test/'] },
    },
    {
      name: 'no-circular',
      comment: 'A cycle means two modules are one; merge them or move the shared part down.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
