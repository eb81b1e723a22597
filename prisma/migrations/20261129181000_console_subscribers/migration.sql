-- Why an operator suppressed an address by hand ("Complained by phone"); null on an address that
-- bounces its way to suppression (HARD_BOUNCE_LIMIT), or that is not suppressed. Cleared with
-- the suppression.
ALTER TABLE "subscribers" ADD COLUMN "suppression_reason" VARCHAR(200);

-- The console's "Suppressed" filter, newest first: suppressed addresses are few (a few hundred in
-- a million), so without an index of their own the page walks the whole primary key to find 50 of
-- them (0.2 s at 1,000,000 with 500 suppressed; more with fewer). Partial, so it holds only those
-- rows and costs the signups and sends nothing. Prisma cannot declare a partial index: it lives
-- here only (see the comment on Subscriber in schema.prisma).
CREATE INDEX "subscribers_suppressed_id_idx" ON "subscribers"("id") WHERE "suppressed_at" IS NOT NULL;
