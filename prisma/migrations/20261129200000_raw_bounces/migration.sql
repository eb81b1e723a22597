-- Reports from whole bounce and complaint messages (RFC 3464 DSN, RFC 5965 ARF) posted to
-- POST /webhooks/bounces/raw by a Postfix pipe or a mailbox fetcher.
ALTER TYPE "BounceProvider" ADD VALUE 'raw';
