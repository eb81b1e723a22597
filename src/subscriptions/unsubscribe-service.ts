import { AppError } from '../shared/errors';
import type { Clock } from '../shared/clock';
import type { ConfirmationRequests } from './confirmation-requests';
import type { ConsentContext, Subscriber, SubscriberRepository } from './subscriber-repository';

/**
 * Leaving and coming back through the signed link every email carries. Unsubscribing takes effect
 * at once; it also cancels a signup that was never confirmed.
 */
export class UnsubscribeService {
  constructor(
    private readonly deps: { repository: SubscriberRepository; confirmations: ConfirmationRequests; clock: Clock },
  ) {}

  async subscriber(id: number): Promise<Subscriber> {
    const subscriber = await this.deps.repository.findById(id);
    if (!subscriber) throw new AppError('NOT_FOUND', 'This subscription no longer exists');
    return subscriber;
  }

  async unsubscribe(id: number, consent: ConsentContext): Promise<void> {
    await this.subscriber(id);
    await this.deps.repository.unsubscribe(id, this.deps.clock.now(), consent);
  }

  /**
   * Someone who had confirmed before proves it again by holding the signed link: back at once.
   * A cancelled signup that was never confirmed goes through a fresh confirmation email.
   */
  async resubscribe(id: number, consent: ConsentContext): Promise<'confirmed' | 'pending'> {
    const subscriber = await this.subscriber(id);
    if (subscriber.status === 'confirmed') return 'confirmed';
    if (subscriber.confirmedAt && (await this.deps.repository.restoreConfirmed(id, consent))) return 'confirmed';
    await this.deps.repository.reopenSignup(id, consent);
    await this.deps.confirmations.request(id);
    return 'pending';
  }
}
