-- The life of scope data: when each scope record was collected (for
-- newest-first listing), files kept in scopes and which records use them,
-- and what the owner deleted (never the deleted data itself).

-- One row per scope record, beside the record index: collectedAt is inside
-- the record, but listing newest first needs it as a column.
CREATE TABLE scope_record (
  did TEXT NOT NULL,
  scope TEXT NOT NULL,
  rkey TEXT NOT NULL,
  collected_at TEXT NOT NULL,         -- ISO time, as in the record
  PRIMARY KEY (did, scope, rkey)
) WITHOUT ROWID;
CREATE INDEX scope_record_collected ON scope_record (did, scope, collected_at, rkey);

-- Files uploaded into a scope. Never in `blob`, so the public getBlob and
-- listBlobs cannot see them; a record may only use a file of its own scope.
CREATE TABLE scope_blob (
  did TEXT NOT NULL,
  scope TEXT NOT NULL,
  cid TEXT NOT NULL,
  mime_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (did, scope, cid)
) WITHOUT ROWID;

CREATE TABLE scope_record_blob (
  did TEXT NOT NULL,
  scope TEXT NOT NULL,
  rkey TEXT NOT NULL,
  blob_cid TEXT NOT NULL,
  PRIMARY KEY (did, scope, rkey, blob_cid)
) WITHOUT ROWID;
CREATE INDEX scope_record_blob_cid ON scope_record_blob (did, scope, blob_cid);

-- What was deleted and when, for the owner's page and for followers: `seq`
-- is the event carrying the delete ops; `grantees` (JSON array) the apps
-- that held a grant for a deleted scope, who still get that last event.
CREATE TABLE scope_deletion (
  id INTEGER PRIMARY KEY,
  did TEXT NOT NULL REFERENCES account(did) ON DELETE CASCADE,
  scope TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('record', 'scope', 'before')),
  detail TEXT NOT NULL,               -- the key, or the date, or 'whole scope'
  records INTEGER NOT NULL,
  files INTEGER NOT NULL,
  seq INTEGER,
  grantees TEXT NOT NULL DEFAULT '[]',
  deleted_at INTEGER NOT NULL         -- ms since epoch
);
CREATE INDEX scope_deletion_did ON scope_deletion (did, deleted_at);
CREATE INDEX scope_deletion_seq ON scope_deletion (seq) WHERE grantees != '[]';

-- Records ingested before this migration: they were indexed when collected.
INSERT INTO scope_record (did, scope, rkey, collected_at)
  SELECT did, scope, rkey, indexed_at FROM record WHERE scope != '' AND collection = scope;
