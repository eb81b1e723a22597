#!/usr/bin/env bash
# Hands one bounce or complaint message (on stdin) to Bulletin's raw door, signed.
#
#   bounce-pipe.sh [ENVELOPE_RECIPIENT]
#
# For a Postfix pipe(8) transport (argv=... ${recipient}) or a mailbox fetcher (fetchmail's mda,
# getmail's MDA_external). ENVELOPE_RECIPIENT is the address the MTA delivered the message to: the
# VERP return path (bounces+<delivery>@news.example) that names the delivery.
#
# Settings, from the environment or from the file in BULLETIN_BOUNCE_PIPE_ENV
# (default /etc/bulletin/bounce-pipe.env; Postfix passes its pipes no environment):
#   BULLETIN_URL        https://news.example (the service's base URL)
#   BOUNCE_RAW_SECRET   the service's BOUNCE_RAW_SECRET
#
# Exit status as sysexits(3), which Postfix and fetchers read: 0 taken (or ignored by Bulletin:
# an auto-reply, a delay), 75 try again later (Bulletin unreachable, 5xx, 429, or a 401/404 that an
# operator must fix: the message waits in the queue meanwhile), 65 a message Bulletin will never
# take (400, 413: Postfix returns it to the postmaster).
set -uo pipefail

envfile="${BULLETIN_BOUNCE_PIPE_ENV:-/etc/bulletin/bounce-pipe.env}"
# shellcheck disable=SC1090
[ -r "$envfile" ] && . "$envfile"
: "${BULLETIN_URL:?BULLETIN_URL is not set}"
: "${BOUNCE_RAW_SECRET:?BOUNCE_RAW_SECRET is not set}"

recipient="${1:-}"
case "$recipient" in *[[:space:]]* | *[[:cntrl:]]*) echo "bounce-pipe: odd recipient" >&2; exit 65 ;; esac

message=$(mktemp) || exit 75
answer=$(mktemp) || exit 75
trap 'rm -f "$message" "$answer"' EXIT
cat > "$message" || exit 75

ts=$(date +%s)
# HMAC-SHA256 of "<timestamp>.<envelope recipient>.<message bytes>", as src/bounces/providers/raw.ts checks it.
sig=$({ printf '%s.%s.' "$ts" "$recipient"; cat "$message"; } | openssl dgst -sha256 -hmac "$BOUNCE_RAW_SECRET" -r | cut -d' ' -f1)

status=$(curl --silent --show-error --output "$answer" --write-out '%{http_code}' --max-time 60 \
  -X POST "${BULLETIN_URL%/}/webhooks/bounces/raw" \
  -H 'Content-Type: message/rfc822' \
  -H "X-Bulletin-Timestamp: $ts" \
  -H "X-Bulletin-Signature: sha256=$sig" \
  -H "X-Bulletin-Envelope-To: $recipient" \
  --data-binary @"$message") || exit 75

# Bulletin's answer goes to Postfix's log (it logs a pipe's output when the status is not 0).
case "$status" in
  2??) exit 0 ;;
  400 | 413) echo "bounce-pipe: Bulletin refused the message ($status): $(head -c 500 "$answer")" >&2; exit 65 ;;
  *) echo "bounce-pipe: Bulletin answered $status: $(head -c 500 "$answer"); try again later" >&2; exit 75 ;;
esac
