-- Newsletters become first-class: an operator creates them (digests on a schedule, breaking-news
-- alerts), a subscriber holds one subscription per newsletter, an edition belongs to a newsletter.
-- Today's data is carried over: the two frequencies become the newsletters `daily` and `weekly`
-- (on the schedules that were the defaults; DIGEST_DAILY_CRON and friends, when set, still apply
-- to them at start), each subscriber's frequency becomes a subscription, each digest an edition of
-- its newsletter. Consents, tokens and the delivery ledger are untouched.

-- CreateEnum
CREATE TYPE "NewsletterKind" AS ENUM ('digest', 'alert');

-- CreateTable
CREATE TABLE "newsletters" (
    "id" SERIAL NOT NULL,
    "slug" VARCHAR(64) NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "description" VARCHAR(500) NOT NULL DEFAULT '',
    "kind" "NewsletterKind" NOT NULL DEFAULT 'digest',
    "cron" VARCHAR(100),
    "time_zone" VARCHAR(64) NOT NULL DEFAULT 'UTC',
    "max_articles" INTEGER NOT NULL DEFAULT 20,
    "categories" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "offered" BOOLEAN NOT NULL DEFAULT true,
    "position" INTEGER NOT NULL DEFAULT 0,
    "public_archive" BOOLEAN NOT NULL DEFAULT true,
    "from_name" VARCHAR(100),
    "reply_to" VARCHAR(254),
    "archived_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "newsletters_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "newsletters_slug_key" ON "newsletters"("slug");

-- The two newsletters that were the frequencies, on the schedules that were their defaults.
INSERT INTO "newsletters" ("slug", "name", "description", "kind", "cron", "time_zone", "max_articles", "position", "updated_at")
VALUES ('daily', 'Daily', 'The day''s most important stories, every morning.', 'digest', '0 7 * * *', 'UTC', 20, 1, CURRENT_TIMESTAMP),
       ('weekly', 'Weekly', 'The week''s best stories in one email, every Monday.', 'digest', '0 7 * * 1', 'UTC', 20, 2, CURRENT_TIMESTAMP);

-- CreateTable
CREATE TABLE "subscriptions" (
    "subscriber_id" INTEGER NOT NULL,
    "newsletter_id" INTEGER NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "subscriptions_pkey" PRIMARY KEY ("subscriber_id","newsletter_id")
);

-- Each subscriber's frequency becomes their subscription, whatever their status (an unsubscribed
-- reader who comes back through their link finds the newsletter they had).
INSERT INTO "subscriptions" ("subscriber_id", "newsletter_id", "created_at")
SELECT s."id", n."id", s."created_at" FROM "subscribers" s JOIN "newsletters" n ON n."slug" = s."frequency"::text;

-- CreateIndex
CREATE INDEX "subscriptions_newsletter_id_subscriber_id_idx" ON "subscriptions"("newsletter_id", "subscriber_id");

-- Each digest becomes an edition of its frequency's newsletter; its slot becomes its key.
ALTER TABLE "digests" ADD COLUMN "edition_key" VARCHAR(64), ADD COLUMN "newsletter_id" INTEGER;
UPDATE "digests" g
   SET "newsletter_id" = n."id",
       "edition_key" = 'slot:' || to_char(g."edition_at", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
  FROM "newsletters" n WHERE n."slug" = g."frequency"::text;
ALTER TABLE "digests" ALTER COLUMN "edition_key" SET NOT NULL, ALTER COLUMN "newsletter_id" SET NOT NULL;

-- DropIndex
DROP INDEX "digests_frequency_edition_at_key";
DROP INDEX "digests_frequency_window_end_idx";
DROP INDEX "subscribers_status_frequency_id_idx";

-- AlterTable
ALTER TABLE "digests" DROP COLUMN "frequency";
ALTER TABLE "subscribers" DROP COLUMN "frequency";

-- DropEnum
DROP TYPE "Frequency";

-- AlterTable
ALTER TABLE "articles" ADD COLUMN "breaking" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable: events recorded so far were about the address as a whole (null).
ALTER TABLE "consents" ADD COLUMN "newsletter_id" INTEGER;

-- CreateIndex
CREATE INDEX "digests_newsletter_id_edition_at_idx" ON "digests"("newsletter_id", "edition_at");
CREATE UNIQUE INDEX "digests_newsletter_id_edition_key_key" ON "digests"("newsletter_id", "edition_key");

-- AddForeignKey
ALTER TABLE "consents" ADD CONSTRAINT "consents_newsletter_id_fkey" FOREIGN KEY ("newsletter_id") REFERENCES "newsletters"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "digests" ADD CONSTRAINT "digests_newsletter_id_fkey" FOREIGN KEY ("newsletter_id") REFERENCES "newsletters"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_subscriber_id_fkey" FOREIGN KEY ("subscriber_id") REFERENCES "subscribers"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_newsletter_id_fkey" FOREIGN KEY ("newsletter_id") REFERENCES "newsletters"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
