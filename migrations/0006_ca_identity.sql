-- Which CA hierarchy this database belongs to (issue #16): the SHA-256 of the root certificate the first process
-- loaded, and whether it was the generated development hierarchy. Replicas on one PostgreSQL without CA_CONFIG_FILE
-- and with DATA_DIRs of their own would otherwise each generate a development CA with the same names and other keys.
CREATE TABLE IF NOT EXISTS ca_identity (
  singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  root_sha256    text NOT NULL CHECK (root_sha256 ~ '^[0-9a-f]{64}$'),
  development    boolean NOT NULL,
  recorded_at    timestamptz NOT NULL DEFAULT now()
);
