/**
 * Who acts on the platform by hand: a named operator (the CLI on a stopped instance, the system itself) or an officer
 * authenticated by a client certificate on the admin listener (subject DN + certificate serial).
 */
export type Operator = string | OfficerIdentity;

/** auditor: reads; officer: reads and decides (requests, mandates, test cases, revocations); admin: all, officers too. */
export type OfficerRole = 'officer' | 'auditor' | 'admin';
export const OFFICER_ROLES: readonly OfficerRole[] = ['officer', 'auditor', 'admin'];

export interface OfficerIdentity {
  readonly subject: string;
  readonly certificateSerial: string;
}

/** The operator as one line of text, for the "by" columns of the records they decide (decided_by, registered_by). */
export function operatorName(operator: Operator): string {
  return typeof operator === 'string' ? operator : `${operator.subject} (serial ${operator.certificateSerial})`;
}
