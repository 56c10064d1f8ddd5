-- Scopes and grants: which app may read which scopes of which account, the
-- access requests apps make, the inter-service tokens already used, and
-- a log of what each grant was used to read. Scope data itself lives in the
-- repository tables of 0001 (scope column).

-- A grant: `owner_did` lets `grantee_did` (an app) read the scopes listed in
-- scope_grant_scope until `expires_at` (ms since epoch; NULL: no end) or
-- until revoked. Deleting the account deletes its grants.
CREATE TABLE scope_grant (
  id TEXT PRIMARY KEY,                -- random, the public name of the grant
  owner_did TEXT NOT NULL REFERENCES account(did) ON DELETE CASCADE,
  grantee_did TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER,
  request_id TEXT                     -- the access request it answered, if any
);
CREATE INDEX scope_grant_owner ON scope_grant (owner_did, created_at);
CREATE INDEX scope_grant_grantee ON scope_grant (grantee_did);

CREATE TABLE scope_grant_scope (
  grant_id TEXT NOT NULL REFERENCES scope_grant(id) ON DELETE CASCADE,
  scope TEXT NOT NULL,
  PRIMARY KEY (grant_id, scope)
) WITHOUT ROWID;
CREATE INDEX scope_grant_scope_scope ON scope_grant_scope (scope);

-- An app's request for scopes. `owner_did` is the account asked; NULL until
-- someone decides when the app named no account. Status moves once, from
-- 'pending' to one of the others (an UPDATE … WHERE status = 'pending'), and
-- approved_scopes is a subset of requested_scopes (both JSON arrays).
CREATE TABLE access_request (
  id TEXT PRIMARY KEY,
  app_did TEXT NOT NULL,
  owner_did TEXT REFERENCES account(did) ON DELETE CASCADE,
  requested_scopes TEXT NOT NULL,
  reason TEXT NOT NULL,
  redirect_uri TEXT,
  status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'approved', 'denied', 'expired')),
  approved_scopes TEXT,
  grant_id TEXT REFERENCES scope_grant(id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  decided_at INTEGER,
  CHECK ((status = 'approved') = (approved_scopes IS NOT NULL))
);
CREATE INDEX access_request_owner ON access_request (owner_did, status);
CREATE INDEX access_request_app ON access_request (app_did, status);
CREATE INDEX access_request_pending ON access_request (status, expires_at);

-- Inter-service JWTs already accepted, by issuer and jti, kept until they
-- expire: a token is accepted once.
CREATE TABLE service_jwt_use (
  iss TEXT NOT NULL,
  jti TEXT NOT NULL,
  expires_at INTEGER NOT NULL,        -- seconds since epoch (the token's exp)
  PRIMARY KEY (iss, jti)
) WITHOUT ROWID;
CREATE INDEX service_jwt_use_expiry ON service_jwt_use (expires_at);

-- What each grant was used for: which app read which scope, when, how.
CREATE TABLE scope_read_log (
  id INTEGER PRIMARY KEY,
  grant_id TEXT NOT NULL REFERENCES scope_grant(id) ON DELETE CASCADE,
  app_did TEXT NOT NULL,
  owner_did TEXT NOT NULL,
  scope TEXT NOT NULL,
  method TEXT NOT NULL,               -- the XRPC method, or 'dev.hearth.scope.subscribe'
  detail TEXT,                        -- e.g. the rkey read, or the number of records listed
  read_at INTEGER NOT NULL            -- ms since epoch
);
CREATE INDEX scope_read_log_grant ON scope_read_log (grant_id, read_at);
CREATE INDEX scope_read_log_time ON scope_read_log (read_at);
