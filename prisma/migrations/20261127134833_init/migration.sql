-- CreateEnum
CREATE TYPE "SubscriberStatus" AS ENUM ('pending', 'confirmed', 'unsubscribed');

-- CreateEnum
CREATE TYPE "Frequency" AS ENUM ('daily', 'weekly');

-- CreateEnum
CREATE TYPE "TokenPurpose" AS ENUM ('confirm', 'manage');

-- CreateEnum
CREATE TYPE "ConsentEvent" AS ENUM ('signup', 'confirmation', 'unsubscribe');

-- CreateEnum
CREATE TYPE "DigestStatus" AS ENUM ('sending', 'done');

-- CreateEnum
CREATE TYPE "DeliveryStatus" AS ENUM ('pending', 'sending', 'sent', 'failed', 'skipped');

-- CreateTable
CREATE TABLE "subscribers" (
    "id" SERIAL NOT NULL,
    "email" VARCHAR(254) NOT NULL,
    "name" VARCHAR(100),
    "status" "SubscriberStatus" NOT NULL DEFAULT 'pending',
    "frequency" "Frequency" NOT NULL DEFAULT 'daily',
    "confirmation_sent_at" TIMESTAMP(3),
    "confirmed_at" TIMESTAMP(3),
    "unsubscribed_at" TIMESTAMP(3),
    "hard_bounces" INTEGER NOT NULL DEFAULT 0,
    "suppressed_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "subscribers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "tokens" (
    "id" SERIAL NOT NULL,
    "subscriber_id" INTEGER NOT NULL,
    "purpose" "TokenPurpose" NOT NULL,
    "hash" CHAR(64) NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "used_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "consents" (
    "id" SERIAL NOT NULL,
    "subscriber_id" INTEGER NOT NULL,
    "event" "ConsentEvent" NOT NULL,
    "ip" VARCHAR(64),
    "user_agent" VARCHAR(512),
    "source" VARCHAR(100) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "consents_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "articles" (
    "id" SERIAL NOT NULL,
    "source_id" VARCHAR(1000) NOT NULL,
    "title" VARCHAR(500) NOT NULL,
    "url" VARCHAR(2000) NOT NULL,
    "summary" TEXT,
    "author" VARCHAR(200),
    "image_url" VARCHAR(2000),
    "published_at" TIMESTAMP(3) NOT NULL,
    "categories" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "articles_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "digests" (
    "id" SERIAL NOT NULL,
    "frequency" "Frequency" NOT NULL,
    "edition_at" TIMESTAMP(3) NOT NULL,
    "window_start" TIMESTAMP(3) NOT NULL,
    "window_end" TIMESTAMP(3) NOT NULL,
    "public_id" VARCHAR(32) NOT NULL,
    "subject" VARCHAR(300) NOT NULL,
    "html" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "article_ids" INTEGER[],
    "status" "DigestStatus" NOT NULL DEFAULT 'sending',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMP(3),

    CONSTRAINT "digests_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "deliveries" (
    "digest_id" INTEGER NOT NULL,
    "subscriber_id" INTEGER NOT NULL,
    "status" "DeliveryStatus" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lease_until" TIMESTAMP(3),
    "next_attempt_at" TIMESTAMP(3),
    "last_error" VARCHAR(1000),
    "message_id" VARCHAR(255),
    "sent_at" TIMESTAMP(3),

    CONSTRAINT "deliveries_pkey" PRIMARY KEY ("digest_id","subscriber_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "subscribers_email_key" ON "subscribers"("email");

-- CreateIndex
CREATE INDEX "subscribers_status_frequency_id_idx" ON "subscribers"("status", "frequency", "id");

-- CreateIndex
CREATE INDEX "subscribers_status_created_at_idx" ON "subscribers"("status", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "tokens_hash_key" ON "tokens"("hash");

-- CreateIndex
CREATE INDEX "tokens_subscriber_id_purpose_idx" ON "tokens"("subscriber_id", "purpose");

-- CreateIndex
CREATE INDEX "consents_subscriber_id_idx" ON "consents"("subscriber_id");

-- CreateIndex
CREATE UNIQUE INDEX "articles_source_id_key" ON "articles"("source_id");

-- CreateIndex
CREATE INDEX "articles_published_at_idx" ON "articles"("published_at");

-- CreateIndex
CREATE UNIQUE INDEX "digests_public_id_key" ON "digests"("public_id");

-- CreateIndex
CREATE INDEX "digests_frequency_window_end_idx" ON "digests"("frequency", "window_end");

-- CreateIndex
CREATE UNIQUE INDEX "digests_frequency_edition_at_key" ON "digests"("frequency", "edition_at");

-- CreateIndex
CREATE INDEX "deliveries_digest_id_status_subscriber_id_idx" ON "deliveries"("digest_id", "status", "subscriber_id");

-- AddForeignKey
ALTER TABLE "tokens" ADD CONSTRAINT "tokens_subscriber_id_fkey" FOREIGN KEY ("subscriber_id") REFERENCES "subscribers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "consents" ADD CONSTRAINT "consents_subscriber_id_fkey" FOREIGN KEY ("subscriber_id") REFERENCES "subscribers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_digest_id_fkey" FOREIGN KEY ("digest_id") REFERENCES "digests"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_subscriber_id_fkey" FOREIGN KEY ("subscriber_id") REFERENCES "subscribers"("id") ON DELETE CASCADE ON UPDATE CASCADE;
