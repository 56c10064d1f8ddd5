-- Blob collection. An upload first sits in the store's temporary area
-- (temp_key set) and moves to its final key once a record references it
-- (temp_key NULL). unreferenced_since is when the last record referencing a
-- blob went away: the collector deletes it a grace period later.
ALTER TABLE blob ADD COLUMN temp_key TEXT;
ALTER TABLE blob ADD COLUMN unreferenced_since TEXT;
CREATE INDEX blob_temp ON blob (created_at) WHERE temp_key IS NOT NULL;
CREATE INDEX blob_temp_key ON blob (temp_key) WHERE temp_key IS NOT NULL;
CREATE INDEX blob_unreferenced ON blob (unreferenced_since) WHERE unreferenced_since IS NOT NULL;
-- Blobs uploaded before this migration that no record uses were never
-- collected: they start their grace period now.
UPDATE blob SET unreferenced_since = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
  WHERE NOT EXISTS (SELECT 1 FROM record_blob rb WHERE rb.did = blob.did AND rb.blob_cid = blob.cid);
-- Accounts deleted whose objects the store has not confirmed deleted yet
-- (an object store may be unreachable at that moment): the collector retries.
CREATE TABLE blob_account_purge (
  did TEXT PRIMARY KEY,
  requested_at TEXT NOT NULL
) WITHOUT ROWID;
