-- Confirmation codes for PLC operations Hearth signs when an account moves
-- away (com.atproto.identity.signPlcOperation). The code is shown to the
-- signed-in person once, on the "Move your account" page; only its hash is
-- kept. One live code per account: making a new one replaces the old.
CREATE TABLE plc_operation_token (
  did TEXT PRIMARY KEY REFERENCES account(did) ON DELETE CASCADE,
  token_hash TEXT NOT NULL,
  expires_at INTEGER NOT NULL,   -- Unix milliseconds
  created_at TEXT NOT NULL
) WITHOUT ROWID;
