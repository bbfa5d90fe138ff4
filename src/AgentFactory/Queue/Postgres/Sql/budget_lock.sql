-- Serializes check-and-reserve per key (a job, a repository's day) until the transaction ends, across instances.
SELECT pg_advisory_xact_lock(7262005, hashtext(@key));
