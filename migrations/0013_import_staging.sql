-- importRepo stages the blocks of the CAR it reads here, as they arrive,
-- instead of holding them in memory: the repository is verified from this
-- table, then the blocks it keeps are copied into repo_block in the one
-- transaction that replaces the account's repository. Rows belong to one
-- import (a random id) and are deleted when it ends, whatever the outcome;
-- rows left by a process that was killed mid-import are deleted at the next
-- start. Nothing here is ever visible as part of a repository.
CREATE TABLE import_staged_block (
  import_id TEXT NOT NULL,
  cid BLOB NOT NULL,                   -- binary CID, as in repo_block
  content BLOB NOT NULL,
  UNIQUE (import_id, cid)
);
