-- Foundation: audit trail, the registry of every certificate our CAs issue, and CRL numbering.

CREATE TABLE IF NOT EXISTS audit_log (
  id           bigserial PRIMARY KEY,
  occurred_at  timestamptz NOT NULL DEFAULT now(),
  actor        text NOT NULL,
  action       text NOT NULL,
  subject      text,
  details      jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX IF NOT EXISTS audit_log_subject_idx ON audit_log (subject, occurred_at);

-- Every certificate issued by one of our CAs. The serial is recorded before signing (intent), so a unique
-- violation here refuses issuance rather than producing two certificates with one serial.
CREATE TABLE IF NOT EXISTS issued_certificates (
  id                  bigserial PRIMARY KEY,
  issuer_key_id       text NOT NULL,               -- hex SKI of the issuing CA
  serial_hex          text NOT NULL,               -- lower-case hex, no leading zeros
  subject_key_id      text NOT NULL,               -- upper-case hex SHA-1 of subjectPublicKey (eHealth PublicKeyIdentifier)
  subject_dn          text NOT NULL,
  profile             text NOT NULL,
  not_before          timestamptz NOT NULL,
  not_after           timestamptz NOT NULL,
  certificate_der     bytea,                       -- NULL between intent and signature
  issued_at           timestamptz,
  revoked_at          timestamptz,
  revocation_reason   text,
  CONSTRAINT issued_certificates_serial_uq UNIQUE (issuer_key_id, serial_hex),
  CONSTRAINT issued_certificates_reason_ck CHECK (
    revocation_reason IS NULL OR revocation_reason IN
      ('unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation',
       'certificateHold', 'privilegeWithdrawn'))
);
CREATE INDEX IF NOT EXISTS issued_certificates_ski_idx ON issued_certificates (subject_key_id);
CREATE INDEX IF NOT EXISTS issued_certificates_revoked_idx ON issued_certificates (issuer_key_id) WHERE revoked_at IS NOT NULL;

CREATE TABLE IF NOT EXISTS crl_state (
  issuer_key_id  text PRIMARY KEY,
  crl_number     bigint NOT NULL DEFAULT 0,
  last_issued_at timestamptz
);
