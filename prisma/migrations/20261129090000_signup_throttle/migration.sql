-- AlterTable
ALTER TABLE "subscribers" ADD COLUMN     "manage_link_sent_at" TIMESTAMP(3);
