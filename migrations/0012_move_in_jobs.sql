-- Moves into this server started on the web page (/account/move/in): one
-- row per move, so a move cut short by a restart can be resumed from the
-- page. The old account's password is never here: it lives only in the
-- server's memory while the move runs, and a resumed move asks for it again.
-- A move belongs to the browser that started it (the hash of its browser
-- cookie), until it hands the person a web session for the moved account.
CREATE TABLE move_in_job (
  id TEXT PRIMARY KEY,                 -- random, in the page's URL
  browser_hash TEXT NOT NULL,          -- sha256 of the browser cookie that started it
  old_service TEXT NOT NULL,           -- the old PDS's URL
  old_identifier TEXT NOT NULL,        -- the handle (or DID) the person signed in there with
  new_handle TEXT NOT NULL,
  did TEXT,                            -- known once signed in to the old server
  state TEXT NOT NULL,                 -- running | needs-code | done | failed
  message TEXT,                        -- why it failed, or what is left
  signed_in INTEGER NOT NULL DEFAULT 0, -- 1 once the browser got its web session for the moved account
  created_at INTEGER NOT NULL,         -- Unix milliseconds
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX move_in_job_did ON move_in_job (did);
