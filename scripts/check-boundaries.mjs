#!/usr/bin/env node
// The layer rules of docs/ARCHITECTURE.md, checked by tools rather than by memory (run by `npm test`):
//  1. dependency-cruiser over src/ with .dependency-cruiser.cjs (which layer may import which);
//  2. SQL statements only in src/storage: a statement keyword in a string literal anywhere else is a violation.
// Usage: node scripts/check-boundaries.mjs [project root]   (exit 1 and one line per violation when a rule is broken)
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..');
const root = resolve(process.argv[2] ?? repoRoot);

const violations = [];

const cruiser = spawnSync(
  process.execPath,
  [
    join(repoRoot, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'),
    'src',
    '--config',
    join(repoRoot, '.dependency-cruiser.cjs'),
    '--output-type',
    'json',
  ],
  { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
);
if (cruiser.error || (cruiser.status !== 0 && !cruiser.stdout.startsWith('{'))) {
  process.stderr.write(`dependency-cruiser did not run: ${cruiser.error?.message ?? cruiser.stderr}\n`);
  process.exit(2);
}
const report = JSON.parse(cruiser.stdout);
for (const v of report.summary.violations) {
  const cycle = v.cycle ? ` (cycle: ${v.cycle.map((c) => c.name ?? c).join(' → ')})` : '';
  violations.push(`${v.rule.name}: ${v.from} → ${v.to}${cycle}`);
}

// Statement keywords as SQL writes them (upper case), inside a quoted or template string.
const SQL_STATEMENT =
  /(['"`])\s*(SELECT\s+[\w*$(]|INSERT\s+INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b|CREATE\s+(TABLE|INDEX|UNIQUE)\b|ALTER\s+TABLE\b|DROP\s+TABLE\b|LISTEN\s|NOTIFY\s)/;
const storageDir = join(root, 'src', 'storage') + sep;
function* sourceFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) yield path;
  }
}
for (const file of sourceFiles(join(root, 'src'))) {
  if (file.startsWith(storageDir)) continue;
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, index) => {
      if (SQL_STATEMENT.test(line)) violations.push(`sql-only-in-storage: ${relative(root, file)}:${index + 1}: ${line.trim()}`);
    });
}

if (violations.length > 0) {
  process.stdout.write(`${violations.length} boundary violation(s) — see docs/ARCHITECTURE.md:\n${violations.map((v) => `  ${v}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(`boundaries: ${report.summary.totalCruised} modules, ${report.summary.totalDependenciesCruised} imports, no violation\n`);
