import { AppError } from '../shared/errors';
import type { Clock } from '../shared/clock';
import { ALL_NEWSLETTERS, type SubscriptionMetrics } from '../metrics/metrics';
import type { ConfirmationRequests } from './confirmation-requests';
import { choiceOf, type NewsletterChoice, type NewsletterLookup } from './newsletter-choices';
import type { ConsentContext, Subscriber, SubscriberRepository } from './subscriber-repository';
import type { SubscriptionRepository } from './subscription-repository';

/** What an unsubscribe link stands for, as its page shows it. */
export interface UnsubscribeView {
  subscriber: Subscriber;
  /** The newsletter of a scoped link (undefined: the link stands for the whole address). */
  newsletter?: NewsletterChoice;
  /** With a newsletter: whether the reader still holds it. */
  holds?: boolean;
}

/**
 * Leaving and coming back through the signed link every email carries. A link scoped to a
 * newsletter (every edition's) leaves that newsletter only; a link for the whole address (the
 * subscription emails', and every link sent before newsletters existed) unsubscribes from
 * everything. Both take effect at once; unsubscribing from everything also cancels a signup that
 * was never confirmed. The subscriptions are kept through "everything", so undo restores them.
 */
export class UnsubscribeService {
  constructor(
    private readonly deps: {
      repository: SubscriberRepository;
      subscriptions: SubscriptionRepository;
      newsletters: NewsletterLookup;
      confirmations: ConfirmationRequests;
      clock: Clock;
      metrics: Pick<SubscriptionMetrics, 'unsubscribe'>;
    },
  ) {}

  async subscriber(id: number): Promise<Subscriber> {
    const subscriber = await this.deps.repository.findById(id);
    if (!subscriber) throw new AppError('NOT_FOUND', 'This subscription no longer exists');
    return subscriber;
  }

  async view(id: number, newsletterId?: number): Promise<UnsubscribeView> {
    const subscriber = await this.subscriber(id);
    if (newsletterId === undefined) return { subscriber };
    const newsletter = await this.deps.newsletters.byId(newsletterId);
    if (!newsletter) return { subscriber };
    return { subscriber, newsletter: choiceOf(newsletter), holds: await this.deps.subscriptions.holds(id, newsletterId) };
  }

  /** Unsubscribe from everything: no email of any newsletter any more. */
  async unsubscribe(id: number, consent: ConsentContext): Promise<void> {
    await this.subscriber(id);
    if (await this.deps.repository.unsubscribe(id, this.deps.clock.now(), consent)) this.deps.metrics.unsubscribe(ALL_NEWSLETTERS);
  }

  /** Leaves one newsletter (its subscription is deleted); the others, and the address's status, stay. */
  async leave(id: number, newsletterId: number, consent: ConsentContext): Promise<void> {
    await this.subscriber(id);
    const { removed } = await this.deps.subscriptions.change(id, { remove: [newsletterId] }, consent);
    // Only a real leave counts (a second click on the same link changes nothing).
    const left = removed.length ? await this.deps.newsletters.byId(newsletterId) : null;
    if (left) this.deps.metrics.unsubscribe(left.slug);
  }

  /**
   * Undo, through the signed link. With a newsletter: that newsletter is held again. Someone who
   * had confirmed before proves it again by holding the link: back at once, with the newsletters
   * they kept. A cancelled signup that was never confirmed goes through a fresh confirmation email.
   */
  async resubscribe(id: number, consent: ConsentContext, newsletterId?: number): Promise<'confirmed' | 'pending'> {
    const subscriber = await this.subscriber(id);
    // Taking a newsletter back is a confirmed reader's act (only they receive editions and their
    // scoped links); a signup never confirmed comes back through a confirmation email instead.
    if (newsletterId !== undefined && subscriber.confirmedAt && (await this.deps.newsletters.byId(newsletterId))?.archivedAt === null) {
      await this.deps.subscriptions.change(id, { add: [newsletterId] }, consent);
    }
    if (subscriber.status === 'confirmed') return 'confirmed';
    if (subscriber.confirmedAt && (await this.deps.repository.restoreConfirmed(id, consent))) return 'confirmed';
    await this.deps.repository.reopenSignup(id, consent);
    await this.deps.confirmations.request(id);
    return 'pending';
  }
}
