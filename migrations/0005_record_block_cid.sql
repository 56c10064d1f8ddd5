-- Each record's CID in binary beside its text form, so a record and its
-- block come back in one JOIN (listRecords, getRecord) instead of a lookup
-- per record after decoding base32. Rows from before this migration are
-- filled in by Hearth at start (src/repo/record-index.ts).
ALTER TABLE record ADD COLUMN block_cid BLOB;
-- Rows still missing it (none, once filled): lets the start-up check skip a table scan.
CREATE INDEX record_block_cid_missing ON record (did) WHERE block_cid IS NULL;
