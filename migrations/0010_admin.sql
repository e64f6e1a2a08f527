-- The admin listener (issue #15): the officers it admits, by client certificate, with their role; and the changes
-- waiting for a second officer under four-eyes control (ADMIN_DUAL_CONTROL).

-- An officer is one client certificate (its SHA-256 fingerprint), with one role. Removing an officer keeps the row,
-- so that the audit log's subjects stay explained.
CREATE TABLE IF NOT EXISTS admin_officers (
  id                  bigserial PRIMARY KEY,
  certificate_sha256  text NOT NULL,
  subject_dn          text NOT NULL,
  serial_hex          text NOT NULL,
  issuer_dn           text NOT NULL,
  not_after           timestamptz NOT NULL,
  role                text NOT NULL,
  added_at            timestamptz NOT NULL,
  added_by            text NOT NULL,
  removed_at          timestamptz,
  removed_by          text,
  CONSTRAINT admin_officers_role_ck CHECK (role IN ('officer', 'auditor', 'admin')),
  CONSTRAINT admin_officers_fingerprint_ck CHECK (certificate_sha256 ~ '^[0-9a-f]{64}$')
);
CREATE UNIQUE INDEX IF NOT EXISTS admin_officers_active_uq ON admin_officers (certificate_sha256) WHERE removed_at IS NULL;

-- A change one officer asked for and a second must confirm (revocation, a foreigner's approval). It runs, with both
-- officers recorded, only when confirmed; the first officer cannot confirm their own.
CREATE TABLE IF NOT EXISTS admin_pending_actions (
  id                  bigserial PRIMARY KEY,
  kind                text NOT NULL,
  subject             text NOT NULL,
  payload             jsonb NOT NULL,
  requested_by        text NOT NULL,
  requested_by_serial text NOT NULL,
  requested_at        timestamptz NOT NULL,
  decided_by          text,
  decided_by_serial   text,
  decided_at          timestamptz,
  outcome             text,
  CONSTRAINT admin_pending_actions_kind_ck CHECK (kind IN ('certificate.revoke', 'request.approve')),
  CONSTRAINT admin_pending_actions_outcome_ck CHECK (outcome IS NULL OR outcome IN ('confirmed', 'cancelled')),
  CONSTRAINT admin_pending_actions_decision_ck CHECK ((outcome IS NULL) = (decided_at IS NULL))
);
-- One open action per object and kind: a second officer confirms the one there is.
CREATE UNIQUE INDEX IF NOT EXISTS admin_pending_actions_open_uq ON admin_pending_actions (kind, subject) WHERE outcome IS NULL;

CREATE INDEX IF NOT EXISTS issued_certificates_subject_dn_idx ON issued_certificates (lower(subject_dn));
