import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { addMonths, type Clock } from '../../domain/clock.js';
import type { Environment } from '../../domain/environment.js';
import { parseEhealthDn } from '../../identifiers/index.js';
import type { ReminderMetrics } from '../../metrics.js';
import { auditLog } from '../../storage/certificate-registry.js';
import type { Database, Queryable } from '../../storage/database.js';
import {
  expiryReminderStore as store,
  type ClaimedMessageRow,
  type ContactLanguageRow,
  type ExpiringCertificateRow,
  type MessageItemRow,
  type MessageLanguage,
  type MessageStatus,
  type RecipientRole,
  type ReminderCertificateRow,
  type ReminderChannel,
  type ReminderLanguage,
  type ReminderMessageRow,
} from '../../storage/expiry-reminders.js';
import { DeliveryError, type ReminderMailer, type WebhookSender } from './channels.js';
import { ReminderTemplates, type CertificateView, type MailView, type TemplateSource } from './templates.js';

/**
 * Expiry reminders (issue #16), after Let's Encrypt Boulder's expiration-mailer and what it learned:
 *
 * - **Windows.** A certificate is reminded at each nag time before its end (REMINDER_NAG_DAYS, by default 90, 30, 7
 *   and 1 days: T-90 is the opening of the three-month renewal period, and no window opens before that period does).
 *   Each (certificate, window) is examined once, recorded in expiry_reminders under a unique constraint; a window
 *   missed while nothing ran is not sent late next to a narrower one.
 * - **Renewal suppression.** A certificate for which a newer valid certificate exists with the same identifier and
 *   application id (so the same DN) is not reminded: its window is recorded as 'renewed' (Boulder's certIsRenewed, added
 *   after the "too many e-mails" complaints). The check is made again just before delivery.
 * - **Recipients.** The holder's contact (ContactData of the CertRA request: EmailPrivate and EmailGeneral) and, for an
 *   organisation, its active certificate managers (the mandate's address, else the one of their latest request).
 *   **One mail per recipient** lists every certificate due for them in the run, in their language (set by an
 *   administrator; unknown: REMINDER_DEFAULT_LANGUAGE, by default the three languages in one mail).
 * - **Durable outbox.** Planning writes the window records and the messages in one transaction; delivery claims due
 *   messages for a lease (FOR UPDATE SKIP LOCKED) and records the outcome. A failed send waits with exponential
 *   back-off (REMINDER_RETRY_BASE_SECONDS doubling up to REMINDER_RETRY_MAX_SECONDS) until the server is back: nothing
 *   is lost while SMTP is down, and nothing is kept in memory.
 * - **Several processes.** One plans at a time (a transaction-scoped advisory lock; the others skip to delivery), and
 *   each message is claimed by one sender. A sender that dies holding a claim leaves it to another after the lease:
 *   the one case where a mail may go twice (it then carries the same Message-ID).
 * - **Falling behind.** At most REMINDER_BATCH_LIMIT certificates are planned and as many messages delivered per run;
 *   the at_capacity gauge says when a run hit the limit (Boulder issue #2002).
 */

export interface ReminderSettings {
  readonly environment: Environment;
  /** Nag windows in days before the end, any order. */
  readonly nagDays: readonly number[];
  /** Length of CertRA's renewal period (its policy: three months). */
  readonly renewalPeriodMonths: number;
  /** Certificates planned, and messages delivered, per run at most. */
  readonly batchLimit: number;
  /** Messages sent at the same time. */
  readonly parallelSends: number;
  readonly defaultLanguage: MessageLanguage;
  readonly retryBaseSeconds: number;
  readonly retryMaxSeconds: number;
  /** How long a claimed message is reserved to its sender: far longer than a send may take. */
  readonly leaseSeconds: number;
  readonly templates: TemplateSource;
}

export interface ReminderChannels {
  readonly mailer?: ReminderMailer | undefined;
  readonly webhook?: WebhookSender | undefined;
}

export interface ReminderDependencies {
  readonly db: Database;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: ReminderMetrics;
  readonly channels: ReminderChannels;
  /** The SMTP password and the webhook secret: kept out of every error text stored in the outbox or logged. */
  readonly secrets?: readonly string[];
}

export interface Recipient {
  readonly email: string;
  readonly role: Exclude<RecipientRole, 'webhook'>;
  readonly language: MessageLanguage;
}

export interface PlanSummary {
  /** False when another process was planning: this run only delivered. */
  readonly planned: boolean;
  readonly examined: number;
  readonly alreadyRenewed: number;
  readonly reminded: number;
  readonly messagesQueued: number;
  readonly atCapacity: boolean;
}

export interface DeliverySummary {
  readonly sent: number;
  readonly retried: number;
  readonly failed: number;
  readonly cancelled: number;
  /** Channels given up for this run after a connection failure. */
  readonly unreachable: readonly ReminderChannel[];
  readonly atCapacity: boolean;
}

export interface RunSummary {
  readonly plan: PlanSummary;
  readonly delivery: DeliverySummary;
}

/** What a run would plan at a given time (preview: nothing is written or sent). */
export interface PreviewEntry {
  readonly certificate: ReminderCertificateRow;
  readonly windowDays: number;
  readonly dueAt: Date;
  readonly renewed: boolean;
  readonly recipients: readonly Recipient[];
}

export interface ExpiringCertificate extends ExpiringCertificateRow {
  readonly renewalPeriodStart: Date;
  readonly daysLeft: number;
}

const DAY_MS = 86_400_000;
const ERROR_TEXT_LIMIT = 500;

const LOCALES: Record<ReminderLanguage, string> = { fr: 'fr-BE', nl: 'nl-BE', en: 'en-GB' };
const ENVIRONMENT_NAMES: Record<ReminderLanguage, Record<Environment, string>> = {
  fr: { acceptance: 'acceptation', production: 'production' },
  nl: { acceptance: 'acceptatie', production: 'productie' },
  en: { acceptance: 'acceptance', production: 'production' },
};

export class ExpiryReminders {
  readonly claimant = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly nagDays: readonly number[];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopping = false;

  constructor(
    private readonly deps: ReminderDependencies,
    private readonly settings: ReminderSettings,
  ) {
    this.nagDays = [...new Set(settings.nagDays)].sort((a, b) => b - a);
    if (this.nagDays.length === 0 || this.nagDays.some((d) => !Number.isInteger(d) || d <= 0)) throw new Error('nag days must be positive whole numbers');
  }

  /** At least one channel is configured: without one, nothing is planned (no window is marked without anyone told). */
  get enabled(): boolean {
    return this.deps.channels.mailer !== undefined || this.deps.channels.webhook !== undefined;
  }

  get channels(): ReminderChannel[] {
    return [...(this.deps.channels.mailer ? (['email'] as const) : []), ...(this.deps.channels.webhook ? (['webhook'] as const) : [])];
  }

  /** The nag windows, widest first. */
  get windows(): readonly number[] {
    return this.nagDays;
  }

  /** Reads and checks the templates (the operator's copies first): what a run will use. Throws TemplateError. */
  loadTemplates(): Promise<ReminderTemplates> {
    return ReminderTemplates.load(this.settings.templates);
  }

  /** One run: plan what is due, then deliver what waits in the outbox. */
  async runOnce(): Promise<RunSummary> {
    const end = this.deps.metrics.processingLatency.startTimer();
    try {
      const plan = await this.plan();
      const delivery = await this.deliver();
      this.deps.metrics.lastSuccess.set(Date.now() / 1000);
      return { plan, delivery };
    } finally {
      end();
      await this.refreshOutboxGauges().catch((error: unknown) => this.deps.logger.warn({ err: error }, 'reminders: outbox gauges not refreshed'));
    }
  }

  /**
   * Records the windows now due and queues their messages, in one transaction under the planner's lock (another
   * process planning: nothing done here).
   */
  async plan(): Promise<PlanSummary> {
    const idle: PlanSummary = { planned: false, examined: 0, alreadyRenewed: 0, reminded: 0, messagesQueued: 0, atCapacity: false };
    if (!this.enabled) return idle;
    const { metrics, logger } = this.deps;
    const now = this.deps.clock.now();
    let summary: PlanSummary;
    try {
      summary = await this.deps.db.transaction(async (tx) => {
        if (!(await store.tryLockPlanning(tx))) return idle;
        const due = await store.findDue(tx, now, this.schedule(), this.settings.batchLimit);
        const reminded: Array<{ reminderId: bigint; certificate: (typeof due)[number] }> = [];
        let alreadyRenewed = 0;
        for (const certificate of due) {
          const renewed = certificate.renewedByCertificateId !== null;
          const reminderId = await store.recordWindow(tx, {
            certificateId: certificate.certificateId,
            windowDays: certificate.windowDays,
            dueAt: certificate.dueAt,
            outcome: renewed ? 'renewed' : 'queued',
            renewedBy: certificate.renewedByCertificateId,
            at: now,
          });
          if (reminderId === undefined) continue;
          if (renewed) alreadyRenewed++;
          else reminded.push({ reminderId, certificate });
        }
        let messagesQueued = 0;
        if (this.deps.channels.mailer) {
          const recipients = await this.recipientsFor(
            tx,
            reminded.map((r) => r.certificate),
          );
          const byAddress = new Map<string, { recipient: Recipient; items: Array<{ reminderId: bigint; role: RecipientRole }> }>();
          for (const { reminderId, certificate } of reminded) {
            for (const recipient of recipients.get(certificate.certificateId) ?? []) {
              const key = recipient.email.toLowerCase();
              let entry = byAddress.get(key);
              if (!entry) byAddress.set(key, (entry = { recipient, items: [] }));
              entry.items.push({ reminderId, role: recipient.role });
            }
          }
          for (const { recipient, items } of byAddress.values()) {
            await store.enqueue(tx, { channel: 'email', recipient: recipient.email, language: recipient.language, at: now }, items);
            metrics.certificatesPerRecipient.observe(items.length);
            messagesQueued++;
          }
        }
        if (this.deps.channels.webhook) {
          for (const { reminderId } of reminded) {
            await store.enqueue(tx, { channel: 'webhook', recipient: 'webhook', language: 'all', at: now }, [{ reminderId, role: 'webhook' }]);
            messagesQueued++;
          }
        }
        return {
          planned: true,
          examined: due.length,
          alreadyRenewed,
          reminded: reminded.length,
          messagesQueued,
          atCapacity: due.length >= this.settings.batchLimit,
        };
      });
    } catch (error) {
      metrics.errors.inc({ type: 'plan' });
      throw error;
    }
    if (summary.planned) {
      metrics.certificatesExamined.inc(summary.examined);
      metrics.certificatesAlreadyRenewed.inc(summary.alreadyRenewed);
      metrics.atCapacity.set({ stage: 'plan' }, summary.atCapacity ? 1 : 0);
      if (summary.atCapacity)
        logger.warn({ limit: this.settings.batchLimit }, 'reminders: the batch limit was reached, more certificates wait for the next run');
      if (summary.examined > 0) logger.info({ ...summary }, 'reminders planned');
    }
    return summary;
  }

  /** Sends what is due in the outbox, a few messages at a time, until it is empty, the limit is reached or the channels fail. */
  async deliver(): Promise<DeliverySummary> {
    const counts = { sent: 0, retried: 0, failed: 0, cancelled: 0 };
    const unreachable = new Set<ReminderChannel>();
    const channels = this.channels;
    let templates: ReminderTemplates | undefined;
    if (this.deps.channels.mailer) {
      try {
        templates = await this.loadTemplates();
      } catch (error) {
        // Mails wait in the outbox until the templates are repaired; the webhook goes on.
        this.deps.metrics.errors.inc({ type: 'template' });
        this.deps.logger.error({ err: error }, 'reminders: the mail templates are broken, no mail is sent until they are repaired');
        unreachable.add('email');
      }
    }
    let budget = this.settings.batchLimit;
    while (budget > 0 && !this.stopping) {
      const open = channels.filter((c) => !unreachable.has(c));
      if (open.length === 0) break;
      const now = this.deps.clock.now();
      const claimed = await store.claimDue(this.deps.db, {
        now,
        leaseUntil: new Date(now.getTime() + this.settings.leaseSeconds * 1000),
        claimant: this.claimant,
        channels: open,
        limit: Math.min(this.settings.parallelSends, budget),
      });
      if (claimed.length === 0) break;
      budget -= claimed.length;
      const items = await store.itemsOf(
        this.deps.db,
        claimed.map((m) => m.id),
        now,
      );
      const outcomes = await Promise.all(
        claimed.map((message) =>
          this.deliverOne(
            message,
            items.filter((i) => i.messageId === message.id),
            templates,
            unreachable,
          ),
        ),
      );
      for (const outcome of outcomes) if (outcome !== 'released') counts[outcome]++;
    }
    const atCapacity = budget <= 0;
    this.deps.metrics.atCapacity.set({ stage: 'deliver' }, atCapacity ? 1 : 0);
    const summary = { ...counts, unreachable: [...unreachable], atCapacity };
    if (counts.sent + counts.retried + counts.failed + counts.cancelled > 0) this.deps.logger.info(summary, 'reminders delivered');
    return summary;
  }

  private async deliverOne(
    message: ClaimedMessageRow,
    items: readonly MessageItemRow[],
    templates: ReminderTemplates | undefined,
    unreachable: Set<ReminderChannel>,
  ): Promise<'sent' | 'retried' | 'failed' | 'cancelled' | 'released'> {
    const { db, clock, metrics, logger } = this.deps;
    const now = clock.now();
    // What was due at planning may have changed: renewed, revoked or expired since (a long SMTP outage).
    const live = items.filter((i) => i.revokedAt === null && i.renewedByCertificateId === null && i.notAfter.getTime() > now.getTime());
    if (live.length === 0) {
      const reason = describeCancellation(items, now);
      await store.markCancelled(db, message.id, this.claimant, now, reason);
      metrics.messages.inc({ channel: message.channel, outcome: 'cancelled' });
      logger.info({ reminderMessage: String(message.id), channel: message.channel, reason }, 'reminder cancelled: nothing left to remind');
      return 'cancelled';
    }
    if (unreachable.has(message.channel) || this.stopping) {
      await store.release(db, message.id, this.claimant);
      return 'released';
    }
    const endLatency = metrics.sendLatency.startTimer({ channel: message.channel });
    try {
      if (message.channel === 'email') {
        const mailer = this.deps.channels.mailer;
        if (!mailer || !templates) throw new DeliveryError('connection', 'e-mail is not configured');
        const { subject, text } = templates.render(message.language, (language) => this.mailView(live, language, now));
        await mailer.send({
          to: message.recipient,
          subject,
          text,
          messageId: `<reminder-${message.id}@${domainOf(mailer.sender)}>`,
          headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All', 'X-Reminder-Id': String(message.id) },
        });
      } else {
        const webhook = this.deps.channels.webhook;
        if (!webhook) throw new DeliveryError('connection', 'the webhook is not configured');
        const body = JSON.stringify(await this.webhookPayload(message, live[0]!, now));
        await webhook.post(body, String(message.id), now);
      }
    } catch (error) {
      endLatency();
      const failure = error instanceof DeliveryError ? error : new DeliveryError('temporary', (error as Error).message ?? String(error));
      const detail = this.redact(failure.message).slice(0, ERROR_TEXT_LIMIT);
      metrics.errors.inc({ type: `${message.channel}-${failure.kind}` });
      if (failure.kind === 'connection') unreachable.add(message.channel);
      if (failure.kind === 'permanent') {
        await store.markFailed(db, message.id, this.claimant, now, detail);
        metrics.messages.inc({ channel: message.channel, outcome: 'failed' });
        logger.error({ reminderMessage: String(message.id), channel: message.channel, error: detail }, 'reminder refused for good: not retried');
        return 'failed';
      }
      const nextAttemptAt = new Date(now.getTime() + this.backoffSeconds(message.attempts) * 1000);
      await store.markRetry(db, message.id, this.claimant, nextAttemptAt, detail);
      metrics.messages.inc({ channel: message.channel, outcome: 'retry' });
      logger.warn(
        {
          reminderMessage: String(message.id),
          channel: message.channel,
          attempts: message.attempts,
          nextAttemptAt: nextAttemptAt.toISOString(),
          error: detail,
        },
        'reminder not delivered: retried later',
      );
      return 'retried';
    }
    endLatency();
    const sentAt = clock.now();
    if (!(await store.markSent(db, message.id, this.claimant, sentAt))) {
      logger.warn({ reminderMessage: String(message.id) }, 'reminder sent after its claim ran out: another sender may send it too');
    }
    metrics.messages.inc({ channel: message.channel, outcome: 'sent' });
    for (const item of live) metrics.sendDelay.observe({ window: String(item.windowDays) }, Math.max(0, (sentAt.getTime() - item.dueAt.getTime()) / 1000));
    return 'sent';
  }

  /** Exponential back-off after the n-th failed attempt: base, 2·base, 4·base, … up to the maximum. */
  backoffSeconds(attempts: number): number {
    const exponent = Math.min(Math.max(attempts - 1, 0), 30);
    return Math.min(this.settings.retryBaseSeconds * 2 ** exponent, this.settings.retryMaxSeconds);
  }

  /** Runs every `intervalMs` (the first run soon after start), never two at once; errors are logged, the next run tries again. */
  start(intervalMs: number, firstDelayMs = Math.min(intervalMs, 5_000)): void {
    if (this.timer || !this.enabled) return;
    this.stopping = false;
    const schedule = (delay: number) => {
      this.timer = setTimeout(() => {
        this.running = this.runOnce()
          .catch((error: unknown) => this.deps.logger.error({ err: error }, 'reminders: run failed, the next run tries again'))
          .finally(() => {
            this.running = undefined;
            if (!this.stopping) schedule(intervalMs);
          });
      }, delay);
      this.timer.unref();
    };
    schedule(firstDelayMs);
  }

  /** Stops the schedule; a run in progress finishes the sends it has begun and gives back the rest of its claims. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** What a run at `at` would plan, without writing or sending anything. */
  async preview(at: Date, limit = this.settings.batchLimit): Promise<PreviewEntry[]> {
    return this.deps.db.transaction(async (tx) => {
      const due = await store.findDue(tx, at, this.schedule(), limit);
      const recipients = await this.recipientsFor(
        tx,
        due.filter((d) => d.renewedByCertificateId === null),
      );
      return due.map((d) => ({
        certificate: d,
        windowDays: d.windowDays,
        dueAt: d.dueAt,
        renewed: d.renewedByCertificateId !== null,
        recipients: recipients.get(d.certificateId) ?? [],
      }));
    });
  }

  /** Valid certificates (of CertRA requests) ending within `days` days, soonest first: the admin listing. */
  async expiring(days: number, limit = 1000): Promise<ExpiringCertificate[]> {
    const now = this.deps.clock.now();
    const rows = await store.expiring(this.deps.db, now, new Date(now.getTime() + days * DAY_MS), limit);
    return rows.map((row) => ({
      ...row,
      renewalPeriodStart: addMonths(row.notAfter, -this.settings.renewalPeriodMonths),
      daysLeft: Math.ceil((row.notAfter.getTime() - now.getTime()) / DAY_MS),
    }));
  }

  /** The outbox, newest first. */
  outbox(filter: { statuses?: readonly MessageStatus[]; limit: number }): Promise<ReminderMessageRow[]> {
    return store.listMessages(this.deps.db, filter);
  }

  /** Makes waiting messages due now (and, with includeFailed, tries refused ones again): after the SMTP server is repaired. */
  async retryNow(options: { ids?: readonly bigint[]; includeFailed: boolean }, operator: string): Promise<bigint[]> {
    const now = this.deps.clock.now();
    return this.deps.db.transaction(async (tx) => {
      const ids = await store.retryNow(tx, { ...options, now });
      if (ids.length > 0) {
        await auditLog.record(tx, {
          actor: operator,
          action: 'reminders.outbox.retried',
          details: { messages: ids.map(String), includeFailed: options.includeFailed },
        });
      }
      return ids;
    });
  }

  /** Records the language an address reads (null forgets it: the default language applies). Audited. */
  async setContactLanguage(email: string, language: ReminderLanguage | null, operator: string): Promise<boolean> {
    const address = email.trim().toLowerCase();
    return this.deps.db.transaction(async (tx) => {
      const before = (await store.languagesOf(tx, [address])).get(address) ?? null;
      if (language === null) {
        if (!(await store.clearLanguage(tx, address))) return false;
      } else await store.setLanguage(tx, { email: address, language, at: this.deps.clock.now(), by: operator });
      await auditLog.record(tx, {
        actor: operator,
        action: 'reminders.contact-language.changed',
        subject: address,
        before: { language: before },
        after: { language },
      });
      return true;
    });
  }

  listContactLanguages(): Promise<ContactLanguageRow[]> {
    return store.listLanguages(this.deps.db);
  }

  /** Sets the outbox gauges from the database (the same value in every process). */
  async refreshOutboxGauges(): Promise<void> {
    const now = this.deps.clock.now();
    const summary = await store.pendingSummary(this.deps.db);
    for (const channel of ['email', 'webhook'] as const) {
      const entry = summary.find((s) => s.channel === channel);
      this.deps.metrics.outboxPending.set({ channel }, entry?.count ?? 0);
      this.deps.metrics.outboxOldestPendingSeconds.set({ channel }, entry ? Math.max(0, (now.getTime() - entry.oldest.getTime()) / 1000) : 0);
    }
  }

  private schedule() {
    return { nagDays: this.nagDays, renewalPeriodMonths: this.settings.renewalPeriodMonths };
  }

  /**
   * Who hears of each certificate: its contact addresses (EmailPrivate, EmailGeneral) and, for an organisation, its
   * active certificate managers; each address once (as contact when it is both), in its language.
   */
  private async recipientsFor(q: Queryable, certificates: readonly ReminderCertificateRow[]): Promise<Map<bigint, Recipient[]>> {
    const organisations = new Map<string, { type: string; value: string }>();
    for (const c of certificates) {
      if (c.entityType === 'Organization')
        organisations.set(`${c.identifierType}\u0000${c.identifierValue}`, { type: c.identifierType, value: c.identifierValue });
    }
    const managers = await store.certificateManagers(q, [...organisations.values()]);
    for (const manager of managers) {
      if (manager.email === null) {
        this.deps.logger.warn(
          { organisation: `${manager.organisationType}=${manager.organisationId}`, mandate: String(manager.mandateId) },
          'reminders: a certificate manager has no address (certra:mandate:set-email): not reminded',
        );
      }
    }
    const addresses = new Map<bigint, Array<{ email: string; role: Recipient['role'] }>>();
    for (const c of certificates) {
      const list: Array<{ email: string; role: Recipient['role'] }> = [];
      const add = (email: string | undefined | null, role: Recipient['role']) => {
        const trimmed = email?.trim();
        if (trimmed && !list.some((r) => r.email.toLowerCase() === trimmed.toLowerCase())) list.push({ email: trimmed, role });
      };
      add(c.contactData.emailPrivate, 'contact');
      add(c.contactData.emailGeneral, 'contact');
      if (c.entityType === 'Organization') {
        for (const m of managers) if (m.organisationType === c.identifierType && m.organisationId === c.identifierValue) add(m.email, 'certificate-manager');
      }
      addresses.set(c.certificateId, list);
    }
    const languages = await store.languagesOf(
      q,
      [...addresses.values()].flat().map((r) => r.email),
    );
    const result = new Map<bigint, Recipient[]>();
    for (const [id, list] of addresses) {
      result.set(
        id,
        list.map((r) => ({ ...r, language: languages.get(r.email.toLowerCase()) ?? this.settings.defaultLanguage })),
      );
    }
    return result;
  }

  private mailView(items: readonly MessageItemRow[], language: ReminderLanguage, now: Date): MailView {
    const locale = LOCALES[language];
    const date = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'Europe/Brussels' });
    const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Brussels' });
    const certificates: CertificateView[] = items.map((item) => {
      const renewalFrom = addMonths(item.notAfter, -this.settings.renewalPeriodMonths);
      return {
        subject: item.subjectDn,
        holder: parseEhealthDn(item.subjectDn)?.name ?? item.subjectDn,
        identifierType: item.identifierType,
        identifierValue: item.identifierValue,
        applicationId: item.applicationId ?? '',
        serial: item.serialHex,
        notAfter: dateTime.format(item.notAfter),
        daysLeft: Math.max(1, Math.ceil((item.notAfter.getTime() - now.getTime()) / DAY_MS)),
        renewalFrom: date.format(renewalFrom),
        renewalOpen: now.getTime() >= renewalFrom.getTime(),
        windowDays: item.windowDays,
      };
    });
    const earliest = items.reduce((a, b) => (b.notAfter.getTime() < a.notAfter.getTime() ? b : a));
    return {
      certificates,
      count: certificates.length,
      several: certificates.length > 1,
      earliestExpiry: date.format(earliest.notAfter),
      environment: ENVIRONMENT_NAMES[language][this.settings.environment],
      acceptance: this.settings.environment === 'acceptance',
    };
  }

  /** The webhook's JSON for one reminder: the certificate, its window, and whom a mail would reach. */
  private async webhookPayload(message: ClaimedMessageRow, item: MessageItemRow, now: Date): Promise<Record<string, unknown>> {
    const recipients = (await this.recipientsFor(this.deps.db, [item])).get(item.certificateId) ?? [];
    return {
      type: 'certificate.expiry-reminder',
      id: String(message.id),
      reminderId: String(item.reminderId),
      createdAt: message.createdAt.toISOString(),
      sentAt: now.toISOString(),
      environment: this.settings.environment,
      window: { days: item.windowDays, openedAt: item.dueAt.toISOString() },
      certificate: {
        serialNumber: item.serialHex,
        issuerKeyId: item.issuerKeyId,
        subjectDn: item.subjectDn,
        publicKeyIdentifier: item.publicKeyIdentifier,
        holderType: item.entityType,
        identifier: { type: item.identifierType, value: item.identifierValue },
        applicationId: item.applicationId,
        notBefore: item.notBefore.toISOString(),
        notAfter: item.notAfter.toISOString(),
        renewalPeriodStart: addMonths(item.notAfter, -this.settings.renewalPeriodMonths).toISOString(),
        daysLeft: Math.max(1, Math.ceil((item.notAfter.getTime() - now.getTime()) / DAY_MS)),
      },
      recipients: recipients.map((r) => ({ email: r.email, role: r.role, language: r.language })),
      notice:
        'Renewal issues a new certificate and a new ETK; keep the private key of the old ETK (the old keystore): it is needed to read messages encrypted for it.',
    };
  }

  /** Error texts are stored and logged: no secret of the configuration may appear in them. */
  private redact(text: string): string {
    let out = text;
    for (const secret of this.deps.secrets ?? []) if (secret.length >= 4) out = out.split(secret).join('***');
    return out;
  }
}

function domainOf(sender: string): string {
  const address = /<([^>]+)>/.exec(sender)?.[1] ?? sender;
  const domain = address
    .split('@')[1]
    ?.trim()
    .replace(/[^A-Za-z0-9.-]/g, '');
  return domain || 'localhost';
}

function describeCancellation(items: readonly MessageItemRow[], now: Date): string {
  const reasons = new Set(
    items.map((i) =>
      i.revokedAt !== null ? 'revoked' : i.renewedByCertificateId !== null ? 'renewed' : i.notAfter.getTime() <= now.getTime() ? 'expired' : 'gone',
    ),
  );
  return `certificates ${[...reasons].join(', ')} before delivery`;
}
