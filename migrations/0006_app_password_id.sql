-- Every app password gets an id of its own, and sessions are bound to it:
-- revoking one and making another of the same name (even within the same
-- second) must not bring the old sessions back.
ALTER TABLE app_password ADD COLUMN id TEXT;
UPDATE app_password SET id = lower(hex(randomblob(16))) WHERE id IS NULL;
CREATE UNIQUE INDEX app_password_id ON app_password (id);
ALTER TABLE refresh_token ADD COLUMN app_password_id TEXT;
