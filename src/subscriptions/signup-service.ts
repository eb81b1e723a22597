import type { Clock } from '../shared/clock';
import type { ConfirmationRequests } from './confirmation-requests';
import type { MailRequestWake } from './mail-request-relay';
import type { ConsentContext, Frequency, SubscriberRepository } from './subscriber-repository';

export interface SignupInput {
  email: string;
  name?: string;
  frequency: Frequency;
}

/**
 * A signup. The caller answers the same way whatever happens here: new, pending, confirmed and
 * unsubscribed addresses must look alike from outside (no enumeration).
 */
export class SignupService {
  constructor(
    private readonly deps: { repository: SubscriberRepository; confirmations: ConfirmationRequests; mailRequests: MailRequestWake; clock: Clock },
  ) {}

  async signup(input: SignupInput, consent: ConsentContext): Promise<void> {
    const { repository, confirmations } = this.deps;
    // A new address: subscriber, consent and confirmation email in one commit.
    if (await repository.createPending(input, consent, this.deps.clock.now())) {
      this.deps.mailRequests.wake();
      return;
    }
    const existing = await repository.findByEmail(input.email);
    // Confirmed already (or vanished between the two statements): nothing to send, nothing to change.
    if (!existing || existing.status === 'confirmed') return;
    // Pending: a repeat signup; unsubscribed: comes back through a fresh confirmation.
    await repository.reopenSignup(existing.id, input, consent);
    await confirmations.request(existing.id);
  }
}
