import type { ConfirmationRequests } from './confirmation-requests';
import type { MailRequestWake } from './mail-request-relay';
import type { ConsentContext, SubscriberRepository } from './subscriber-repository';
import type { Frequency } from '../shared/frequency';

export interface SignupInput {
  email: string;
  name?: string;
  frequency: Frequency;
}

/**
 * A signup. The caller answers the same way whatever happens here, and new, pending, confirmed and
 * unsubscribed addresses cost the same one statement, so neither the answer nor its time tells
 * them apart (no enumeration). Only a new address takes the name and frequency given: anyone can
 * type someone else's address, so an existing subscriber's settings change only through links
 * sent to their mailbox (the preferences page).
 */
export class SignupService {
  constructor(
    private readonly deps: { repository: SubscriberRepository; confirmations: ConfirmationRequests; mailRequests: MailRequestWake },
  ) {}

  async signup(input: SignupInput, consent: ConsentContext): Promise<void> {
    const { now, resendBefore } = this.deps.confirmations.throttle();
    if (await this.deps.repository.signup(input, consent, now, resendBefore)) this.deps.mailRequests.wake();
  }
}
