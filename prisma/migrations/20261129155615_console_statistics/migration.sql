-- AlterTable
ALTER TABLE "digests" ADD COLUMN     "recipients" INTEGER;

-- CreateTable
CREATE TABLE "console_statistics" (
    "name" VARCHAR(32) NOT NULL,
    "counted_at" TIMESTAMP(3) NOT NULL,
    "data" JSONB NOT NULL,

    CONSTRAINT "console_statistics_pkey" PRIMARY KEY ("name")
);

-- CreateIndex
CREATE INDEX "consents_event_created_at_idx" ON "consents"("event", "created_at");
