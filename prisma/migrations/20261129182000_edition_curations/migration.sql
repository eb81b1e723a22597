-- CreateTable
CREATE TABLE "edition_curations" (
    "newsletter_id" INTEGER NOT NULL,
    "article_order" INTEGER[],
    "pinned" INTEGER[],
    "dropped" INTEGER[],
    "note" VARCHAR(500) NOT NULL DEFAULT '',
    "version" SERIAL NOT NULL,
    "updated_by" INTEGER,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "edition_curations_pkey" PRIMARY KEY ("newsletter_id")
);

-- AddForeignKey
ALTER TABLE "edition_curations" ADD CONSTRAINT "edition_curations_newsletter_id_fkey" FOREIGN KEY ("newsletter_id") REFERENCES "newsletters"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "edition_curations" ADD CONSTRAINT "edition_curations_updated_by_fkey" FOREIGN KEY ("updated_by") REFERENCES "admin_users"("id") ON DELETE SET NULL ON UPDATE CASCADE;
