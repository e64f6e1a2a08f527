-- CertRA v2 (issue #4): certificate requests and their lifecycle, organisation mandates, acceptance test cases, and
-- the key that seals the contracts we hand out.

-- Secrets of the CertRA service. 'contract-seal-v1' is the HMAC key that binds a contract (DN, Signer, text) to this
-- service, so generateContract stays stateless: an anonymous caller cannot fill a table by asking for contracts.
-- Two random UUIDs give 244 random bits from the server's strong random source (gen_random_uuid is core since PG 13).
CREATE TABLE IF NOT EXISTS certra_secrets (
  name        text PRIMARY KEY,
  secret      bytea NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT certra_secrets_length_ck CHECK (octet_length(secret) >= 32)
);
INSERT INTO certra_secrets (name, secret)
  VALUES ('contract-seal-v1', decode(replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', ''), 'hex'))
  ON CONFLICT (name) DO NOTHING;

-- Who may manage the eHealth certificates of an organisation (eHealth UMan / IGC-Santé practice): its legal
-- representative, proven by statutes or a board decision, and the certificate managers a legal representative
-- designates with a procuration form. Registered by an administrator (CLI), never through the web service.
CREATE TABLE IF NOT EXISTS certra_mandates (
  id                        bigserial PRIMARY KEY,
  organisation_type         text NOT NULL,            -- ETK identifier type (NIHII-HOSPITAL, CBE, EHP, ...)
  organisation_id           text NOT NULL,
  organisation_name         text NOT NULL,
  holder_ssin               text NOT NULL,
  role                      text NOT NULL,
  designated_by_mandate_id  bigint REFERENCES certra_mandates (id),
  evidence                  text NOT NULL,            -- reference of the statutes, decision or procuration form
  registered_by             text NOT NULL,
  registered_at             timestamptz NOT NULL,
  withdrawn_at              timestamptz,
  withdrawn_by              text,
  withdrawal_reason         text,
  CONSTRAINT certra_mandates_role_ck CHECK (role IN ('LEGAL_REPRESENTATIVE', 'CERTIFICATE_MANAGER')),
  -- A certificate manager exists only through the designation of a legal representative.
  CONSTRAINT certra_mandates_designation_ck CHECK ((role = 'CERTIFICATE_MANAGER') = (designated_by_mandate_id IS NOT NULL)),
  CONSTRAINT certra_mandates_withdrawal_ck CHECK ((withdrawn_at IS NULL) = (withdrawn_by IS NULL))
);
CREATE UNIQUE INDEX IF NOT EXISTS certra_mandates_active_uq
  ON certra_mandates (organisation_type, organisation_id, holder_ssin, role) WHERE withdrawn_at IS NULL;
CREATE INDEX IF NOT EXISTS certra_mandates_holder_idx ON certra_mandates (holder_ssin) WHERE withdrawn_at IS NULL;

-- Acceptance test cases: the link between a certificate identifier (a person's SSIN or an organisation's id) and the
-- SSIN of the person responsible for the certificate, registered by eHealth before an acceptance request. In
-- acceptance, a request that matches a test case is validated automatically.
CREATE TABLE IF NOT EXISTS certra_test_cases (
  id                bigserial PRIMARY KEY,
  identifier_type   text NOT NULL,
  identifier_value  text NOT NULL,
  responsible_ssin  text NOT NULL,
  description       text NOT NULL,
  registered_by     text NOT NULL,
  registered_at     timestamptz NOT NULL,
  removed_at        timestamptz,
  removed_by        text,
  CONSTRAINT certra_test_cases_removal_ck CHECK ((removed_at IS NULL) = (removed_by IS NULL))
);
CREATE UNIQUE INDEX IF NOT EXISTS certra_test_cases_active_uq
  ON certra_test_cases (identifier_type, identifier_value, responsible_ssin) WHERE removed_at IS NULL;

-- One row per accepted certificate request (generateCertificate or submitCSRForForeigner). The public key identifier
-- is the client's handle for the request and the SubjectKeyIdentifier of the certificate issued for it.
CREATE TABLE IF NOT EXISTS certra_requests (
  id                       bigserial PRIMARY KEY,
  public_key_identifier    text NOT NULL,             -- upper-case hex SHA-1 of the subjectPublicKey
  channel                  text NOT NULL,
  dn                       text NOT NULL,             -- Contract/DN as we issued it (RFC 2253, CN first)
  dn_key                   text NOT NULL,             -- dnCanonicalKey(dn): equal for semantically equal DNs
  entity_type              text NOT NULL,
  identifier_type          text NOT NULL,
  identifier_value         text NOT NULL,
  application_id           text,
  actor_first_names        jsonb NOT NULL DEFAULT '[]'::jsonb,
  actor_name               text NOT NULL,
  requester_ssin           text NOT NULL,
  contact_data             jsonb NOT NULL,
  base_service_usage       jsonb NOT NULL DEFAULT '[]'::jsonb,
  csr_der                  bytea NOT NULL,
  signed_request           text,                      -- the signed request element as received: evidence of the accepted contract
  status                   text NOT NULL,
  automatically_validated  boolean NOT NULL,
  replaces_request_id      bigint REFERENCES certra_requests (id),
  issued_certificate_id    bigint REFERENCES issued_certificates (id),
  requested_at             timestamptz NOT NULL,
  validation_reference     text,                      -- foreigners: the random reference of the validation URL
  validation_expires_at    timestamptz,
  decided_at               timestamptz,
  decided_by               text,                      -- the officer (or 'automatic')
  decision_note            text,
  CONSTRAINT certra_requests_channel_ck CHECK (channel IN ('eid', 'foreigner')),
  CONSTRAINT certra_requests_entity_ck CHECK (entity_type IN ('NaturalPerson', 'Organization')),
  CONSTRAINT certra_requests_status_ck CHECK (status IN ('PENDING', 'ISSUED', 'REFUSED')),
  CONSTRAINT certra_requests_issued_ck CHECK ((status = 'ISSUED') = (issued_certificate_id IS NOT NULL)),
  CONSTRAINT certra_requests_decision_ck CHECK ((status = 'PENDING') = (decided_at IS NULL)),
  CONSTRAINT certra_requests_pki_uq UNIQUE (public_key_identifier),
  CONSTRAINT certra_requests_validation_reference_uq UNIQUE (validation_reference)
);
-- At most one request per DN waits for validation; a second concurrent one fails here even if the lock were bypassed.
CREATE UNIQUE INDEX IF NOT EXISTS certra_requests_pending_dn_uq ON certra_requests (dn_key) WHERE status = 'PENDING';
-- A certificate is replaced at most once (a refused replacement does not count).
CREATE UNIQUE INDEX IF NOT EXISTS certra_requests_replaces_uq ON certra_requests (replaces_request_id) WHERE status <> 'REFUSED';
CREATE INDEX IF NOT EXISTS certra_requests_dn_idx ON certra_requests (dn_key);
CREATE INDEX IF NOT EXISTS certra_requests_identifier_idx ON certra_requests (identifier_type, identifier_value);
CREATE INDEX IF NOT EXISTS certra_requests_issued_idx ON certra_requests (issued_certificate_id);
CREATE INDEX IF NOT EXISTS certra_requests_pending_idx ON certra_requests (requested_at) WHERE status = 'PENDING';
