-- Fast recovery after a sender dies (issue 14.4). Each running sender has a row here and beats
-- (heartbeat_at = the database's now()) every few seconds; a claimed delivery names its sender, so
-- the rows of a sender whose beat stopped are taken over within seconds instead of waiting for
-- their lease (which stays, as a backstop).
CREATE TABLE "senders" (
    "id" SERIAL NOT NULL,
    "started_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeat_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "senders_pkey" PRIMARY KEY ("id")
);

ALTER TABLE "deliveries" ADD COLUMN "claimed_by" INTEGER;
