import type { NewsletterSchedules } from './newsletter-schedules';
import type { DigestSender } from './digest-sender';

/** How the digests' background work stops, in two of the process's shutdown phases. */
export interface DigestJobsStop {
  /** No more scheduled editions, no more deliveries claimed; sends in flight go on. */
  stopClaiming(): Promise<void>;
  /** The sends in flight finish and are recorded; unsent claims go back to the ledger. */
  finishInFlight(): Promise<void>;
}

/**
 * Background work of the digests in this process (only when RUN_JOBS): the schedules with their
 * catch-up, and the sending loop.
 */
export async function startDigestJobs(deps: { scheduler: NewsletterSchedules; sender: DigestSender }): Promise<DigestJobsStop> {
  deps.sender.start();
  try {
    await deps.scheduler.start();
  } catch (err) {
    await deps.sender.stop();
    throw err;
  }
  return {
    async stopClaiming() {
      deps.sender.stopClaiming();
      await deps.scheduler.stop();
    },
    finishInFlight: () => deps.sender.stop(),
  };
}
