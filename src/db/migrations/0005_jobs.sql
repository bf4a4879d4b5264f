-- Job queue (src/jobs/): named leases for duties that one process at a time does (the
-- scheduler), and the index that lists dead jobs for the admin panel.
CREATE TABLE job_lease (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_ms BIGINT NOT NULL                -- UTC milliseconds
);

CREATE INDEX job_dead_idx ON job (updated_at, id) WHERE status = 'dead';
