import type { DigestScheduler } from './digest-scheduler';
import type { DigestSender } from './digest-sender';

/**
 * Background work of the digests in this process (only when RUN_JOBS): the schedules with their
 * catch-up, and the sending loop. Returns the shutdown step: stop taking scheduled work, then let
 * the sender finish its in-flight messages and give back what it had claimed.
 */
export async function startDigestJobs(deps: { scheduler: DigestScheduler; sender: DigestSender }): Promise<() => Promise<void>> {
  deps.sender.start();
  try {
    await deps.scheduler.start();
  } catch (err) {
    await deps.sender.stop();
    throw err;
  }
  return async () => {
    await deps.scheduler.stop();
    await deps.sender.stop();
  };
}
