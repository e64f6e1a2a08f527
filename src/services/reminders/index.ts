/** Expiry reminders (issue #16): the job, its channels (SMTP, signed webhook) and its mail templates. No SQL here. */
export * from './expiry-reminders.js';
export {
  classifySmtpError,
  DeliveryError,
  SmtpMailer,
  WEBHOOK_HEADERS,
  WebhookSender,
  webhookSignature,
  type FailureKind,
  type ReminderMail,
  type ReminderMailer,
} from './channels.js';
export {
  ReminderTemplates,
  TEMPLATE_LANGUAGES,
  TemplateError,
  templateFileName,
  type CertificateView,
  type MailView,
  type TemplateSource,
} from './templates.js';
export type {
  ContactLanguageRow,
  MessageLanguage,
  MessageStatus,
  ReminderChannel,
  ReminderLanguage,
  ReminderMessageRow,
} from '../../storage/expiry-reminders.js';
