import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (where wsdl/, xsd/ and migrations/ live), whether we run from src/ or from dist/src/. */
export function projectRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(directory, 'package.json'))) {
    const parent = dirname(directory);
    if (parent === directory) throw new Error('cannot find the project root (package.json)');
    directory = parent;
  }
  return directory;
}

export const projectPaths = {
  wsdl: () => join(projectRoot(), 'wsdl'),
  xsd: () => join(projectRoot(), 'xsd'),
  migrations: () => join(projectRoot(), 'migrations'),
  /** The shipped reminder mail templates (an operator's REMINDER_TEMPLATE_DIR overrides them). */
  reminderTemplates: () => join(projectRoot(), 'templates', 'reminders'),
  /** The officer console's stylesheet (served by the admin listener). */
  consoleAssets: () => join(projectRoot(), 'templates', 'console'),
};
