import type { MandateRole } from '../domain/certra.js';
import type { Queryable } from './database.js';
import { sqlState } from './database.js';

/**
 * What an administrator registers for CertRA: organisation mandates (table certra_mandates) and acceptance test
 * cases (certra_test_cases). The only SQL for those tables.
 */

export interface MandateRow {
  readonly id: bigint;
  readonly organisationType: string;
  readonly organisationId: string;
  readonly organisationName: string;
  readonly holderSsin: string;
  readonly role: MandateRole;
  readonly designatedByMandateId: bigint | null;
  readonly evidence: string;
  /** Where the holder is reminded of the organisation's expiring certificates (certificate managers); null = not registered. */
  readonly contactEmail: string | null;
  readonly registeredBy: string;
  readonly registeredAt: Date;
  readonly withdrawnAt: Date | null;
  readonly withdrawnBy: string | null;
  readonly withdrawalReason: string | null;
}

export interface TestCaseRow {
  readonly id: bigint;
  readonly identifierType: string;
  readonly identifierValue: string;
  readonly responsibleSsin: string;
  readonly description: string;
  readonly registeredBy: string;
  readonly registeredAt: Date;
  readonly removedAt: Date | null;
  readonly removedBy: string | null;
}

/** The same active registration exists already (a partial unique index refused the insert). */
export class DuplicateRegistrationError extends Error {
  constructor(what: string) {
    super(`${what} is already registered`);
    this.name = 'DuplicateRegistrationError';
  }
}

const MANDATE_COLUMNS = `id, organisation_type, organisation_id, organisation_name, holder_ssin, role, designated_by_mandate_id, evidence,
  contact_email, registered_by, registered_at, withdrawn_at, withdrawn_by, withdrawal_reason`;

function toMandate(r: Record<string, unknown>): MandateRow {
  return {
    id: r.id as bigint,
    organisationType: r.organisation_type as string,
    organisationId: r.organisation_id as string,
    organisationName: r.organisation_name as string,
    holderSsin: r.holder_ssin as string,
    role: r.role as MandateRole,
    designatedByMandateId: (r.designated_by_mandate_id as bigint | null) ?? null,
    evidence: r.evidence as string,
    contactEmail: (r.contact_email as string | null) ?? null,
    registeredBy: r.registered_by as string,
    registeredAt: r.registered_at as Date,
    withdrawnAt: (r.withdrawn_at as Date | null) ?? null,
    withdrawnBy: (r.withdrawn_by as string | null) ?? null,
    withdrawalReason: (r.withdrawal_reason as string | null) ?? null,
  };
}

const TEST_CASE_COLUMNS = 'id, identifier_type, identifier_value, responsible_ssin, description, registered_by, registered_at, removed_at, removed_by';

function toTestCase(r: Record<string, unknown>): TestCaseRow {
  return {
    id: r.id as bigint,
    identifierType: r.identifier_type as string,
    identifierValue: r.identifier_value as string,
    responsibleSsin: r.responsible_ssin as string,
    description: r.description as string,
    registeredBy: r.registered_by as string,
    registeredAt: r.registered_at as Date,
    removedAt: (r.removed_at as Date | null) ?? null,
    removedBy: (r.removed_by as string | null) ?? null,
  };
}

export const mandates = {
  async insert(
    q: Queryable,
    mandate: Omit<MandateRow, 'id' | 'contactEmail' | 'withdrawnAt' | 'withdrawnBy' | 'withdrawalReason'> & { readonly contactEmail?: string | null },
  ): Promise<MandateRow> {
    try {
      const [row] = await q.query(
        `INSERT INTO certra_mandates (organisation_type, organisation_id, organisation_name, holder_ssin, role, designated_by_mandate_id,
           evidence, registered_by, registered_at, contact_email)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${MANDATE_COLUMNS}`,
        [
          mandate.organisationType,
          mandate.organisationId,
          mandate.organisationName,
          mandate.holderSsin,
          mandate.role,
          mandate.designatedByMandateId,
          mandate.evidence,
          mandate.registeredBy,
          mandate.registeredAt,
          mandate.contactEmail ?? null,
        ],
      );
      return toMandate(row!);
    } catch (error) {
      if (sqlState(error) === '23505') {
        throw new DuplicateRegistrationError(`${mandate.role} mandate of ${mandate.holderSsin} for ${mandate.organisationType} ${mandate.organisationId}`);
      }
      throw error;
    }
  },

  async findById(q: Queryable, id: bigint): Promise<MandateRow | undefined> {
    const [row] = await q.query(`SELECT ${MANDATE_COLUMNS} FROM certra_mandates WHERE id = $1`, [id]);
    return row ? toMandate(row) : undefined;
  },

  /** Active mandates of one person for one organisation (any role), legal representative first. */
  async findActive(q: Queryable, organisationType: string, organisationId: string, holderSsin: string): Promise<MandateRow[]> {
    const rows = await q.query(
      `SELECT ${MANDATE_COLUMNS} FROM certra_mandates
       WHERE organisation_type = $1 AND organisation_id = $2 AND holder_ssin = $3 AND withdrawn_at IS NULL ORDER BY role DESC, id`,
      [organisationType, organisationId, holderSsin],
    );
    return rows.map(toMandate);
  },

  /** Active mandates a person holds, in registration order. */
  async listActiveForHolder(q: Queryable, holderSsin: string): Promise<MandateRow[]> {
    const rows = await q.query(`SELECT ${MANDATE_COLUMNS} FROM certra_mandates WHERE holder_ssin = $1 AND withdrawn_at IS NULL ORDER BY id`, [holderSsin]);
    return rows.map(toMandate);
  },

  async list(
    q: Queryable,
    filter: { organisationType?: string; organisationId?: string; holderSsin?: string; includeWithdrawn?: boolean },
  ): Promise<MandateRow[]> {
    const rows = await q.query(
      `SELECT ${MANDATE_COLUMNS} FROM certra_mandates
       WHERE ($1::text IS NULL OR organisation_type = $1) AND ($2::text IS NULL OR organisation_id = $2)
         AND ($3::text IS NULL OR holder_ssin = $3) AND ($4::boolean OR withdrawn_at IS NULL)
       ORDER BY id`,
      [filter.organisationType ?? null, filter.organisationId ?? null, filter.holderSsin ?? null, filter.includeWithdrawn ?? false],
    );
    return rows.map(toMandate);
  },

  /** Sets (or, with null, removes) the reminder address of an active mandate; false when it was not active. */
  async setContactEmail(q: Queryable, id: bigint, contactEmail: string | null): Promise<boolean> {
    const rows = await q.query('UPDATE certra_mandates SET contact_email = $2 WHERE id = $1 AND withdrawn_at IS NULL RETURNING id', [id, contactEmail]);
    return rows.length === 1;
  },

  /** Withdraws an active mandate; false when it was not active. */
  async withdraw(q: Queryable, id: bigint, withdrawal: { at: Date; by: string; reason: string }): Promise<boolean> {
    const rows = await q.query(
      `UPDATE certra_mandates SET withdrawn_at = $2, withdrawn_by = $3, withdrawal_reason = $4 WHERE id = $1 AND withdrawn_at IS NULL RETURNING id`,
      [id, withdrawal.at, withdrawal.by, withdrawal.reason],
    );
    return rows.length === 1;
  },
};

export const testCases = {
  async insert(q: Queryable, testCase: Omit<TestCaseRow, 'id' | 'removedAt' | 'removedBy'>): Promise<TestCaseRow> {
    try {
      const [row] = await q.query(
        `INSERT INTO certra_test_cases (identifier_type, identifier_value, responsible_ssin, description, registered_by, registered_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${TEST_CASE_COLUMNS}`,
        [testCase.identifierType, testCase.identifierValue, testCase.responsibleSsin, testCase.description, testCase.registeredBy, testCase.registeredAt],
      );
      return toTestCase(row!);
    } catch (error) {
      if (sqlState(error) === '23505') {
        throw new DuplicateRegistrationError(`test case ${testCase.identifierType} ${testCase.identifierValue} for ${testCase.responsibleSsin}`);
      }
      throw error;
    }
  },

  async findActive(q: Queryable, identifierType: string, identifierValue: string, responsibleSsin: string): Promise<TestCaseRow | undefined> {
    const [row] = await q.query(
      `SELECT ${TEST_CASE_COLUMNS} FROM certra_test_cases
       WHERE identifier_type = $1 AND identifier_value = $2 AND responsible_ssin = $3 AND removed_at IS NULL`,
      [identifierType, identifierValue, responsibleSsin],
    );
    return row ? toTestCase(row) : undefined;
  },

  async list(q: Queryable, options: { includeRemoved?: boolean } = {}): Promise<TestCaseRow[]> {
    const rows = await q.query(`SELECT ${TEST_CASE_COLUMNS} FROM certra_test_cases WHERE $1::boolean OR removed_at IS NULL ORDER BY id`, [
      options.includeRemoved ?? false,
    ]);
    return rows.map(toTestCase);
  },

  async remove(q: Queryable, id: bigint, removal: { at: Date; by: string }): Promise<boolean> {
    const rows = await q.query('UPDATE certra_test_cases SET removed_at = $2, removed_by = $3 WHERE id = $1 AND removed_at IS NULL RETURNING id', [
      id,
      removal.at,
      removal.by,
    ]);
    return rows.length === 1;
  },
};

/** Secrets of the CertRA service (table certra_secrets), e.g. the contract seal key. */
export const certRaSecrets = {
  async get(q: Queryable, name: string): Promise<Buffer | undefined> {
    const [row] = await q.query<{ secret: Buffer }>('SELECT secret FROM certra_secrets WHERE name = $1', [name]);
    return row?.secret;
  },
};
