SELECT count(*) FROM schema_migrations;
