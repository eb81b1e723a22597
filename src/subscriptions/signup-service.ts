import type { SubscriptionMetrics } from '../metrics/metrics';
import type { ConfirmationRequests } from './confirmation-requests';
import type { MailRequestWake } from './mail-request-relay';
import type { ConsentContext, SubscriberRepository } from './subscriber-repository';

export interface SignupInput {
  email: string;
  name?: string;
  /** The active newsletters asked for (NewsletterChoices.resolve); at least one. */
  newsletters: ReadonlyArray<{ id: number; slug: string }>;
}

/**
 * A signup. The caller answers the same way whatever happens here, and new, pending, confirmed and
 * unsubscribed addresses cost the same one statement, so neither the answer nor its time tells
 * them apart (no enumeration). Only a new address takes the name given: anyone can type someone
 * else's address, so an existing subscriber's name changes only through links sent to their
 * mailbox. What a signup can do to an existing address is add newsletters (a confirmed reader
 * signing up to one more gets it without a new confirmation) or, for an address that had left,
 * start a new confirmation; it never removes a newsletter a subscribed reader holds.
 */
export class SignupService {
  constructor(
    private readonly deps: {
      repository: SubscriberRepository;
      confirmations: ConfirmationRequests;
      mailRequests: MailRequestWake;
      metrics: Pick<SubscriptionMetrics, 'signup'>;
    },
  ) {}

  async signup(input: SignupInput, consent: ConsentContext): Promise<void> {
    if (input.newsletters.length === 0) throw new Error('a signup names at least one newsletter');
    const { now, resendBefore } = this.deps.confirmations.throttle();
    const newsletterIds = input.newsletters.map((n) => n.id);
    const queued = await this.deps.repository.signup({ email: input.email, name: input.name, newsletterIds }, consent, now, resendBefore);
    // Every accepted signup counts, known address or not, like the answer (which tells nothing).
    for (const n of input.newsletters) this.deps.metrics.signup(n.slug);
    if (queued) this.deps.mailRequests.wake();
  }
}
