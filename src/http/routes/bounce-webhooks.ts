import express, { Router, type Request, type Response } from 'express';
import type { WebhookRequest } from '../../bounces/bounce-report';
import type { BounceReports, ReportOutcome } from '../../bounces/bounce-reports';
import type { BounceDoors } from '../../bounces/create-bounces';
import { parseGeneric, verifyGeneric } from '../../bounces/providers/generic';
import { parseMailgun, verifyMailgun } from '../../bounces/providers/mailgun';
import { parsePostmark, verifyPostmark } from '../../bounces/providers/postmark';
import { parseRaw, verifyRaw } from '../../bounces/providers/raw';
import { parseSendGrid, verifySendGrid } from '../../bounces/providers/sendgrid';
import { parseSes } from '../../bounces/providers/ses';
import type { Clock } from '../../shared/clock';
import { AppError } from '../../shared/errors';
import { limitPerIp, type FixedWindowRateLimiter } from '../rate-limit';

export interface BounceWebhookDeps {
  reports: BounceReports;
  doors: BounceDoors;
  clock: Clock;
  limiter: FixedWindowRateLimiter;
}

/**
 * The largest body taken: a SendGrid batch of events, an SNS message (at most 256 KB), or a raw
 * bounce message (a DSN returns the original's headers or, at most, the whole 40-100 KB edition).
 */
export const WEBHOOK_BODY_LIMIT = '1mb';

/**
 * The doors through which relays report bounces and complaints (src/bounces does the work). Each
 * reads its body as bytes, since signatures cover the bytes: this router is mounted before the
 * app's JSON parser. A door whose secret is not configured answers 404; a request that fails its
 * provider's check, 401; a signed body that cannot be read, 400; anything accepted, 200 (also
 * for an unknown address or an event that needs nothing, since providers retry anything else).
 */
export function bounceWebhooksRouter(deps: BounceWebhookDeps): Router {
  const router = Router();
  const { doors, reports, clock } = deps;
  const raw = express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT });
  const door = (path: string, open: unknown, handle: (request: WebhookRequest) => Promise<ReportOutcome[] | object>) =>
    router.post(path, limitPerIp(deps.limiter), (_req, _res, next) => next(open ? undefined : closed()), raw, async (req, res) => {
      answer(res, await handle(webhookRequest(req)));
    });

  door('/webhooks/bounces', doors.generic, async (request) => {
    verifyGeneric(request, doors.generic!.secret, clock.now());
    return reports.receiveAll([parseGeneric(request)]);
  });

  // A message that reports nothing to act on (an auto-reply, a delay, a bounce of no delivery of
  // ours) is answered 200 with the reason: a pipe that got an error would retry or bounce it again.
  door('/webhooks/bounces/raw', doors.raw, async (request) => {
    verifyRaw(request, doors.raw!.secret, clock.now());
    const { reports: found, ignored } = parseRaw(request, doors.raw!.references);
    if (!ignored) return reports.receiveAll(found);
    reports.ignored('raw', ignored);
    return { reports: 0, outcomes: {}, ignored };
  });

  door('/webhooks/bounces/ses', doors.ses, async (request) => {
    const message = await doors.ses!.verify(request);
    if (message.Type === 'SubscriptionConfirmation') {
      await doors.ses!.confirm(message);
      return { confirmed: true };
    }
    if (message.Type === 'UnsubscribeConfirmation') return { unsubscribed: true };
    return reports.receiveAll(parseSes(message));
  });

  door('/webhooks/bounces/postmark', doors.postmark, async (request) => {
    verifyPostmark(request, doors.postmark!.credentials);
    return reports.receiveAll(parsePostmark(request));
  });

  door('/webhooks/bounces/mailgun', doors.mailgun, async (request) => {
    const { body, nonce } = verifyMailgun(request, doors.mailgun!.signingKey, clock.now());
    const [report] = parseMailgun(body);
    if (!report) {
      await reports.spendNonce(nonce);
      return [];
    }
    return [await reports.receive(report, nonce)];
  });

  door('/webhooks/bounces/sendgrid', doors.sendgrid, async (request) => {
    verifySendGrid(request, doors.sendgrid!.publicKey, clock.now());
    return reports.receiveAll(parseSendGrid(request));
  });

  return router;
}

function closed(): AppError {
  return new AppError('NOT_FOUND', 'This webhook is not configured');
}

function webhookRequest(req: Request): WebhookRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value[0] : value;
  return { headers, body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0) };
}

/** What the reports did, counted (no address in the answer). */
function answer(res: Response, result: ReportOutcome[] | object): void {
  if (!Array.isArray(result)) {
    res.json(result);
    return;
  }
  const outcomes: Partial<Record<ReportOutcome, number>> = {};
  for (const outcome of result as ReportOutcome[]) outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  res.json({ reports: result.length, outcomes });
}
