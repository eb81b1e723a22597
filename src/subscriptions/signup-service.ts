import type { ConfirmationRequests } from './confirmation-requests';
import type { MailRequestWake } from './mail-request-relay';
import type { ConsentContext, SubscriberRepository } from './subscriber-repository';

export interface SignupInput {
  email: string;
  name?: string;
  /** The active newsletters asked for (NewsletterChoices.resolve); at least one. */
  newsletterIds: number[];
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
    private readonly deps: { repository: SubscriberRepository; confirmations: ConfirmationRequests; mailRequests: MailRequestWake },
  ) {}

  async signup(input: SignupInput, consent: ConsentContext): Promise<void> {
    if (input.newsletterIds.length === 0) throw new Error('a signup names at least one newsletter');
    const { now, resendBefore } = this.deps.confirmations.throttle();
    if (await this.deps.repository.signup(input, consent, now, resendBefore)) this.deps.mailRequests.wake();
  }
}
