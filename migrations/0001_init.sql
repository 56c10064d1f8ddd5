-- Hearth's first schema: accounts, repositories (blocks, roots, record index),
-- blobs, and the event log. Every repository row names its account (did) and
-- its repository within the account (scope; '' is the public repo), so one
-- account can be exported or deleted without touching another.

CREATE TABLE account (
  did TEXT PRIMARY KEY,
  handle TEXT NOT NULL UNIQUE,
  email TEXT UNIQUE,
  password_hash TEXT,                 -- NULL for accounts that only sign in through a provider
  signing_key_enc BLOB NOT NULL,      -- AES-256-GCM(key-encryption key, secp256k1 private key)
  status TEXT NOT NULL DEFAULT 'active'
    CHECK (status IN ('active', 'deactivated', 'takendown', 'deleted')),
  created_at TEXT NOT NULL,
  status_changed_at TEXT
);

CREATE TABLE app_password (
  did TEXT NOT NULL REFERENCES account(did) ON DELETE CASCADE,
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  privileged INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  PRIMARY KEY (did, name)
);

-- Refresh tokens are single-use: refreshing deletes the row and adds the next.
CREATE TABLE refresh_token (
  id TEXT PRIMARY KEY,
  did TEXT NOT NULL REFERENCES account(did) ON DELETE CASCADE,
  app_password_name TEXT,
  expires_at INTEGER NOT NULL
);
CREATE INDEX refresh_token_did ON refresh_token (did);

CREATE TABLE invite_code (
  code TEXT PRIMARY KEY,
  available_uses INTEGER NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  for_account TEXT,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE invite_code_use (
  code TEXT NOT NULL REFERENCES invite_code(code),
  used_by TEXT NOT NULL,
  used_at TEXT NOT NULL,
  PRIMARY KEY (code, used_by)
);

-- The head of each repository.
CREATE TABLE repo_root (
  did TEXT NOT NULL,
  scope TEXT NOT NULL DEFAULT '',
  cid TEXT NOT NULL,
  rev TEXT NOT NULL,
  indexed_at TEXT NOT NULL,
  PRIMARY KEY (did, scope)
) WITHOUT ROWID;

-- Every block of every repository; rev is the commit that added it, which is
-- what getRepo's `since` diffs on.
CREATE TABLE repo_block (
  did TEXT NOT NULL,
  scope TEXT NOT NULL DEFAULT '',
  cid BLOB NOT NULL,
  rev TEXT NOT NULL,
  content BLOB NOT NULL,
  PRIMARY KEY (did, scope, cid)
) WITHOUT ROWID;
CREATE INDEX repo_block_rev ON repo_block (did, scope, rev);

-- The record index: what each collection/rkey points at right now.
CREATE TABLE record (
  did TEXT NOT NULL,
  scope TEXT NOT NULL DEFAULT '',
  collection TEXT NOT NULL,
  rkey TEXT NOT NULL,
  cid TEXT NOT NULL,
  rev TEXT NOT NULL,
  indexed_at TEXT NOT NULL,
  PRIMARY KEY (did, scope, collection, rkey)
) WITHOUT ROWID;

CREATE TABLE blob (
  did TEXT NOT NULL,
  cid TEXT NOT NULL,
  mime_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (did, cid)
) WITHOUT ROWID;

-- Which records reference which blobs (a blob nobody references is collected).
CREATE TABLE record_blob (
  did TEXT NOT NULL,
  blob_cid TEXT NOT NULL,
  record_uri TEXT NOT NULL,
  PRIMARY KEY (did, blob_cid, record_uri)
) WITHOUT ROWID;
CREATE INDEX record_blob_uri ON record_blob (did, record_uri);

-- The event log. AUTOINCREMENT: a seq is never handed out twice, even after
-- the newest rows are deleted. Frames are stored encoded, ready to send.
CREATE TABLE repo_seq (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  did TEXT NOT NULL,
  scope TEXT NOT NULL DEFAULT '',
  event_type TEXT NOT NULL,
  frame BLOB NOT NULL,
  sequenced_at TEXT NOT NULL
);
CREATE INDEX repo_seq_did ON repo_seq (did);
CREATE INDEX repo_seq_scope ON repo_seq (scope, seq);

-- Two records may hold identical content (one block): a commit only drops a
-- record block when no record still points at it, which this index answers.
CREATE INDEX record_cid ON record (did, scope, cid);
