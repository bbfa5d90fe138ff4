-- Before a transaction inserts jobs with concurrency keys: one transaction-scoped lock per (job type, key),
-- taken in a single order so two transactions never wait on each other in a cycle. Under it, the skip and
-- supersede look-ups see every committed job of the key, and one key's jobs commit in id order. The
-- two-integer form is its own lock space, apart from the single-key locks of TryRunExclusiveAsync.
SELECT count(*) FROM (
    SELECT pg_advisory_xact_lock(1095124014, k)
    FROM (SELECT DISTINCT hashtext(t) AS k FROM unnest(@keys::text[]) AS t ORDER BY k) AS ordered) AS locked;
