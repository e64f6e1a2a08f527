-- KGSS v1 (issue #14): symmetric keys for recipients not known in advance. Keys are stored wrapped (AES key wrap,
-- RFC 3394) under a data key; data keys are stored wrapped under the key-encryption key held in the key custody
-- (RSA-OAEP), so nothing here is readable without it. A process unwraps a data key once and keeps it in memory.

-- Data keys (AES-256), each wrapped by the key-encryption key named by kek_id. Processes starting together may each
-- add one: every key names the data key it is under.
CREATE TABLE IF NOT EXISTS kgss_data_keys (
  id           bigserial PRIMARY KEY,
  kek_id       text NOT NULL,
  wrapped_key  bytea NOT NULL,
  created_at   timestamptz NOT NULL
);

-- The keys, with the access list their creator sealed into GetNewKey, who created them and when. Reads (GetKey) go by
-- the opaque identifier given to the creator.
CREATE TABLE IF NOT EXISTS kgss_keys (
  id                   bigserial PRIMARY KEY,
  key_identifier       bytea NOT NULL,
  data_key_id          bigint NOT NULL REFERENCES kgss_data_keys (id),
  wrapped_key          bytea NOT NULL,
  allowed_readers      jsonb NOT NULL,
  excluded_readers     jsonb NOT NULL,
  creator_subject      text NOT NULL,
  creator_serial       text NOT NULL,
  creator_issuer       text NOT NULL,
  created_at           timestamptz NOT NULL,
  CONSTRAINT kgss_keys_identifier_uq UNIQUE (key_identifier),
  CONSTRAINT kgss_keys_identifier_ck CHECK (octet_length(key_identifier) BETWEEN 16 AND 64),
  CONSTRAINT kgss_keys_allowed_ck CHECK (jsonb_typeof(allowed_readers) = 'array' AND jsonb_array_length(allowed_readers) > 0),
  CONSTRAINT kgss_keys_excluded_ck CHECK (jsonb_typeof(excluded_readers) = 'array')
);
