import type { AnyAdminCommand } from '../command.js';
import { AUDIT_COMMANDS } from './audit.js';
import { CA_COMMANDS } from './ca.js';
import { caInitCommand } from './ca-init.js';
import { CERTRA_COMMANDS } from './certra.js';
import { mintIdentityCommand } from './identity.js';
import { OFFICER_COMMANDS } from './officer.js';
import { REMINDER_COMMANDS } from './reminders.js';

/** Every admin command; each file under commands/ contributes its own. */
export const ADMIN_COMMANDS: readonly AnyAdminCommand[] = [
  mintIdentityCommand,
  ...CERTRA_COMMANDS,
  ...OFFICER_COMMANDS,
  caInitCommand,
  ...CA_COMMANDS,
  ...AUDIT_COMMANDS,
  ...REMINDER_COMMANDS,
];
