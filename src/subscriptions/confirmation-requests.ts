import type { Clock } from '../shared/clock';
import type { SubscriberRepository } from './subscriber-repository';
import type { SubscriptionMailQueue } from './subscription-mail-queue';

/**
 * Queues a confirmation email for a pending subscriber, at most once per resend interval whatever
 * the number of signups, resend requests or manage requests: the guard against list bombing.
 */
export class ConfirmationRequests {
  constructor(
    private readonly deps: {
      repository: SubscriberRepository;
      queue: SubscriptionMailQueue;
      clock: Clock;
      resendMinutes: number;
    },
  ) {}

  async request(subscriberId: number): Promise<boolean> {
    const now = this.deps.clock.now();
    const claimed = await this.deps.repository.claimConfirmationSlot(subscriberId, now, this.deps.resendMinutes * 60_000);
    if (!claimed) return false;
    await this.queueClaimed(subscriberId, now);
    return true;
  }

  /** For a slot taken elsewhere (a new signup takes it in its INSERT): queue, or give the slot back. */
  async queueClaimed(subscriberId: number, claimedAt: Date): Promise<void> {
    try {
      await this.deps.queue.confirmation(subscriberId);
    } catch (err) {
      await this.deps.repository.releaseConfirmationSlot(subscriberId, claimedAt);
      throw err;
    }
  }
}
