import { AppError } from '../shared/errors';
import type { Clock } from '../shared/clock';
import type { ConfirmationRequests } from './confirmation-requests';
import type { MailRequestWake } from './mail-request-relay';
import type { Subscriber, SubscriberRepository } from './subscriber-repository';
import type { Frequency } from '../shared/frequency';
import { hashToken, looksLikeToken } from './tokens';

/** Managing a subscription without a login: through the signed link, or a manage link by email. */
export class PreferencesService {
  constructor(
    private readonly deps: {
      repository: SubscriberRepository;
      confirmations: ConfirmationRequests;
      mailRequests: MailRequestWake;
      clock: Clock;
    },
  ) {}

  async subscriber(id: number): Promise<Subscriber> {
    const subscriber = await this.deps.repository.findById(id);
    if (!subscriber) throw new AppError('NOT_FOUND', 'This subscription no longer exists');
    return subscriber;
  }

  async setFrequency(id: number, frequency: Frequency): Promise<Subscriber> {
    await this.subscriber(id);
    await this.deps.repository.setFrequency(id, frequency);
    return this.subscriber(id);
  }

  /**
   * "Email me a link to manage my subscription". The caller answers the same whether or not the
   * address is known, and the database does the same work for every address (one statement): a
   * pending address gets its confirmation email again instead; both are throttled per address.
   */
  async requestManageLink(email: string): Promise<void> {
    const { now, resendBefore } = this.deps.confirmations.throttle();
    if (await this.deps.repository.requestManageLink(email, now, resendBefore)) this.deps.mailRequests.wake();
  }

  /** Whether a manage link can still be used. Reading it changes nothing (GET, mail scanners). */
  async canOpenManageLink(rawToken: unknown): Promise<boolean> {
    if (!looksLikeToken(rawToken)) return false;
    const token = await this.deps.repository.findToken(hashToken(rawToken), 'manage');
    return Boolean(token && !token.usedAt && token.expiresAt > this.deps.clock.now());
  }

  /**
   * Spends a manage link (it works once): the subscriber it stood for, or undefined when it is
   * unknown, used or expired. What it leads to, the signed preferences link, is the lasting access.
   */
  async openManageLink(rawToken: unknown): Promise<number | undefined> {
    if (!looksLikeToken(rawToken)) return undefined;
    return this.deps.repository.spendToken(hashToken(rawToken), 'manage', this.deps.clock.now());
  }
}
