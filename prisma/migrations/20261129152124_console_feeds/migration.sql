-- The console's title search (ILIKE '%words%') walks a trigram index. pg_trgm ships with PostgreSQL
-- (contrib) and the embedded one, and is a trusted extension: the database's owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- DropIndex
DROP INDEX "articles_published_at_idx";

-- AlterTable
ALTER TABLE "articles" ADD COLUMN     "feed_id" INTEGER;

-- CreateTable
CREATE TABLE "feeds" (
    "id" SERIAL NOT NULL,
    "url" VARCHAR(2000) NOT NULL,
    "paused_at" TIMESTAMP(3),
    "category_map" JSONB NOT NULL DEFAULT '[]',
    "breaking_categories" VARCHAR(50)[] DEFAULT ARRAY[]::VARCHAR(50)[],
    "last_polled_at" TIMESTAMP(3),
    "last_error" VARCHAR(500),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "feeds_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "feeds_url_key" ON "feeds"("url");

-- CreateIndex
CREATE INDEX "articles_published_at_id_idx" ON "articles"("published_at", "id");

-- CreateIndex
CREATE INDEX "articles_title_trgm_idx" ON "articles" USING GIN ("title" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "articles_feed_id_idx" ON "articles"("feed_id");

-- AddForeignKey
ALTER TABLE "articles" ADD CONSTRAINT "articles_feed_id_fkey" FOREIGN KEY ("feed_id") REFERENCES "feeds"("id") ON DELETE SET NULL ON UPDATE CASCADE;
