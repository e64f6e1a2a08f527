-- Every use of a CA key leaves a trace (issue #12). The issuer commits the serial, the SHA-256 of the TBSCertificate
-- it is about to sign and the intent in a transaction of their own *before* signing, and journals the outcome
-- (signed, or signing failed) the same way; the certificate itself is recorded afterwards, in the caller's
-- transaction. A row whose certificate was never recorded (the caller rolled back, the process died) stays behind
-- as an orphan intent: warned about at start-up, listed by the admin command ca:intents:orphans.

-- Lower-case hex SHA-256 of the DER TBSCertificate that was (to be) signed; NULL only for rows recorded before this
-- migration.
ALTER TABLE issued_certificates ADD COLUMN IF NOT EXISTS tbs_sha256 text;
-- intent: committed before signing, outcome unknown; signed: the key signed it; sign_failed: the signer failed or
-- produced something else; issued: the certificate is recorded (certificate_der).
ALTER TABLE issued_certificates ADD COLUMN IF NOT EXISTS intent_state text NOT NULL DEFAULT 'intent';
ALTER TABLE issued_certificates ADD COLUMN IF NOT EXISTS intent_at timestamptz;
ALTER TABLE issued_certificates ADD COLUMN IF NOT EXISTS signed_at timestamptz;

UPDATE issued_certificates SET intent_state = 'issued', intent_at = issued_at, signed_at = issued_at WHERE certificate_der IS NOT NULL;
ALTER TABLE issued_certificates ALTER COLUMN intent_at SET DEFAULT now();

ALTER TABLE issued_certificates ADD CONSTRAINT issued_certificates_tbs_sha256_ck
  CHECK (tbs_sha256 IS NULL OR tbs_sha256 ~ '^[0-9a-f]{64}$');
ALTER TABLE issued_certificates ADD CONSTRAINT issued_certificates_intent_state_ck
  CHECK (intent_state IN ('intent', 'signed', 'sign_failed', 'issued'));
ALTER TABLE issued_certificates ADD CONSTRAINT issued_certificates_issued_ck
  CHECK ((intent_state = 'issued') = (certificate_der IS NOT NULL));

-- The orphan listing (start-up, CLI) reads only the rows whose certificate is not recorded.
CREATE INDEX IF NOT EXISTS issued_certificates_unrecorded_idx ON issued_certificates (id) WHERE intent_state <> 'issued';
