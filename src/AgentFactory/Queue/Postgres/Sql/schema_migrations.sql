-- Run at the start of every migration, inside its transaction. The advisory lock (released at
-- commit) makes instances that start together apply the migrations one after the other; each
-- then sees what the previous one recorded and skips it.
SELECT pg_advisory_xact_lock(7262001);
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
