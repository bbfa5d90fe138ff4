-- Replays: the headers of a delivery are not signed, only its body. The same signed body sent again
-- under another delivery GUID, hook id or none is the same delivery while it is within the replay
-- window (an older row gives up its hash: release_body.sql). The service's own rows (heartbeats,
-- manual triggers) have none.
ALTER TABLE webhook_events ADD COLUMN body_sha256 TEXT;
CREATE UNIQUE INDEX webhook_events_body ON webhook_events (body_sha256) WHERE body_sha256 IS NOT NULL;
