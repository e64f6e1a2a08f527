-- EtkRA v2 registration and the ETKDepot v1 directory (issue #5).
-- An ETK always belongs to one eHealth authentication certificate (issued_certificates.id); the identifier it is
-- published under (type, value, application id) is read from that certificate's subject DN at registration.

-- startETKRegistration: one row per challenge. Single use (used_at), short-lived (expires_at).
CREATE TABLE IF NOT EXISTS etk_challenges (
  id                     bigserial PRIMARY KEY,
  issued_certificate_id  bigint NOT NULL REFERENCES issued_certificates (id),
  serial                 bytea NOT NULL,            -- the 16 random bytes that become the encryption certificate's serial
  public_key_spki        bytea NOT NULL,            -- the announced RSA-2048 encryption key
  created_at             timestamptz NOT NULL,
  expires_at             timestamptz NOT NULL,
  used_at                timestamptz,
  CONSTRAINT etk_challenges_serial_ck CHECK (octet_length(serial) = 16),
  CONSTRAINT etk_challenges_serial_uq UNIQUE (issued_certificate_id, serial)
);
CREATE INDEX IF NOT EXISTS etk_challenges_expiry_idx ON etk_challenges (expires_at) WHERE used_at IS NULL;

-- Every ETK built by EtkRA. Only ACTIVE rows are published; the others are kept for history and status.
CREATE TABLE IF NOT EXISTS etks (
  id                     bigserial PRIMARY KEY,
  issued_certificate_id  bigint NOT NULL REFERENCES issued_certificates (id),
  identifier_type        text NOT NULL,             -- ETK identifier type (SSIN, CBE, NIHII-HOSPITAL, ...)
  identifier_value       text NOT NULL,             -- full fixed-length value, as in the DN
  application_id         text NOT NULL DEFAULT '',  -- '' = no application id (so that the unique index covers it)
  encryption_serial_hex  text NOT NULL,             -- serial of the encryption certificate (= the challenge serial)
  public_key_spki        bytea NOT NULL,
  etk_der                bytea NOT NULL,            -- the CMS SignedData returned by completeETKRegistration
  not_before             timestamptz NOT NULL,      -- copied from the authentication certificate
  not_after              timestamptz NOT NULL,
  status                 text NOT NULL,
  registered_at          timestamptz NOT NULL,
  activated_at           timestamptz,
  ended_at               timestamptz,               -- when it was superseded or revoked
  CONSTRAINT etks_status_ck CHECK (status IN ('WAIT_FOR_ACTIVATION', 'ACTIVE', 'SUPERSEDED', 'REVOKED'))
);
-- The GetEtk index: at most one published ETK per (type, value, application id); lookups by (type, value) use its prefix.
CREATE UNIQUE INDEX IF NOT EXISTS etks_published_uq ON etks (identifier_type, identifier_value, application_id) WHERE status = 'ACTIVE';
-- A certificate has at most one replacement ETK waiting for activateETK.
CREATE UNIQUE INDEX IF NOT EXISTS etks_waiting_uq ON etks (issued_certificate_id) WHERE status = 'WAIT_FOR_ACTIVATION';
CREATE INDEX IF NOT EXISTS etks_certificate_idx ON etks (issued_certificate_id);

-- Other identifiers a holder's ETK is found under: a health professional's NIHII resolves to the SSIN ETK, as on the
-- real platform (the connector accepts an SSIN ETK for a NIHII query). Filled from the professional registry.
CREATE TABLE IF NOT EXISTS etk_identifier_aliases (
  alias_type     text NOT NULL,
  alias_value    text NOT NULL,
  holder_type    text NOT NULL,
  holder_value   text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (alias_type, alias_value, holder_type, holder_value)
);
