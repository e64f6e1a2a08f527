-- KGSS v1 (issue #14): symmetric keys for recipients not known in advance. Each key is stored encrypted under a
-- key-encryption key held in the key custody (never in clear here), with the access list its creator sealed into
-- GetNewKey, who created it and when. Reads (GetKey) go by the opaque identifier given to the creator.
CREATE TABLE IF NOT EXISTS kgss_keys (
  id                   bigserial PRIMARY KEY,
  key_identifier       bytea NOT NULL,
  -- The AES key encrypted under the key-encryption key named by kek_id (RSA-OAEP with SHA-256).
  wrapped_key          bytea NOT NULL,
  kek_id               text NOT NULL,
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
