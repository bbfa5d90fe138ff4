-- A body received before the replay window no longer makes an identical one a duplicate: that
-- older row gives up its hash, and the new delivery is inserted after all.
UPDATE webhook_events SET body_sha256 = NULL WHERE id = @id;
