import type { AuditLog } from '../accounts/audit-log';
import type { Actor } from '../accounts/actor';
import type { Clock } from '../shared/clock';
import type { DeliveryLedger } from './delivery-ledger';
import type { ComposedNewsletter, ComposeOutcome, EditionComposer } from './edition-composer';

/**
 * What an editor does to editions by hand, from the admin API or the console: send one now and
 * put an edition's failed deliveries back in the queue. Both are written to the audit log with
 * their actor, and both wake the local sender so the work starts at once.
 */
export class EditionDesk {
  constructor(
    private readonly deps: {
      composer: Pick<EditionComposer, 'compose'>;
      ledger: Pick<DeliveryLedger, 'retryFailed'>;
      audit: Pick<AuditLog, 'record'>;
      clock: Clock;
      /** Tells the local sender there is work, so it does not wait for its next poll. */
      wakeSender: () => void;
    },
  ) {}

  /**
   * Composes the newsletter's edition for this moment. Its window starts where the previous
   * edition's ended, so a second click finds no new article and makes nothing ('empty').
   */
  async sendNow(actor: Actor, newsletter: ComposedNewsletter): Promise<ComposeOutcome> {
    const result = await this.deps.composer.compose(newsletter, this.deps.clock.now());
    if (result.outcome !== 'composed') return result;
    this.deps.wakeSender();
    await this.deps.audit.record(actor, 'edition_sent', { type: 'edition', id: result.digestId }, {
      newsletter: newsletter.slug,
      recipients: result.recipients,
      articles: result.articles,
    });
    return result;
  }

  /**
   * Failed deliveries become pending again (attempts from zero) and the edition sends again; sent
   * ones are not touched, so nobody gets a second copy. Returns how many were put back.
   */
  async retryFailed(actor: Actor, digestId: number): Promise<number> {
    const requeued = await this.deps.ledger.retryFailed(digestId);
    if (!requeued) return 0;
    this.deps.wakeSender();
    await this.deps.audit.record(actor, 'edition_retried', { type: 'edition', id: digestId }, { requeued });
    return requeued;
  }
}
