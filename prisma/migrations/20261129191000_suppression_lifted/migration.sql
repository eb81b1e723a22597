-- When an operator last lifted the address's suppression: soft bounces reported before it no longer
-- count towards BOUNCE_SOFT_LIMIT (an unsuppressed address starts over, as its hard_bounces do).
ALTER TABLE "subscribers" ADD COLUMN "suppression_lifted_at" TIMESTAMP(3);
