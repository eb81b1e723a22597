import type { Clock } from '../shared/clock';
import type { SubscriptionMetrics } from '../metrics/metrics';
import type { ConfirmationRequests } from './confirmation-requests';
import type { MailRequestWake } from './mail-request-relay';
import type { ConsentContext, SubscriberRepository } from './subscriber-repository';
import { hashToken, looksLikeToken } from '../shared/secret-tokens';

/** What a confirmation link is worth right now. */
export type LinkState = 'ready' | 'already-confirmed' | 'expired' | 'unknown';

export interface ConfirmResult {
  state: Exclude<LinkState, 'ready'> | 'confirmed';
  /** Only with 'confirmed': the one answer that may carry the subscriber's permanent links. */
  subscriberId?: number;
}

/**
 * How long a spent confirmation link still answers "already confirmed" (a double click, the back
 * button, a second device) instead of "expired". That answer carries no links: only the POST that
 * confirms shows the permanent preferences and unsubscribe links, so an old email cannot be turned
 * into access to the subscription.
 */
export const CONFIRMATION_REUSE_GRACE_MS = 10 * 60_000;

/** The second half of double opt-in: the link from the confirmation email. */
export class ConfirmationService {
  constructor(
    private readonly deps: {
      repository: SubscriberRepository;
      confirmations: ConfirmationRequests;
      mailRequests: MailRequestWake;
      clock: Clock;
      metrics: Pick<SubscriptionMetrics, 'confirmation'>;
    },
  ) {}

  /** For GET: reads only. Mail scanners open links; nothing may change until the POST. */
  async inspect(rawToken: unknown): Promise<{ state: LinkState; subscriberId?: number }> {
    if (!looksLikeToken(rawToken)) return { state: 'unknown' };
    const token = await this.deps.repository.findToken(hashToken(rawToken), 'confirm');
    if (!token) return { state: 'unknown' };
    const now = this.deps.clock.now();
    if (token.expiresAt <= now) return { state: 'expired' };
    if (token.usedAt) {
      const recent = now.getTime() - token.usedAt.getTime() < CONFIRMATION_REUSE_GRACE_MS;
      return { state: recent && token.subscriber.status === 'confirmed' ? 'already-confirmed' : 'expired' };
    }
    // Confirmed through another of its confirmation emails.
    if (token.subscriber.status === 'confirmed') return { state: 'already-confirmed' };
    if (token.subscriber.status !== 'pending') return { state: 'unknown' };
    return { state: 'ready', subscriberId: token.subscriberId };
  }

  async confirm(rawToken: unknown, consent: ConsentContext): Promise<ConfirmResult> {
    const seen = await this.inspect(rawToken);
    if (seen.state !== 'ready') return { state: seen.state };
    const token = await this.deps.repository.findToken(hashToken(rawToken as string), 'confirm');
    if (!token) return { state: 'unknown' };
    const changed = await this.deps.repository.confirm(token.subscriberId, token.id, this.deps.clock.now(), consent);
    if (!changed) return { state: 'already-confirmed' };
    this.deps.metrics.confirmation();
    this.deps.mailRequests.wake();
    return { state: 'confirmed', subscriberId: token.subscriberId };
  }

  /** "Send me a new link" from an expired or unknown link: only a pending address gets one. */
  async resend(email: string): Promise<void> {
    const subscriber = await this.deps.repository.findByEmail(email);
    if (subscriber?.status === 'pending') await this.deps.confirmations.request(subscriber.id);
  }
}
