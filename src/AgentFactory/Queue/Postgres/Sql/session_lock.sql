-- One instance at a time for a periodic chore; held by this session until session_unlock (or disconnect).
SELECT pg_try_advisory_lock(@key);
