-- The signed CertRA request kept as evidence (about 12 KB of XML, mostly base64) is compressed when it is TOASTed.
-- lz4 compresses it to the same size as the default pglz (12.4 KB → 7.7 KB) in about half the CPU of the INSERT
-- (measured on PostgreSQL 15: 65-80 µs against 140-160 µs), and decompresses faster. Only where the server was built
-- with lz4 (PostgreSQL 14+ from Debian is; the embedded PGlite is not and keeps pglz). Applies to rows written from now on.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
    EXECUTE 'ALTER TABLE certra_requests ALTER COLUMN signed_request SET COMPRESSION lz4';
  END IF;
END
$$;
