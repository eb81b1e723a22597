-- Editions made before `recipients` was kept (20261129155615) get it from their ledger, once: an
-- edition's progress then never counts its sent rows. That count chose a sequential scan of the
-- whole ledger per edition when most rows are "sent" (measured: 150 ms an edition at 900,000
-- deliveries, so 4 s for a page of editions), which no index can avoid. The ledger of an edition
-- is complete when it is composed, so the count is its size for ever.
UPDATE "digests" g
   SET "recipients" = c.n
  FROM (SELECT "digest_id", count(*)::int AS n FROM "deliveries" GROUP BY "digest_id") c
 WHERE g."recipients" IS NULL AND c."digest_id" = g."id";

-- An edition with no ledger row at all (none is made so, but an old database may hold one).
UPDATE "digests" SET "recipients" = 0 WHERE "recipients" IS NULL;
