import type { Clock } from '../shared/clock';
import type { SubscriberRepository } from './subscriber-repository';

/** Signups nobody confirmed are not kept forever: run daily by a scheduled job. */
export class PurgePendingSignups {
  constructor(private readonly deps: { repository: SubscriberRepository; clock: Clock; pendingPurgeDays: number }) {}

  run(): Promise<{ deleted: number; reverted: number }> {
    const now = this.deps.clock.now();
    const cutoff = new Date(now.getTime() - this.deps.pendingPurgeDays * 86_400_000);
    return this.deps.repository.purgePending(cutoff, now);
  }
}
