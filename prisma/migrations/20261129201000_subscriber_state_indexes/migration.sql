-- The console's Subscribers list filtered by a state and a newsletter that share few readers: with
-- only the primary key and the address's unique index, PostgreSQL walked every subscriber (newest
-- first) or every address of the prefix (a search) to find the state's rows, 430 ms and 585-636 ms
-- at 1,000,000 subscribers when none matched. These walk only the state's rows, in the page's
-- order: 116-165 ms and 100-195 ms (docs/benchmarks.md, "Subscribers pages"). Two more entries per
-- subscriber written; a signup pays microseconds.
CREATE INDEX "subscribers_status_id_idx" ON "subscribers"("status", "id");

CREATE INDEX "subscribers_status_email_idx" ON "subscribers"("status", "email");
