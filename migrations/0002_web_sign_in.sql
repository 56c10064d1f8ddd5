-- Sign-in through GitHub and Google, and the person's web sessions.

-- Which provider identity reaches which account. The primary key is what
-- makes one identity reach at most one account, whatever races. While the
-- first sign-in of an identity is still making its account, `did` is NULL
-- and `claim_id` names the attempt doing it; a second attempt finding that
-- claim waits for it instead of making a second account.
CREATE TABLE linked_identity (
  provider TEXT NOT NULL CHECK (provider IN ('github', 'google')),
  subject TEXT NOT NULL,              -- GitHub's numeric user id, Google's `sub`
  did TEXT REFERENCES account(did) ON DELETE CASCADE,
  claim_id TEXT,
  claimed_at INTEGER,                 -- ms since epoch; a claim this old was abandoned
  username TEXT NOT NULL DEFAULT '',  -- GitHub login or Google email, for display
  email TEXT,
  created_at TEXT NOT NULL,
  last_sign_in_at TEXT,
  PRIMARY KEY (provider, subject),
  CHECK ((did IS NULL) <> (claim_id IS NULL))
);
-- One identity per provider on an account: "link the other provider".
CREATE UNIQUE INDEX linked_identity_account ON linked_identity (did, provider);

-- Web-page sessions. The cookie holds a random token; only its SHA-256 is
-- kept, so a copy of the database does not sign anyone in. `id` is the
-- public name used to list and revoke a session.
CREATE TABLE web_session (
  id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  did TEXT NOT NULL REFERENCES account(did) ON DELETE CASCADE,
  via TEXT NOT NULL,                  -- 'github', 'google' or 'password'
  user_agent TEXT,
  created_at INTEGER NOT NULL,        -- ms since epoch
  last_seen_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX web_session_did ON web_session (did);

-- Sign-ins in flight: the `state` sent to the provider, the browser that
-- started it (SHA-256 of a cookie), Google's PKCE verifier and nonce, and
-- the account being linked when a signed-in person adds a provider. Each row
-- is deleted when it is used, so a state is accepted once.
CREATE TABLE oauth_state (
  state TEXT PRIMARY KEY,
  provider TEXT NOT NULL,
  browser_hash TEXT NOT NULL,
  code_verifier TEXT,
  nonce TEXT,
  link_did TEXT REFERENCES account(did) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL         -- ms since epoch
);
CREATE INDEX oauth_state_expiry ON oauth_state (expires_at);
