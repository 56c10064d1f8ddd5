-- Records by the commit that wrote them: read-after-write asks "which of my
-- records are newer than the rev the AppView has seen?" on proxied feed and
-- profile calls, which must not scan an account's whole record table.
CREATE INDEX record_by_rev ON record (did, scope, rev);
