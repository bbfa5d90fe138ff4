-- Run in the claim's transaction, just before claim.sql: the claim must walk agent_jobs_claim in order and
-- stop at its LIMIT. With statistics from a quieter time (a fresh table, or a burst since the last
-- ANALYZE) the planner expects a few pending rows and picks a bitmap scan of all of them, probing each
-- (two probes a row for a serialize key) and sorting before the LIMIT: 85 ms a claim at 20,000 pending
-- instead of 0.7 ms. Taking the sort off the menu for this one statement leaves the ordered index walk.
SET LOCAL enable_sort = off;
