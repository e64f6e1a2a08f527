import { EXTENSION_LINTS } from './extension-lints.js';
import { KEY_LINTS } from './key-lints.js';
import { NAME_LINTS } from './name-lints.js';
import { STRUCTURE_LINTS } from './structure-lints.js';
import { VALIDITY_LINTS } from './validity-lints.js';
import type { LintCertificate } from './lint-certificate.js';
import type { Lint, LintContext } from './types.js';

/** Every lint run before signing. Order only affects which failure is reported first. */
export const DEFAULT_LINTS: readonly Lint[] = Object.freeze([...STRUCTURE_LINTS, ...VALIDITY_LINTS, ...NAME_LINTS, ...KEY_LINTS, ...EXTENSION_LINTS]);

export interface LintOutcome {
  readonly name: string;
  readonly status: 'pass' | 'fail' | 'not-applicable';
  readonly detail?: string;
}

/** Runs lints; a lint that throws counts as a failure (a broken lint must not let a certificate through). */
export function runLints(cert: LintCertificate, context: LintContext, lints: readonly Lint[] = DEFAULT_LINTS): LintOutcome[] {
  return lints.map((lint) => {
    try {
      const result = lint.check(cert, context);
      return result.status === 'fail' ? { name: lint.name, status: 'fail', detail: result.detail } : { name: lint.name, status: result.status };
    } catch (error) {
      return { name: lint.name, status: 'fail', detail: `lint raised ${error instanceof Error ? error.message : String(error)}` };
    }
  });
}
