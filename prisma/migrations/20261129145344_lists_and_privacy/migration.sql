-- AlterEnum
ALTER TYPE "ConsentEvent" ADD VALUE 'import';

-- DropForeignKey
ALTER TABLE "deliveries" DROP CONSTRAINT "deliveries_subscriber_id_fkey";

-- AlterTable
ALTER TABLE "consents" ADD COLUMN     "statement_id" INTEGER;

-- CreateTable
CREATE TABLE "consent_statements" (
    "id" SERIAL NOT NULL,
    "statement" VARCHAR(2000) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "consent_statements_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "erased_addresses" (
    "address_hash" CHAR(64) NOT NULL,
    "erased_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "erased_addresses_pkey" PRIMARY KEY ("address_hash")
);

-- CreateTable
CREATE TABLE "erasure_salt" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "salt" CHAR(64) NOT NULL,

    CONSTRAINT "erasure_salt_pkey" PRIMARY KEY ("id")
);

-- Addresses compare byte by byte: the unique index on email then serves a prefix lookup
-- (LIKE 'ann%') whatever the database's default collation. Addresses are stored lower case, so
-- nothing else changes: equality is the same, and only the order of a sort by address is bytewise.
-- No table rewrite (the type is the same); the unique index is rebuilt.
ALTER TABLE "subscribers" ALTER COLUMN "email" TYPE VARCHAR(254) COLLATE "C";

-- AddForeignKey
ALTER TABLE "consents" ADD CONSTRAINT "consents_statement_id_fkey" FOREIGN KEY ("statement_id") REFERENCES "consent_statements"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
