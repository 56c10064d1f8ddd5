-- The owner's activity page lists the newest reads of all their scopes at once.
CREATE INDEX scope_read_log_owner ON scope_read_log (owner_did, id);
