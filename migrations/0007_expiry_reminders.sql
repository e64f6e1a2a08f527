-- Expiry reminders (issue #16): reminders from three months before a certificate's end (seed: "Rappels automatiques à
-- partir de trois mois avant la date d'échéance"), after Boulder's expiration-mailer: one record per certificate and
-- nag window (each window examined once), a durable outbox of messages per recipient (one mail batches a recipient's
-- certificates), retried with back-off until delivered.

-- The address a certificate manager is reminded at (registered with the mandate); NULL = the EmailPrivate they gave
-- in their latest CertRA request.
ALTER TABLE certra_mandates ADD COLUMN IF NOT EXISTS contact_email text;

-- The language a contact reads (CertRA's ContactData carries none): set by an administrator; otherwise the reminder
-- is written in the default language (REMINDER_DEFAULT_LANGUAGE, by default all three).
CREATE TABLE IF NOT EXISTS reminder_contact_languages (
  email       text PRIMARY KEY,                -- lower-case
  language    text NOT NULL,
  updated_at  timestamptz NOT NULL,
  updated_by  text NOT NULL,
  CONSTRAINT reminder_contact_languages_email_ck CHECK (email = lower(email)),
  CONSTRAINT reminder_contact_languages_language_ck CHECK (language IN ('fr', 'nl', 'en'))
);

-- One row per certificate and nag window once examined (Boulder's lastExpirationNagSent, per window): the unique
-- constraint makes a window's reminder happen once whatever the number of processes. 'queued': messages were put in
-- the outbox; 'renewed': a newer valid certificate for the same identifier and application id exists, nothing is sent.
CREATE TABLE IF NOT EXISTS expiry_reminders (
  id                         bigserial PRIMARY KEY,
  issued_certificate_id      bigint NOT NULL REFERENCES issued_certificates (id),
  window_days                integer NOT NULL,
  due_at                     timestamptz NOT NULL,   -- when the window opened for this certificate
  outcome                    text NOT NULL,
  renewed_by_certificate_id  bigint REFERENCES issued_certificates (id),
  examined_at                timestamptz NOT NULL,
  CONSTRAINT expiry_reminders_window_uq UNIQUE (issued_certificate_id, window_days),
  CONSTRAINT expiry_reminders_window_ck CHECK (window_days > 0),
  CONSTRAINT expiry_reminders_outcome_ck CHECK (outcome IN ('queued', 'renewed')),
  CONSTRAINT expiry_reminders_renewed_ck CHECK ((outcome = 'renewed') = (renewed_by_certificate_id IS NOT NULL))
);

-- The outbox: one message per recipient (e-mail: an address; webhook: one per reminder), kept until delivered.
-- A sender claims due messages for a lease (FOR UPDATE SKIP LOCKED), so concurrent senders never take the same one;
-- a failure sets the next attempt (exponential back-off). 'cancelled': every certificate it was about was renewed,
-- revoked or expired before it could be delivered; 'failed': refused for good (a recipient the SMTP server rejects).
CREATE TABLE IF NOT EXISTS reminder_messages (
  id               bigserial PRIMARY KEY,
  channel          text NOT NULL,
  recipient        text NOT NULL,
  language         text NOT NULL,
  status           text NOT NULL DEFAULT 'pending',
  attempts         integer NOT NULL DEFAULT 0,
  created_at       timestamptz NOT NULL,
  next_attempt_at  timestamptz NOT NULL,
  claimed_by       text,
  claimed_until    timestamptz,
  last_attempt_at  timestamptz,
  last_error       text,
  finished_at      timestamptz,
  CONSTRAINT reminder_messages_channel_ck CHECK (channel IN ('email', 'webhook')),
  CONSTRAINT reminder_messages_language_ck CHECK (language IN ('fr', 'nl', 'en', 'all')),
  CONSTRAINT reminder_messages_status_ck CHECK (status IN ('pending', 'sent', 'cancelled', 'failed')),
  CONSTRAINT reminder_messages_finished_ck CHECK ((status = 'pending') = (finished_at IS NULL))
);
CREATE INDEX IF NOT EXISTS reminder_messages_due_idx ON reminder_messages (next_attempt_at, id) WHERE status = 'pending';

-- The reminders a message carries, and for whom (the holder's contact or a certificate manager).
CREATE TABLE IF NOT EXISTS reminder_message_items (
  message_id   bigint NOT NULL REFERENCES reminder_messages (id),
  reminder_id  bigint NOT NULL REFERENCES expiry_reminders (id),
  role         text NOT NULL,
  PRIMARY KEY (message_id, reminder_id),
  CONSTRAINT reminder_message_items_role_ck CHECK (role IN ('contact', 'certificate-manager', 'webhook'))
);
CREATE INDEX IF NOT EXISTS reminder_message_items_reminder_idx ON reminder_message_items (reminder_id);

-- The planner's scan: valid certificates by end date.
CREATE INDEX IF NOT EXISTS issued_certificates_not_after_idx ON issued_certificates (not_after)
  WHERE revoked_at IS NULL AND certificate_der IS NOT NULL;
-- A certificate manager's latest request (their address when the mandate has none).
CREATE INDEX IF NOT EXISTS certra_requests_requester_idx ON certra_requests (requester_ssin, requested_at);
