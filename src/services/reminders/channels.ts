import { createHmac } from 'node:crypto';
import { createTransport, type Transporter } from 'nodemailer';

/**
 * The two ways a reminder leaves the platform: e-mail over SMTP (nodemailer) and a signed JSON webhook. Each failure is
 * classified, so that the job knows what to do with the message and with the rest of its run:
 * - `connection`: the server could not be reached or refused us as a whole (connection, TLS, authentication, timeout):
 *   the message is retried after its back-off, and this run sends nothing more on that channel;
 * - `temporary`: this message was refused for now (SMTP 4xx, an HTTP error status): retried after its back-off;
 * - `permanent`: this message can never be delivered (SMTP 5xx for the recipient or the content): not retried.
 */

export type FailureKind = 'connection' | 'temporary' | 'permanent';

export class DeliveryError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

export interface ReminderMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  /** Stable per outbox message: a copy sent again after a crash carries the same Message-ID. */
  readonly messageId: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface ReminderMailer {
  /** The From address (REMINDER_FROM), also the domain of the Message-IDs. */
  readonly sender: string;
  send(mail: ReminderMail): Promise<void>;
  close(): void;
}

export interface SmtpSettings {
  /** nodemailer connection URL: smtp://[user:password@]host[:port] (STARTTLS when offered), smtps:// (TLS). */
  readonly url: string;
  readonly sender: string;
  /** Connection, greeting and socket timeouts: a dead server must not hold a run (and its lease) for minutes. */
  readonly timeoutMs?: number;
}

const CONNECTION_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'EAUTH', 'ETLS', 'EPROTOCOL', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE']);

/** What went wrong with an SMTP send, from nodemailer's error (code, responseCode). */
export function classifySmtpError(error: unknown): DeliveryError {
  const { code, responseCode, message } = error as { code?: string; responseCode?: number; message?: string };
  const text = `${code ?? 'error'}${responseCode ? ` ${responseCode}` : ''}: ${message ?? String(error)}`;
  if ((code === 'EENVELOPE' || code === 'EMESSAGE') && typeof responseCode === 'number') {
    return new DeliveryError(responseCode >= 500 ? 'permanent' : 'temporary', text);
  }
  if (code !== undefined && CONNECTION_CODES.has(code)) return new DeliveryError('connection', text);
  // An SMTP reply we do not know how to read: retry it, and spare the server the rest of this run.
  return new DeliveryError(typeof responseCode === 'number' && responseCode < 500 ? 'temporary' : 'connection', text);
}

/** E-mail over SMTP with nodemailer; one connection per message (a run sends a few at a time, see parallelSends). */
export class SmtpMailer implements ReminderMailer {
  private readonly transport: Transporter;
  readonly sender: string;

  constructor(settings: SmtpSettings) {
    const timeout = settings.timeoutMs ?? 30_000;
    this.sender = settings.sender;
    this.transport = createTransport({
      url: settings.url,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout * 2,
      // Never write the session (and the AUTH exchange) to a log.
      logger: false,
      debug: false,
    });
  }

  async send(mail: ReminderMail): Promise<void> {
    try {
      await this.transport.sendMail({
        from: this.sender,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        messageId: mail.messageId,
        headers: { ...mail.headers },
      });
    } catch (error) {
      throw classifySmtpError(error);
    }
  }

  close(): void {
    this.transport.close();
  }
}

/** The headers of a webhook call. */
export const WEBHOOK_HEADERS = {
  /** The outbox message id: the same on every retry, for the receiver to drop duplicates. */
  id: 'x-reminder-id',
  /** Unix time in seconds when the call was signed. */
  timestamp: 'x-reminder-timestamp',
  /** `sha256=` + hex HMAC-SHA256 with REMINDER_WEBHOOK_SECRET over `<timestamp>.<body>`. */
  signature: 'x-reminder-signature',
} as const;

/** The signature header's value for a body sent at `timestamp` (Unix seconds). */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface WebhookSettings {
  readonly url: string;
  readonly secret: string;
  readonly timeoutMs?: number;
}

/** POSTs a JSON body signed with HMAC-SHA256; any 2xx is delivered. */
export class WebhookSender {
  constructor(private readonly settings: WebhookSettings) {}

  async post(body: string, id: string, at: Date): Promise<void> {
    const timestamp = Math.floor(at.getTime() / 1000);
    let response: Response;
    try {
      response = await fetch(this.settings.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'ehealth-certificate-platform-reminders',
          [WEBHOOK_HEADERS.id]: id,
          [WEBHOOK_HEADERS.timestamp]: String(timestamp),
          [WEBHOOK_HEADERS.signature]: webhookSignature(this.settings.secret, timestamp, body),
        },
        body,
        // A redirect would carry the signed body elsewhere: refused.
        redirect: 'error',
        signal: AbortSignal.timeout(this.settings.timeoutMs ?? 15_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new DeliveryError('connection', `webhook unreachable: ${cause?.code ?? (error as Error).name}${cause?.message ? ` ${cause.message}` : ''}`);
    }
    await response.body?.cancel().catch(() => undefined);
    if (response.status < 200 || response.status > 299) throw new DeliveryError('temporary', `webhook answered HTTP ${response.status}`);
  }
}
