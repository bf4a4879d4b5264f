-- The mailing pipeline (src/jobs/mailing.c, docs/jobs.md). SQLite cannot change a CHECK
-- constraint, so pausing is a column, not a status: a paused mailing is 'sending' with
-- paused_at set.
ALTER TABLE mailing ADD COLUMN paused_at BIGINT;
-- when the scheduler last enqueued the fan-out (NULL after a resume: enqueue it again)
ALTER TABLE mailing ADD COLUMN dispatched_at BIGINT;
-- the last sign of life of a sender or of the fan-out: the scheduler dispatches again when
-- both this and dispatched_at are old (the work was lost)
ALTER TABLE mailing ADD COLUMN heartbeat_at BIGINT;
-- the fan-out's cursor: the highest customer id whose delivery row exists (or was skipped)
ALTER TABLE mailing ADD COLUMN fanout_cursor BIGINT NOT NULL DEFAULT 0;
-- when every recipient had its delivery row
ALTER TABLE mailing ADD COLUMN fanout_done_at BIGINT;

-- A sender claims pending rows before sending them: claimed_by is its token, claimed_until
-- (UTC ms) the end of the claim, which the sender renews while it works. A row whose claim
-- ran out (its sender died) is claimed again by another.
ALTER TABLE mailing_delivery ADD COLUMN claimed_by TEXT;
ALTER TABLE mailing_delivery ADD COLUMN claimed_until BIGINT;
-- a failed attempt (network, 5xx) is not tried again before this time (UTC ms)
ALTER TABLE mailing_delivery ADD COLUMN retry_at BIGINT NOT NULL DEFAULT 0;

-- claims walk a mailing's pending rows in customer order; the counters count by status
DROP INDEX mailing_delivery_status_idx;
CREATE INDEX mailing_delivery_status_idx ON mailing_delivery (mailing_id, status, customer_id);
CREATE INDEX mailing_delivery_claim_idx ON mailing_delivery (claimed_by)
    WHERE claimed_by IS NOT NULL;
