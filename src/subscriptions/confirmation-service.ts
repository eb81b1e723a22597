import type { Clock } from '../shared/clock';
import type { ConfirmationRequests } from './confirmation-requests';
import type { MailRequestWake } from './mail-request-relay';
import type { ConsentContext, SubscriberRepository } from './subscriber-repository';
import { hashToken, looksLikeToken } from './tokens';

/** What a confirmation link is worth right now. */
export type LinkState = 'ready' | 'already-confirmed' | 'expired' | 'unknown';

export interface ConfirmResult {
  state: Exclude<LinkState, 'ready'> | 'confirmed';
  subscriberId?: number;
}

/** The second half of double opt-in: the link from the confirmation email. */
export class ConfirmationService {
  constructor(
    private readonly deps: {
      repository: SubscriberRepository;
      confirmations: ConfirmationRequests;
      mailRequests: MailRequestWake;
      clock: Clock;
    },
  ) {}

  /** For GET: reads only. Mail scanners open links; nothing may change until the POST. */
  async inspect(rawToken: unknown): Promise<{ state: LinkState; subscriberId?: number }> {
    if (!looksLikeToken(rawToken)) return { state: 'unknown' };
    const token = await this.deps.repository.findToken(hashToken(rawToken), 'confirm');
    if (!token) return { state: 'unknown' };
    const subscriberId = token.subscriberId;
    if (token.subscriber.status === 'confirmed') return { state: 'already-confirmed', subscriberId };
    if (token.usedAt || token.subscriber.status !== 'pending') return { state: 'unknown' };
    if (token.expiresAt <= this.deps.clock.now()) return { state: 'expired' };
    return { state: 'ready', subscriberId };
  }

  async confirm(rawToken: unknown, consent: ConsentContext): Promise<ConfirmResult> {
    const seen = await this.inspect(rawToken);
    if (seen.state !== 'ready') return { state: seen.state, subscriberId: seen.subscriberId };
    const token = await this.deps.repository.findToken(hashToken(rawToken as string), 'confirm');
    if (!token) return { state: 'unknown' };
    const changed = await this.deps.repository.confirm(token.subscriberId, token.id, this.deps.clock.now(), consent);
    if (!changed) return { state: 'already-confirmed', subscriberId: token.subscriberId };
    this.deps.mailRequests.wake();
    return { state: 'confirmed', subscriberId: token.subscriberId };
  }

  /** "Send me a new link" from an expired or unknown link: only a pending address gets one. */
  async resend(email: string): Promise<void> {
    const subscriber = await this.deps.repository.findByEmail(email);
    if (subscriber?.status === 'pending') await this.deps.confirmations.request(subscriber.id);
  }
}
