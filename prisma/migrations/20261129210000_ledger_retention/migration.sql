-- Ledger retention (LEDGER_KEEP_DAYS): a finished edition sheds its 'sent' delivery rows after the
-- setting's days and keeps its failed and skipped ones; its progress counts stay right because sent is
-- counted as recipients minus the other states. `shed_at` says when, so the console and the API can
-- tell the operator why the edition lists fewer rows. Null: nothing shed (yet).
ALTER TABLE "digests" ADD COLUMN "shed_at" TIMESTAMP(3);
