-- AlterEnum
ALTER TYPE "ConsentEvent" ADD VALUE 'complaint';

-- CreateEnum
CREATE TYPE "BounceType" AS ENUM ('hard', 'soft', 'complaint');

-- CreateEnum
CREATE TYPE "BounceProvider" AS ENUM ('generic', 'ses', 'postmark', 'mailgun', 'sendgrid');

-- CreateTable
CREATE TABLE "bounce_reports" (
    "id" BIGSERIAL NOT NULL,
    "provider" "BounceProvider" NOT NULL,
    "event_key" CHAR(64) NOT NULL,
    "provider_event_id" VARCHAR(255),
    "type" "BounceType" NOT NULL,
    "subscriber_id" INTEGER,
    "address_hash" CHAR(64),
    "digest_id" INTEGER,
    "reason" VARCHAR(500),
    "received_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "bounce_reports_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_nonces" (
    "nonce_hash" CHAR(64) NOT NULL,
    "provider" "BounceProvider" NOT NULL,
    "seen_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "webhook_nonces_pkey" PRIMARY KEY ("nonce_hash")
);

-- CreateIndex
CREATE UNIQUE INDEX "bounce_reports_event_key_key" ON "bounce_reports"("event_key");

-- CreateIndex
CREATE INDEX "bounce_reports_subscriber_id_type_received_at_idx" ON "bounce_reports"("subscriber_id", "type", "received_at");

-- CreateIndex
CREATE INDEX "webhook_nonces_seen_at_idx" ON "webhook_nonces"("seen_at");

-- AddForeignKey
ALTER TABLE "bounce_reports" ADD CONSTRAINT "bounce_reports_subscriber_id_fkey" FOREIGN KEY ("subscriber_id") REFERENCES "subscribers"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "bounce_reports" ADD CONSTRAINT "bounce_reports_digest_id_fkey" FOREIGN KEY ("digest_id") REFERENCES "digests"("id") ON DELETE SET NULL ON UPDATE CASCADE;
