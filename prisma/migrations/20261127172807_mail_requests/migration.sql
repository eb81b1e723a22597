-- CreateEnum
CREATE TYPE "MailRequestKind" AS ENUM ('confirmation', 'welcome', 'manage_link');

-- CreateTable
CREATE TABLE "mail_requests" (
    "id" BIGSERIAL NOT NULL,
    "kind" "MailRequestKind" NOT NULL,
    "subscriber_id" INTEGER NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "mail_requests_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "mail_requests_subscriber_id_idx" ON "mail_requests"("subscriber_id");

-- AddForeignKey
ALTER TABLE "mail_requests" ADD CONSTRAINT "mail_requests_subscriber_id_fkey" FOREIGN KEY ("subscriber_id") REFERENCES "subscribers"("id") ON DELETE CASCADE ON UPDATE CASCADE;
