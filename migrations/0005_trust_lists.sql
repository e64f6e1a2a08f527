-- The published trusted lists (issue #13): the current signed edition of each, so that every process serves the same
-- bytes (the clients compare the .sha2 to decide whether to download), and its sequence number, which only grows.
CREATE TABLE IF NOT EXISTS trust_lists (
  list_name        text PRIMARY KEY CHECK (list_name IN ('transport', 'person', 'application')),
  sequence_number  bigint NOT NULL CHECK (sequence_number > 0),
  -- SHA-256 of what decides a change (service types, names, certificates): a new one means a new edition.
  content_sha256   text NOT NULL,
  issued_at        timestamptz NOT NULL,
  next_update      timestamptz NOT NULL,
  document         bytea NOT NULL,
  document_sha256  text NOT NULL
);
