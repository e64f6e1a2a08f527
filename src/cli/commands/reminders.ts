import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExpiringCertificate, MessageStatus, PreviewEntry, ReminderLanguage, ReminderMessageRow, RunSummary } from '../../services/reminders/index.js';
import type { AdminContext } from '../admin-context.js';
import { defineCommand, defineListCommand, jsonDate, jsonId, JSON_OPTION, UsageError, type AdminCommand, type OutputLine } from '../command.js';

/**
 * Expiry reminders: the job as a one-shot or a worker loop (`npm run worker`), what it would do at a given time, the
 * "expiring in N days" listing, the outbox (and retrying it after an SMTP outage), and the contacts' languages.
 */

function positiveInteger(name: string, value: string, max: number): number {
  if (!/^[0-9]{1,9}$/.test(value) || Number(value) < 1 || Number(value) > max) throw new UsageError(`--${name} must be a whole number from 1 to ${max}`);
  return Number(value);
}

function describeRun(summary: RunSummary): string {
  const { plan, delivery } = summary;
  const planned = plan.planned
    ? `${plan.examined} certificate(s) due, ${plan.alreadyRenewed} already renewed, ${plan.reminded} reminded in ${plan.messagesQueued} message(s)${plan.atCapacity ? ' (batch limit reached)' : ''}`
    : 'not planned (another process is planning, or no channel)';
  const down = delivery.unreachable.length > 0 ? `; unreachable: ${delivery.unreachable.join(', ')}` : '';
  return `planned: ${planned}; delivered: ${delivery.sent} sent, ${delivery.retried} to retry, ${delivery.failed} failed, ${delivery.cancelled} cancelled${down}${delivery.atCapacity ? ' (batch limit reached)' : ''}`;
}

function previewJson(entry: PreviewEntry) {
  return {
    serial: entry.certificate.serialHex,
    subjectDn: entry.certificate.subjectDn,
    identifierType: entry.certificate.identifierType,
    identifierValue: entry.certificate.identifierValue,
    applicationId: entry.certificate.applicationId,
    notAfter: jsonDate(entry.certificate.notAfter),
    windowDays: entry.windowDays,
    dueAt: jsonDate(entry.dueAt),
    renewed: entry.renewed,
    recipients: entry.recipients.map((r) => ({ email: r.email, role: r.role, language: r.language })),
  };
}

function describePreview(entry: PreviewEntry): string {
  const to = entry.renewed
    ? 'already renewed: no reminder'
    : `to ${entry.recipients.map((r) => `${r.email} (${r.role}, ${r.language})`).join(', ') || 'nobody'}`;
  return `${entry.certificate.serialHex} "${entry.certificate.subjectDn}" ends ${entry.certificate.notAfter.toISOString()}: T-${entry.windowDays} window since ${entry.dueAt.toISOString()}, ${to}`;
}

/** Runs until SIGTERM/SIGINT: a run, then the interval, and so on; the run in progress finishes first. */
async function loop(context: AdminContext, intervalMs: number, json: boolean, metricsPort: number | undefined, out: OutputLine): Promise<void> {
  const { reminders, metricsRegistry, logger } = context.services;
  let server: ReturnType<typeof createServer> | undefined;
  if (metricsPort !== undefined) {
    server = createServer((request, response) => {
      if (request.method !== 'GET' || request.url !== '/metrics') {
        response.writeHead(404).end();
        return;
      }
      metricsRegistry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(text),
        () => response.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve) => server!.listen(metricsPort, context.config.host, resolve));
    logger.info({ port: (server.address() as AddressInfo).port }, 'reminders worker: metrics on /metrics');
  }
  let stopping = false;
  let wake: (() => void) | undefined;
  const stop = () => {
    stopping = true;
    wake?.();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    while (!stopping) {
      try {
        const summary = await reminders.runOnce();
        out(json ? JSON.stringify(summary) : `${new Date().toISOString()} ${describeRun(summary)}`);
      } catch (error) {
        logger.error({ err: error }, 'reminders: run failed, the next run tries again');
      }
      if (stopping) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    process.removeListener('SIGTERM', stop);
    process.removeListener('SIGINT', stop);
    await reminders.stop();
    if (server) await new Promise((resolve) => server!.close(resolve));
  }
}

export const runRemindersCommand = defineCommand({
  name: 'reminders:run',
  summary: 'run the expiry reminders once, or as a worker loop (npm run worker)',
  details: [
    'Plans the reminders now due (certificates at T-90, T-30, T-7, T-1 days: REMINDER_NAG_DAYS) and delivers the outbox',
    '(SMTP_URL, REMINDER_WEBHOOK_URL). Safe beside the service and other workers on one PostgreSQL: each reminder is',
    'sent once. With --loop it runs every --interval seconds until SIGTERM or SIGINT, which let the run in progress',
    'finish. --dry-run shows what a run would plan (at --at, by default now) without writing or sending anything.',
  ].join('\n'),
  options: {
    loop: { type: 'boolean', description: 'keep running: one run every --interval seconds, until SIGTERM/SIGINT' },
    interval: {
      type: 'string',
      placeholder: 'SECONDS',
      description: 'seconds between runs with --loop (default: REMINDER_INTERVAL_SECONDS, or 300 when that is 0)',
    },
    'metrics-port': { type: 'string', placeholder: 'PORT', description: 'with --loop: serve the reminder metrics on http://HOST:PORT/metrics' },
    'dry-run': { type: 'boolean', description: 'show what a run would plan, and to whom; write and send nothing' },
    at: { type: 'string', placeholder: 'ISO-8601', description: 'with --dry-run: the time of the run to preview (e.g. 2027-03-01T09:00:00Z)' },
    ...JSON_OPTION,
  },
  async run(context, options, out) {
    const { reminders } = context.services;
    if (options.at !== undefined && !options['dry-run']) throw new UsageError('--at goes with --dry-run only');
    if (options['dry-run']) {
      if (options.loop) throw new UsageError('--dry-run runs once');
      const at = options.at === undefined ? context.clock.now() : new Date(options.at);
      if (Number.isNaN(at.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(options.at ?? '2000-01-01')) throw new UsageError('--at must be an ISO 8601 date or time');
      const entries = await reminders.preview(at);
      if (options.json) out(JSON.stringify(entries.map(previewJson), null, 2));
      else {
        for (const entry of entries) out(describePreview(entry));
        out(`${entries.length} certificate(s) due at ${at.toISOString()}`);
      }
      return;
    }
    if (!reminders.enabled) throw new Error('no reminder channel is configured: set SMTP_URL and/or REMINDER_WEBHOOK_URL');
    if (!options.loop && (options.interval !== undefined || options['metrics-port'] !== undefined)) {
      throw new UsageError('--interval and --metrics-port go with --loop');
    }
    if (context.config.reminders.smtpUrl) await reminders.loadTemplates();
    if (options.loop) {
      const configured = context.config.reminders.intervalSeconds || 300;
      const interval = options.interval === undefined ? configured : positiveInteger('interval', options.interval, 86_400);
      const port = options['metrics-port'] === undefined ? undefined : positiveInteger('metrics-port', options['metrics-port'], 65_535);
      await loop(context, interval * 1000, options.json, port, out);
      return;
    }
    const summary = await reminders.runOnce();
    out(options.json ? JSON.stringify(summary, null, 2) : describeRun(summary));
  },
});

export const expiringCommand = defineListCommand({
  name: 'reminders:expiring',
  summary: 'valid certificates that expire within N days, soonest first, with their reminders so far',
  options: {
    days: { type: 'string', required: true, placeholder: 'N', description: 'how many days ahead' },
    limit: { type: 'string', placeholder: 'N', default: '1000', description: 'most certificates listed' },
  },
  counted: 'certificate(s)',
  list(context, options) {
    return context.services.reminders.expiring(positiveInteger('days', options.days, 3660), positiveInteger('limit', options.limit, 100_000));
  },
  text(c: ExpiringCertificate) {
    const application = c.applicationId ? ` application=${c.applicationId}` : '';
    const renewed = c.renewedByCertificateId !== null ? ' RENEWED' : '';
    const reminders =
      c.reminders.length > 0 ? ` reminded=${c.reminders.map((r) => `T-${r.windowDays}${r.outcome === 'renewed' ? '(renewed)' : ''}`).join(',')}` : '';
    const pending = c.pendingMessages > 0 ? ` pending=${c.pendingMessages}` : '';
    return `${c.notAfter.toISOString()} (${c.daysLeft} d) ${c.identifierType}=${c.identifierValue}${application} serial=${c.serialHex} "${c.subjectDn}" contact=${c.contactData.emailPrivate}${renewed}${reminders}${pending}`;
  },
  json(c: ExpiringCertificate) {
    return {
      serial: c.serialHex,
      issuerKeyId: c.issuerKeyId,
      publicKeyIdentifier: c.publicKeyIdentifier,
      subjectDn: c.subjectDn,
      holderType: c.entityType,
      identifierType: c.identifierType,
      identifierValue: c.identifierValue,
      applicationId: c.applicationId,
      notBefore: jsonDate(c.notBefore),
      notAfter: jsonDate(c.notAfter),
      daysLeft: c.daysLeft,
      renewalPeriodStart: jsonDate(c.renewalPeriodStart),
      contactEmail: c.contactData.emailPrivate,
      contactEmailGeneral: c.contactData.emailGeneral ?? null,
      renewed: c.renewedByCertificateId !== null,
      reminders: c.reminders.map((r) => ({ windowDays: r.windowDays, outcome: r.outcome, examinedAt: jsonDate(r.examinedAt) })),
      pendingMessages: c.pendingMessages,
    };
  },
});

const STATUSES: readonly MessageStatus[] = ['pending', 'sent', 'cancelled', 'failed'];

export const outboxCommand = defineListCommand({
  name: 'reminders:outbox',
  summary: 'reminder messages, newest first (by default those not delivered: pending and failed)',
  options: {
    status: { type: 'string', multiple: true, placeholder: 'STATUS', description: `only these statuses (${STATUSES.join(', ')})` },
    all: { type: 'boolean', description: 'every status' },
    limit: { type: 'string', placeholder: 'N', default: '100', description: 'most messages listed' },
  },
  counted: 'message(s)',
  list(context, options) {
    for (const status of options.status)
      if (!(STATUSES as readonly string[]).includes(status)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`);
    if (options.all && options.status.length > 0) throw new UsageError('--all and --status exclude each other');
    const statuses = options.all ? undefined : options.status.length > 0 ? (options.status as MessageStatus[]) : (['pending', 'failed'] as MessageStatus[]);
    return context.services.reminders.outbox({ ...(statuses ? { statuses } : {}), limit: positiveInteger('limit', options.limit, 100_000) });
  },
  text(m: ReminderMessageRow) {
    const next = m.status === 'pending' ? ` next=${m.nextAttemptAt.toISOString()}` : ` ${m.status}=${m.finishedAt?.toISOString()}`;
    const error = m.lastError ? ` last-error="${m.lastError}"` : '';
    return `#${m.id} ${m.status.toUpperCase()} ${m.channel} to=${m.recipient} lang=${m.language} attempts=${m.attempts}${next} certificates=${m.serials.join(',')}${error}`;
  },
  json(m: ReminderMessageRow) {
    return {
      id: jsonId(m.id),
      channel: m.channel,
      recipient: m.recipient,
      language: m.language,
      status: m.status,
      attempts: m.attempts,
      createdAt: jsonDate(m.createdAt),
      nextAttemptAt: m.status === 'pending' ? jsonDate(m.nextAttemptAt) : null,
      lastAttemptAt: jsonDate(m.lastAttemptAt),
      lastError: m.lastError,
      finishedAt: jsonDate(m.finishedAt),
      serials: [...m.serials],
    };
  },
});

export const retryCommand = defineCommand({
  name: 'reminders:retry',
  summary: 'make waiting reminder messages due now (after an SMTP outage is repaired), or try failed ones again',
  details: 'The next run (of the service or a worker) delivers them. Audited with the operator.',
  options: {
    id: { type: 'string', multiple: true, placeholder: 'N', description: 'message number (#N in reminders:outbox)' },
    all: { type: 'boolean', description: 'every pending message' },
    'include-failed': { type: 'boolean', description: 'also messages refused for good (e.g. after a mailbox was repaired)' },
  },
  async run(context, options, out) {
    if (options.all === options.id.length > 0) throw new UsageError('give either --id or --all');
    const ids = options.id.map((id) => {
      if (!/^[0-9]{1,18}$/.test(id)) throw new UsageError('--id must be a number');
      return BigInt(id);
    });
    const changed = await context.services.reminders.retryNow({ ...(options.all ? {} : { ids }), includeFailed: options['include-failed'] }, context.operator);
    out(`${changed.length} message(s) due now${changed.length > 0 ? `: #${changed.join(', #')}` : ''}`);
  },
});

const LANGUAGES: readonly ReminderLanguage[] = ['fr', 'nl', 'en'];

export const setLanguageCommand = defineCommand({
  name: 'reminders:language',
  summary: 'record the language a contact reads the reminders in (CertRA contact data carries none)',
  details: 'Without a recorded language a contact gets REMINDER_DEFAULT_LANGUAGE (by default fr, nl and en in one mail). Audited.',
  options: {
    email: { type: 'string', required: true, placeholder: 'ADDRESS', description: 'the contact or certificate manager address' },
    language: { type: 'string', placeholder: 'LANG', description: `the language (${LANGUAGES.join(', ')})` },
    clear: { type: 'boolean', description: 'forget the language: the default applies' },
  },
  async run(context, options, out) {
    if ((options.language === undefined) === !options.clear) throw new UsageError('give either --language or --clear');
    if (options.language !== undefined && !(LANGUAGES as readonly string[]).includes(options.language)) {
      throw new UsageError(`--language must be one of ${LANGUAGES.join(', ')}`);
    }
    if (!/^[^\s@]{1,64}@[^\s@]{1,253}$/u.test(options.email.trim())) throw new UsageError('--email must be an e-mail address');
    const language = (options.language ?? null) as ReminderLanguage | null;
    const changed = await context.services.reminders.setContactLanguage(options.email, language, context.operator);
    const address = options.email.trim().toLowerCase();
    if (language === null) out(changed ? `${address}: language forgotten, the default applies` : `${address}: no language was recorded`);
    else out(`${address}: ${language}`);
  },
});

export const listLanguagesCommand = defineListCommand({
  name: 'reminders:languages',
  summary: 'the recorded contact languages',
  options: {},
  counted: 'address(es)',
  list: (context) => context.services.reminders.listContactLanguages(),
  text: (l) => `${l.email} ${l.language} (${l.updatedAt.toISOString()} by ${l.updatedBy})`,
  json: (l) => ({ email: l.email, language: l.language, updatedAt: jsonDate(l.updatedAt), updatedBy: l.updatedBy }),
});

export const REMINDER_COMMANDS: readonly AdminCommand[] = [
  runRemindersCommand,
  expiringCommand,
  outboxCommand,
  retryCommand,
  setLanguageCommand,
  listLanguagesCommand,
];
