-- Job queue (src/jobs/): named leases for duties that one process at a time does (the
-- scheduler), and the index that lists dead jobs for the admin panel.
CREATE TABLE job_lease (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_ms BIGINT NOT NULL                -- UTC milliseconds
);

CREATE INDEX job_dead_idx ON job (updated_at, id) WHERE status = 'dead';
-- claims walk the due queued jobs in order (any queue) and stop at the first of theirs
CREATE INDEX job_due_idx ON job (run_at, id) WHERE status = 'queued';
