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
