import { daysBefore, type Clock } from '../shared/clock';
import type { SubscriberRepository } from './subscriber-repository';

/** Signups nobody confirmed are not kept forever: run daily by a scheduled job. */
export class PurgePendingSignups {
  constructor(private readonly deps: { repository: SubscriberRepository; clock: Clock; pendingPurgeDays: number }) {}

  run(): Promise<{ deleted: number; reverted: number }> {
    const now = this.deps.clock.now();
    const cutoff = daysBefore(now, this.deps.pendingPurgeDays);
    return this.deps.repository.purgePending(cutoff, now);
  }
}
