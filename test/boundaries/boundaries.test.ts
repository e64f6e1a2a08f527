import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The boundary check (`npm run check:boundaries`, part of `npm test`) must be able to fail: run it on a small
 * project that breaks each kind of rule and check that every breach is reported, and nothing else.
 */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function checkBoundaries(root: string) {
  const result = spawnSync(process.execPath, [join(repoRoot, 'scripts/check-boundaries.mjs'), root], { encoding: 'utf8' });
  const violations = result.stdout
    .split('\n')
    .filter((line) => line.startsWith('  '))
    .map((line) => line.trim());
  return { status: result.status, violations, stderr: result.stderr };
}

test('a project that breaks the layer rules fails the check, with one line per breach', () => {
  const { status, violations, stderr } = checkBoundaries(join(repoRoot, 'test/boundaries/fixture'));
  expect(stderr).toBe('');
  expect(status).toBe(1);
  expect(violations.sort()).toEqual([
    'ca-knows-no-soap-xml-or-sql: src/ca/signer.ts → src/storage/certificates.ts',
    'domain-is-the-bottom: src/domain/signer.ts → src/services/registration.ts',
    'services-receive-plain-values: src/services/registration.ts → src/xml/element.ts',
    expect.stringMatching(/^sql-only-in-storage: src\/services\/registration\.ts:5: /),
  ]);
});
