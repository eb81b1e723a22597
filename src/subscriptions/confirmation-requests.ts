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

  /**
   * The per-address throttle of every email a stranger can trigger (confirmations, manage links):
   * the time of this request, and the time at or before which the last such email must have been
   * requested for another to go out.
   */
  throttle(): { now: Date; resendBefore: Date } {
    const now = this.deps.clock.now();
    return { now, resendBefore: new Date(now.getTime() - this.deps.resendMinutes * 60_000) };
  }

  async request(subscriberId: number): Promise<boolean> {
    const { now, resendBefore } = this.throttle();
    const queued = await this.deps.repository.requestConfirmation(subscriberId, now, resendBefore);
    if (queued) this.deps.mailRequests.wake();
    return queued;
  }
}
