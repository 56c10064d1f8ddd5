-- Hearth as an AT Protocol OAuth authorization server.

-- Pushed authorization requests (PAR), then the code they turn into. A row
-- lives until it expires; `code_hash` is the SHA-256 of the code handed to
-- the app, `code_used` flips once (the token exchange), and `session_id`
-- names the session that exchange made, so a replayed code can end it.
CREATE TABLE oauth_request (
  id TEXT PRIMARY KEY,                -- tail of the request_uri
  client_id TEXT NOT NULL,
  params TEXT NOT NULL,               -- JSON: the checked PAR parameters
  dpop_jkt TEXT,                      -- thumbprint of the DPoP key the PAR was made with
  client_auth TEXT NOT NULL,          -- 'none' or 'private_key_jwt:<kid>'
  expires_at INTEGER NOT NULL,        -- ms since epoch
  did TEXT REFERENCES account(did) ON DELETE CASCADE,
  scope TEXT,                         -- what the person approved (include: sets expanded)
  code_hash TEXT UNIQUE,
  code_expires_at INTEGER,
  code_used INTEGER NOT NULL DEFAULT 0,
  session_id TEXT
);

-- One row per app session (a chain of rotating refresh tokens). Deleting
-- the row ends the app's access at once: every access token names its
-- session and is checked against this table.
CREATE TABLE oauth_session (
  id TEXT PRIMARY KEY,
  did TEXT NOT NULL REFERENCES account(did) ON DELETE CASCADE,
  client_id TEXT NOT NULL,
  client_name TEXT,
  client_auth TEXT NOT NULL,
  scope TEXT NOT NULL,
  dpop_jkt TEXT NOT NULL,
  refresh_hash TEXT NOT NULL UNIQUE,  -- SHA-256 of the current refresh token
  refresh_expires_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL
);
CREATE INDEX oauth_session_did ON oauth_session (did);

-- Refresh tokens already rotated away: one coming back means it was
-- copied, and the whole session ends.
CREATE TABLE oauth_spent_refresh (
  hash TEXT PRIMARY KEY,
  session_id TEXT NOT NULL,
  spent_at INTEGER NOT NULL
);

-- What a person approved for a client; the same or fewer permissions are
-- not asked again until revoked.
CREATE TABLE oauth_consent (
  did TEXT NOT NULL REFERENCES account(did) ON DELETE CASCADE,
  client_id TEXT NOT NULL,
  scope TEXT NOT NULL,
  granted_at INTEGER NOT NULL,
  PRIMARY KEY (did, client_id)
);
