-- DPoP proofs already taken (src/oauth/dpop-jti-store.ts): a proof replayed
-- after a restart, inside the minute it could still pass, is refused too.
-- Keyed by the proof key's thumbprint and the proof's jti; rows go once
-- expires_at (ms) is past.
CREATE TABLE dpop_jti (
  key TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX dpop_jti_by_expiry ON dpop_jti (expires_at);
