-- Only one instance prunes at a time; the others skip this tick instead of queueing behind it.
SELECT pg_try_advisory_xact_lock(7262002);
