import type { Clock } from '../shared/clock';
import type { MailRequestWake } from './mail-request-relay';
import type { SubscriberRepository } from './subscriber-repository';

/**
 * Queues a confirmation email for a pending subscriber, at most once per resend interval whatever
 * the number of signups, resend requests or manage requests: the guard against list bombing.
 */
export class ConfirmationRequests {
  constructor(
    private readonly deps: {
      repository: SubscriberRepository;
      mailRequests: MailRequestWake;
      clock: Clock;
      resendMinutes: number;
    },
  ) {}

  /** The least time between two emails a stranger can trigger for one address (also manage links). */
  get resendAfterMs(): number {
    return this.deps.resendMinutes * 60_000;
  }

  async request(subscriberId: number): Promise<boolean> {
    const now = this.deps.clock.now();
    const queued = await this.deps.repository.requestConfirmation(subscriberId, now, this.resendAfterMs);
    if (queued) this.deps.mailRequests.wake();
    return queued;
  }
}
