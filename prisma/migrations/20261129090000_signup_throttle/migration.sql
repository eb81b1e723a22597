-- CreateTable
CREATE TABLE "manage_requests" (
    "address_hash" CHAR(64) NOT NULL,
    "requested_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "manage_requests_pkey" PRIMARY KEY ("address_hash")
);
