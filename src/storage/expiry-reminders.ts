import type { CertRaEntityType, ContactData } from '../domain/certra.js';
import type { Queryable } from './database.js';

/**
 * SQL of the expiry reminders (migration 0007): which certificate is due for which nag window, the per-window records,
 * the durable outbox of messages and its claims, contact languages, and the "expiring in N days" listing.
 */

export type ReminderChannel = 'email' | 'webhook';
export type ReminderLanguage = 'fr' | 'nl' | 'en';
/** A message's language: one of the three, or all three in one message (contact language unknown). */
export type MessageLanguage = ReminderLanguage | 'all';
export type MessageStatus = 'pending' | 'sent' | 'cancelled' | 'failed';
export type RecipientRole = 'contact' | 'certificate-manager' | 'webhook';

/** A certificate issued for a CertRA request, with what the reminders need to know of both. */
export interface ReminderCertificateRow {
  readonly certificateId: bigint;
  readonly issuerKeyId: string;
  readonly serialHex: string;
  readonly subjectDn: string;
  readonly publicKeyIdentifier: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly revokedAt: Date | null;
  readonly entityType: CertRaEntityType;
  readonly identifierType: string;
  readonly identifierValue: string;
  readonly applicationId: string | null;
  readonly contactData: ContactData;
  /** A newer valid certificate for the same identifier and application id (a renewal), if any. */
  readonly renewedByCertificateId: bigint | null;
}

/** A certificate whose current nag window has not been examined yet. */
export interface DueReminderRow extends ReminderCertificateRow {
  readonly windowDays: number;
  /** When the window opened for this certificate: notAfter − windowDays, never before the renewal period starts. */
  readonly dueAt: Date;
}

export interface WindowSchedule {
  /** The nag windows in days before notAfter. */
  readonly nagDays: readonly number[];
  /** Length of the renewal period before notAfter: no window opens before it (a reminder invites a renewal). */
  readonly renewalPeriodMonths: number;
}

export interface ManagerContactRow {
  readonly mandateId: bigint;
  readonly organisationType: string;
  readonly organisationId: string;
  readonly holderSsin: string;
  /** The mandate's address, else the EmailPrivate of their latest CertRA request; null when neither exists. */
  readonly email: string | null;
}

export interface ClaimedMessageRow {
  readonly id: bigint;
  readonly channel: ReminderChannel;
  readonly recipient: string;
  readonly language: MessageLanguage;
  /** Including the attempt just claimed. */
  readonly attempts: number;
  readonly createdAt: Date;
}

export interface MessageItemRow extends ReminderCertificateRow {
  readonly messageId: bigint;
  readonly reminderId: bigint;
  readonly role: RecipientRole;
  readonly windowDays: number;
  readonly dueAt: Date;
}

export interface ReminderMessageRow {
  readonly id: bigint;
  readonly channel: ReminderChannel;
  readonly recipient: string;
  readonly language: MessageLanguage;
  readonly status: MessageStatus;
  readonly attempts: number;
  readonly createdAt: Date;
  readonly nextAttemptAt: Date;
  readonly lastAttemptAt: Date | null;
  readonly lastError: string | null;
  readonly finishedAt: Date | null;
  /** Serial numbers (hex) of the certificates the message is about. */
  readonly serials: readonly string[];
}

export interface ExpiringCertificateRow extends ReminderCertificateRow {
  /** The windows already examined for it, with their outcome. */
  readonly reminders: ReadonlyArray<{ readonly windowDays: number; readonly outcome: 'queued' | 'renewed'; readonly examinedAt: Date }>;
  readonly pendingMessages: number;
}

export interface ContactLanguageRow {
  readonly email: string;
  readonly language: ReminderLanguage;
  readonly updatedAt: Date;
  readonly updatedBy: string;
}

/** Advisory lock of the planner ('remind' in ASCII): one process plans at a time, the others go on to deliver. */
const PLANNING_LOCK_KEY = 0x72656d696e64;

/** Seconds in a nag day: windows are exact multiples of 24 hours before notAfter, whatever the session's time zone. */
const DAY_SECONDS = 86_400;

/**
 * When window `days` opens for certificate `c`: notAfter − days, but not before the renewal period begins (notAfter −
 * N calendar months, computed in UTC as domain/clock.ts addMonths does, which PostgreSQL's month arithmetic matches:
 * the day is clamped to the end of a shorter month). A T-90 reminder for a certificate whose three months are 89 days
 * long would otherwise invite a renewal that CertRA refuses for one more day.
 */
const dueAt = (c: string, days: string, months: string) =>
  `GREATEST(${c}.not_after - make_interval(secs => ${days} * ${DAY_SECONDS}), ((${c}.not_after AT TIME ZONE 'UTC') - make_interval(months => ${months})) AT TIME ZONE 'UTC')`;

/**
 * The newest valid certificate issued for the same identifier and application id after `c` (same DN included: the DN
 * is built from them), i.e. the certificate's renewal. `now` is the parameter holding the current time.
 */
const renewedBy = (c: string, r: string, now: string) => `(
  SELECT n2.id FROM certra_requests r2 JOIN issued_certificates n2 ON n2.id = r2.issued_certificate_id
  WHERE r2.identifier_type = ${r}.identifier_type AND r2.identifier_value = ${r}.identifier_value
    AND r2.application_id IS NOT DISTINCT FROM ${r}.application_id AND r2.status = 'ISSUED' AND n2.id <> ${c}.id
    AND n2.revoked_at IS NULL AND n2.certificate_der IS NOT NULL AND n2.not_after > ${c}.not_after AND n2.not_before <= ${now}
  ORDER BY n2.not_after DESC, n2.id DESC LIMIT 1)`;

const CERTIFICATE_COLUMNS = (c: string, r: string, now: string) => `${c}.id AS certificate_id, ${c}.issuer_key_id, ${c}.serial_hex, ${c}.subject_dn,
  ${r}.public_key_identifier, ${c}.not_before, ${c}.not_after, ${c}.revoked_at, ${r}.entity_type, ${r}.identifier_type, ${r}.identifier_value,
  ${r}.application_id, ${r}.contact_data, ${renewedBy(c, r, now)} AS renewed_by`;

function jsonValue<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

function toCertificate(r: Record<string, unknown>): ReminderCertificateRow {
  return {
    certificateId: r.certificate_id as bigint,
    issuerKeyId: r.issuer_key_id as string,
    serialHex: r.serial_hex as string,
    subjectDn: r.subject_dn as string,
    publicKeyIdentifier: r.public_key_identifier as string,
    notBefore: r.not_before as Date,
    notAfter: r.not_after as Date,
    revokedAt: (r.revoked_at as Date | null) ?? null,
    entityType: r.entity_type as CertRaEntityType,
    identifierType: r.identifier_type as string,
    identifierValue: r.identifier_value as string,
    applicationId: (r.application_id as string | null) ?? null,
    contactData: jsonValue<ContactData>(r.contact_data),
    renewedByCertificateId: (r.renewed_by as bigint | null) ?? null,
  };
}

const MESSAGE_COLUMNS = `m.id, m.channel, m.recipient, m.language, m.status, m.attempts, m.created_at, m.next_attempt_at, m.last_attempt_at,
  m.last_error, m.finished_at`;

export const expiryReminderStore = {
  /** Takes the planner's lock for the caller's transaction, if no other transaction holds it (never waits). */
  async tryLockPlanning(tx: Queryable): Promise<boolean> {
    const [row] = await tx.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [PLANNING_LOCK_KEY]);
    return row!.locked;
  },

  /**
   * Valid certificates of CertRA requests whose current window (the narrowest one already open) has not been examined,
   * nor any narrower one: a certificate gets at most one reminder per window, and a window missed while nothing ran
   * is skipped rather than sent late next to a narrower one. A window that opened before the certificate's own
   * notBefore is not one of its windows. Soonest end first, at most `limit`.
   */
  async findDue(tx: Queryable, now: Date, schedule: WindowSchedule, limit: number): Promise<DueReminderRow[]> {
    const widest = Math.max(...schedule.nagDays);
    const rows = await tx.query(
      `WITH candidates AS (
         SELECT c.*, r.id AS request_id, r.public_key_identifier, r.entity_type, r.identifier_type, r.identifier_value, r.application_id, r.contact_data
         FROM issued_certificates c JOIN certra_requests r ON r.issued_certificate_id = c.id
         WHERE c.revoked_at IS NULL AND c.certificate_der IS NOT NULL AND c.not_after > $1
           AND c.not_after <= $1 + make_interval(secs => $3::integer * ${DAY_SECONDS})
       ), windowed AS (
         SELECT k.*, w.days AS window_days, w.due_at
         FROM candidates k CROSS JOIN LATERAL (
           SELECT n.days, ${dueAt('k', 'n.days', '$4::integer')} AS due_at FROM unnest($2::integer[]) AS n (days)
           WHERE ${dueAt('k', 'n.days', '$4::integer')} <= $1 ORDER BY n.days LIMIT 1
         ) w
       )
       SELECT ${CERTIFICATE_COLUMNS('k', 'k', '$1')}, k.window_days, k.due_at
       FROM windowed k
       WHERE k.due_at >= k.not_before
         AND NOT EXISTS (SELECT 1 FROM expiry_reminders e WHERE e.issued_certificate_id = k.id AND e.window_days <= k.window_days)
       ORDER BY k.not_after, k.id
       LIMIT $5`,
      [now, [...schedule.nagDays], widest, schedule.renewalPeriodMonths, limit],
    );
    return rows.map((r) => ({ ...toCertificate(r), windowDays: Number(r.window_days), dueAt: r.due_at as Date }));
  },

  /** The active certificate managers of the given organisations, with the address each is reminded at. */
  async certificateManagers(q: Queryable, organisations: ReadonlyArray<{ type: string; value: string }>): Promise<ManagerContactRow[]> {
    if (organisations.length === 0) return [];
    const rows = await q.query<{ id: bigint; organisation_type: string; organisation_id: string; holder_ssin: string; email: string | null }>(
      `SELECT m.id, m.organisation_type, m.organisation_id, m.holder_ssin,
         COALESCE(NULLIF(btrim(m.contact_email), ''), (
           SELECT q.contact_data->>'emailPrivate' FROM certra_requests q WHERE q.requester_ssin = m.holder_ssin
           ORDER BY q.requested_at DESC, q.id DESC LIMIT 1)) AS email
       FROM certra_mandates m
       WHERE m.role = 'CERTIFICATE_MANAGER' AND m.withdrawn_at IS NULL
         AND (m.organisation_type, m.organisation_id) IN (SELECT t, v FROM unnest($1::text[], $2::text[]) AS o (t, v))
       ORDER BY m.id`,
      [organisations.map((o) => o.type), organisations.map((o) => o.value)],
    );
    return rows.map((r) => ({
      mandateId: r.id,
      organisationType: r.organisation_type,
      organisationId: r.organisation_id,
      holderSsin: r.holder_ssin,
      email: r.email,
    }));
  },

  /** The languages recorded for these addresses (compared in lower case). */
  async languagesOf(q: Queryable, emails: readonly string[]): Promise<Map<string, ReminderLanguage>> {
    if (emails.length === 0) return new Map();
    const rows = await q.query<{ email: string; language: ReminderLanguage }>(
      'SELECT email, language FROM reminder_contact_languages WHERE email = ANY($1::text[])',
      [[...new Set(emails.map((e) => e.toLowerCase()))]],
    );
    return new Map(rows.map((r) => [r.email, r.language]));
  },

  /** Records that a certificate's window was examined; undefined when another process recorded it first. */
  async recordWindow(
    tx: Queryable,
    record: { certificateId: bigint; windowDays: number; dueAt: Date; outcome: 'queued' | 'renewed'; renewedBy: bigint | null; at: Date },
  ): Promise<bigint | undefined> {
    const rows = await tx.query<{ id: bigint }>(
      `INSERT INTO expiry_reminders (issued_certificate_id, window_days, due_at, outcome, renewed_by_certificate_id, examined_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT ON CONSTRAINT expiry_reminders_window_uq DO NOTHING RETURNING id`,
      [record.certificateId, record.windowDays, record.dueAt, record.outcome, record.renewedBy, record.at],
    );
    return rows[0]?.id;
  },

  /** Puts a message in the outbox, due at once, with the reminders it carries. */
  async enqueue(
    tx: Queryable,
    message: { channel: ReminderChannel; recipient: string; language: MessageLanguage; at: Date },
    items: ReadonlyArray<{ reminderId: bigint; role: RecipientRole }>,
  ): Promise<bigint> {
    const [row] = await tx.query<{ id: bigint }>(
      `INSERT INTO reminder_messages (channel, recipient, language, status, created_at, next_attempt_at)
       VALUES ($1, $2, $3, 'pending', $4, $4) RETURNING id`,
      [message.channel, message.recipient, message.language, message.at],
    );
    await tx.query(
      `INSERT INTO reminder_message_items (message_id, reminder_id, role)
       SELECT $1, reminder_id, role FROM unnest($2::bigint[], $3::text[]) AS i (reminder_id, role)`,
      [row!.id, items.map((i) => i.reminderId), items.map((i) => i.role)],
    );
    return row!.id;
  },

  /**
   * Claims due pending messages of the given channels for a lease, skipping those another transaction holds
   * (FOR UPDATE SKIP LOCKED) or another sender has leased: two senders never get the same message. Counts the attempt.
   */
  async claimDue(
    q: Queryable,
    claim: { now: Date; leaseUntil: Date; claimant: string; channels: readonly ReminderChannel[]; limit: number },
  ): Promise<ClaimedMessageRow[]> {
    if (claim.channels.length === 0 || claim.limit <= 0) return [];
    const rows = await q.query(
      `UPDATE reminder_messages m SET claimed_by = $2, claimed_until = $3, attempts = m.attempts + 1, last_attempt_at = $1
       WHERE m.id IN (
         SELECT id FROM reminder_messages
         WHERE status = 'pending' AND channel = ANY($4::text[]) AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)
         ORDER BY next_attempt_at, id LIMIT $5
         FOR UPDATE SKIP LOCKED)
       RETURNING m.id, m.channel, m.recipient, m.language, m.attempts, m.created_at`,
      [claim.now, claim.claimant, claim.leaseUntil, [...claim.channels], claim.limit],
    );
    return rows
      .map((r) => ({
        id: r.id as bigint,
        channel: r.channel as ReminderChannel,
        recipient: r.recipient as string,
        language: r.language as MessageLanguage,
        attempts: Number(r.attempts),
        createdAt: r.created_at as Date,
      }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  },

  /** The reminders the messages carry, with the certificates' state now (revoked, renewed since, expired). */
  async itemsOf(q: Queryable, messageIds: readonly bigint[], now: Date): Promise<MessageItemRow[]> {
    if (messageIds.length === 0) return [];
    const rows = await q.query(
      `SELECT i.message_id, i.reminder_id, i.role, e.window_days, e.due_at, ${CERTIFICATE_COLUMNS('c', 'r', '$2')}
       FROM reminder_message_items i JOIN expiry_reminders e ON e.id = i.reminder_id
       JOIN issued_certificates c ON c.id = e.issued_certificate_id JOIN certra_requests r ON r.issued_certificate_id = c.id
       WHERE i.message_id = ANY($1::bigint[])
       ORDER BY c.not_after, c.id`,
      [[...messageIds], now],
    );
    return rows.map((r) => ({
      ...toCertificate(r),
      messageId: r.message_id as bigint,
      reminderId: r.reminder_id as bigint,
      role: r.role as RecipientRole,
      windowDays: Number(r.window_days),
      dueAt: r.due_at as Date,
    }));
  },

  /** Delivered: the message leaves the outbox. False when the claim was lost (the lease ran out and another took it). */
  async markSent(q: Queryable, id: bigint, claimant: string, at: Date): Promise<boolean> {
    return finish(q, id, claimant, 'sent', at, null);
  },

  /** Nothing left to remind (renewed, revoked or expired before delivery). */
  async markCancelled(q: Queryable, id: bigint, claimant: string, at: Date, reason: string): Promise<boolean> {
    return finish(q, id, claimant, 'cancelled', at, reason);
  },

  /** Refused for good (the SMTP server rejected the recipient). */
  async markFailed(q: Queryable, id: bigint, claimant: string, at: Date, error: string): Promise<boolean> {
    return finish(q, id, claimant, 'failed', at, error);
  },

  /** A failed attempt: the message waits until `nextAttemptAt`. */
  async markRetry(q: Queryable, id: bigint, claimant: string, nextAttemptAt: Date, error: string): Promise<boolean> {
    const rows = await q.query(
      `UPDATE reminder_messages SET next_attempt_at = $3, last_error = $4, claimed_by = NULL, claimed_until = NULL
       WHERE id = $1 AND claimed_by = $2 AND status = 'pending' RETURNING id`,
      [id, claimant, nextAttemptAt, error],
    );
    return rows.length === 1;
  },

  /** Gives back a claimed message untried (the channel is down for this run): the attempt is not counted. */
  async release(q: Queryable, id: bigint, claimant: string): Promise<void> {
    await q.query(
      `UPDATE reminder_messages SET claimed_by = NULL, claimed_until = NULL, attempts = attempts - 1
       WHERE id = $1 AND claimed_by = $2 AND status = 'pending'`,
      [id, claimant],
    );
  },

  /** Pending messages per channel, and the oldest one's creation time. */
  async pendingSummary(q: Queryable): Promise<Array<{ channel: ReminderChannel; count: number; oldest: Date }>> {
    const rows = await q.query<{ channel: ReminderChannel; n: bigint; oldest: Date }>(
      `SELECT channel, count(*) AS n, min(created_at) AS oldest FROM reminder_messages WHERE status = 'pending' GROUP BY channel ORDER BY channel`,
    );
    return rows.map((r) => ({ channel: r.channel, count: Number(r.n), oldest: r.oldest }));
  },

  /** Outbox messages, newest first, optionally of some statuses only. */
  async listMessages(q: Queryable, filter: { statuses?: readonly MessageStatus[]; limit: number }): Promise<ReminderMessageRow[]> {
    const rows = await q.query(
      `SELECT ${MESSAGE_COLUMNS},
         ARRAY(SELECT c.serial_hex FROM reminder_message_items i JOIN expiry_reminders e ON e.id = i.reminder_id
               JOIN issued_certificates c ON c.id = e.issued_certificate_id WHERE i.message_id = m.id ORDER BY c.not_after, c.id) AS serials
       FROM reminder_messages m
       WHERE ($1::text[] IS NULL OR m.status = ANY($1::text[]))
       ORDER BY m.id DESC LIMIT $2`,
      [filter.statuses ? [...filter.statuses] : null, filter.limit],
    );
    return rows.map((r) => ({
      id: r.id as bigint,
      channel: r.channel as ReminderChannel,
      recipient: r.recipient as string,
      language: r.language as MessageLanguage,
      status: r.status as MessageStatus,
      attempts: Number(r.attempts),
      createdAt: r.created_at as Date,
      nextAttemptAt: r.next_attempt_at as Date,
      lastAttemptAt: (r.last_attempt_at as Date | null) ?? null,
      lastError: (r.last_error as string | null) ?? null,
      finishedAt: (r.finished_at as Date | null) ?? null,
      serials: (r.serials as string[] | null) ?? [],
    }));
  },

  /**
   * Makes messages due now: pending ones wait no longer for their back-off, failed ones (when `includeFailed`) are
   * tried again. `ids` undefined = every such message. Returns the ids changed.
   */
  async retryNow(q: Queryable, options: { ids?: readonly bigint[]; includeFailed: boolean; now: Date }): Promise<bigint[]> {
    const rows = await q.query<{ id: bigint }>(
      `UPDATE reminder_messages SET status = 'pending', next_attempt_at = $3, finished_at = NULL, claimed_by = NULL, claimed_until = NULL
       WHERE ($1::bigint[] IS NULL OR id = ANY($1::bigint[]))
         AND (status = 'pending' OR ($2::boolean AND status = 'failed'))
       RETURNING id`,
      [options.ids ? [...options.ids] : null, options.includeFailed, options.now],
    );
    return rows.map((r) => r.id).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  },

  /** Valid certificates of CertRA requests ending within (now, until], soonest first, with their reminders so far. */
  async expiring(q: Queryable, now: Date, until: Date, limit: number): Promise<ExpiringCertificateRow[]> {
    const rows = await q.query(
      `SELECT ${CERTIFICATE_COLUMNS('c', 'r', '$1')},
         COALESCE((SELECT json_agg(json_build_object('windowDays', e.window_days, 'outcome', e.outcome, 'examinedAt', e.examined_at) ORDER BY e.window_days DESC)
                   FROM expiry_reminders e WHERE e.issued_certificate_id = c.id), '[]'::json) AS reminders,
         (SELECT count(DISTINCT m.id) FROM expiry_reminders e JOIN reminder_message_items i ON i.reminder_id = e.id
            JOIN reminder_messages m ON m.id = i.message_id WHERE e.issued_certificate_id = c.id AND m.status = 'pending') AS pending
       FROM issued_certificates c JOIN certra_requests r ON r.issued_certificate_id = c.id
       WHERE c.revoked_at IS NULL AND c.certificate_der IS NOT NULL AND c.not_after > $1 AND c.not_after <= $2
       ORDER BY c.not_after, c.id LIMIT $3`,
      [now, until, limit],
    );
    return rows.map((r) => ({
      ...toCertificate(r),
      reminders: jsonValue<Array<{ windowDays: number; outcome: 'queued' | 'renewed'; examinedAt: string }>>(r.reminders).map((e) => ({
        windowDays: Number(e.windowDays),
        outcome: e.outcome,
        examinedAt: new Date(e.examinedAt),
      })),
      pendingMessages: Number(r.pending),
    }));
  },

  async setLanguage(q: Queryable, entry: { email: string; language: ReminderLanguage; at: Date; by: string }): Promise<void> {
    await q.query(
      `INSERT INTO reminder_contact_languages (email, language, updated_at, updated_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (email) DO UPDATE SET language = EXCLUDED.language, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
      [entry.email.toLowerCase(), entry.language, entry.at, entry.by],
    );
  },

  /** Forgets an address's language; false when none was recorded. */
  async clearLanguage(q: Queryable, email: string): Promise<boolean> {
    const rows = await q.query('DELETE FROM reminder_contact_languages WHERE email = $1 RETURNING email', [email.toLowerCase()]);
    return rows.length === 1;
  },

  async listLanguages(q: Queryable): Promise<ContactLanguageRow[]> {
    const rows = await q.query<{ email: string; language: ReminderLanguage; updated_at: Date; updated_by: string }>(
      'SELECT email, language, updated_at, updated_by FROM reminder_contact_languages ORDER BY email',
    );
    return rows.map((r) => ({ email: r.email, language: r.language, updatedAt: r.updated_at, updatedBy: r.updated_by }));
  },
};

async function finish(q: Queryable, id: bigint, claimant: string, status: 'sent' | 'cancelled' | 'failed', at: Date, note: string | null): Promise<boolean> {
  const rows = await q.query(
    `UPDATE reminder_messages SET status = $3, finished_at = $4, last_error = COALESCE($5, last_error), claimed_by = NULL, claimed_until = NULL
     WHERE id = $1 AND claimed_by = $2 AND status = 'pending' RETURNING id`,
    [id, claimant, status, at, note],
  );
  return rows.length === 1;
}
