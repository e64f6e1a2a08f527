-- Tamper-evident audit log (issue #15). Every audit record is sealed into one hash chain: seq (1, 2, …), the hash of the
-- previous record (64 zeros before the first) and its own SHA-256 over a canonical encoding of its content
-- (src/domain/audit-chain.ts). Callers insert records in their own transaction, unsealed (seq NULL); the sealer
-- (src/services/audit-chain.ts) chains committed records in its own short transaction under an advisory lock, so the
-- chain never forks, a rolled-back record never takes a number, and no caller holds a chain-wide lock while it works
-- (the CA's key-use journal writes its audit lines in autonomous transactions while the caller's is open).
--
-- Existing rows are not touched here: they are committed and unsealed, so the sealer's first run chains them in id
-- order, which is the order they were written in: the existing history is chained deterministically, not replaced
-- by a genesis record (nothing is lost, and there is no record to sign that nobody wrote).

-- The serial number of the actor's certificate (officers authenticated by client certificate; actor holds the subject).
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS actor_serial text;
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS seq bigint;
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS prev_hash text;
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS record_hash text;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_seq_key UNIQUE (seq);
ALTER TABLE audit_log ADD CONSTRAINT audit_log_sealed_ck
  CHECK ((seq IS NULL) = (record_hash IS NULL) AND (seq IS NULL) = (prev_hash IS NULL));
CREATE INDEX IF NOT EXISTS audit_log_unsealed_idx ON audit_log (id) WHERE seq IS NULL;
CREATE INDEX IF NOT EXISTS audit_log_action_idx ON audit_log (action, occurred_at);

-- Signed checkpoints: the head of the chain (seq, record hash) at a time, signed by the platform's audit key.
CREATE TABLE IF NOT EXISTS audit_checkpoints (
  id               bigserial PRIMARY KEY,
  seq              bigint NOT NULL,
  head_hash        text NOT NULL,
  created_at       timestamptz NOT NULL,
  key_spki_sha256  text NOT NULL,
  signature        bytea NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_checkpoints_seq_idx ON audit_checkpoints (seq);
