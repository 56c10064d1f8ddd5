-- Preferences a person's clients keep on their PDS (app.bsky.actor.putPreferences):
-- one row per preference object, in the order the client gave them. The
-- name is the object's $type, so a namespace is replaced without parsing JSON.
CREATE TABLE account_preference (
  did TEXT NOT NULL REFERENCES account(did) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (did, position)
) WITHOUT ROWID;
