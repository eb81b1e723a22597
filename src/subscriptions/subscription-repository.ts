import type { Prisma, PrismaClient } from '../generated/prisma/client';
import { EventRecorder, type EventRecording } from '../events/event-recorder';
import { systemClock } from '../shared/clock';
import type { Newsletter } from '../newsletters/newsletter';
import { consentRow, type ConsentContext } from './subscriber-repository';

/**
 * A subscriber's subscriptions (table `subscriptions`): a row means they want that newsletter.
 * Leaving one deletes its row; every change records a consent event naming the newsletter, in the
 * same transaction, so the proof exists exactly when the change does.
 */
export class SubscriptionRepository {
  private readonly events: EventRecording;

  /** `events`: where leaving a newsletter is recorded (src/events); by default straight into the database. */
  constructor(private readonly deps: { prisma: PrismaClient; events?: EventRecording }) {
    this.events = deps.events ?? new EventRecorder({ clock: systemClock });
  }

  /** The newsletters the subscriber holds (archived ones too), in the operator's order. */
  async held(subscriberId: number): Promise<Newsletter[]> {
    const rows = await this.deps.prisma.subscription.findMany({
      where: { subscriberId },
      include: { newsletter: true },
      orderBy: [{ newsletter: { position: 'asc' } }, { newsletterId: 'asc' }],
    });
    return rows.map((r) => r.newsletter);
  }

  /** Whether the subscriber holds this one newsletter (one primary-key probe). */
  async holds(subscriberId: number, newsletterId: number): Promise<boolean> {
    const row = await this.deps.prisma.subscription.findUnique({ where: { subscriberId_newsletterId: { subscriberId, newsletterId } }, select: { subscriberId: true } });
    return row !== null;
  }

  /**
   * Adds and removes subscriptions at once (the preferences form, a scoped unsubscribe and its
   * undo). Consent events only for what changed: `confirmation` for a newsletter added through a
   * link sent to the mailbox, `unsubscribe` for one left. Returns what changed.
   */
  async change(
    subscriberId: number,
    change: { add?: readonly number[]; remove?: readonly number[] },
    consent: ConsentContext,
  ): Promise<{ added: number[]; removed: number[] }> {
    return this.deps.prisma.$transaction(async (tx) => {
      const added: number[] = [];
      const removed: number[] = [];
      for (const newsletterId of change.remove ?? []) {
        const { count } = await tx.subscription.deleteMany({ where: { subscriberId, newsletterId } });
        if (count) removed.push(newsletterId);
      }
      if (change.add?.length) {
        const before = await tx.subscription.findMany({ where: { subscriberId, newsletterId: { in: [...change.add] } }, select: { newsletterId: true } });
        const held = new Set(before.map((s) => s.newsletterId));
        added.push(...change.add.filter((id) => !held.has(id)));
        await tx.subscription.createMany({ data: added.map((newsletterId) => ({ subscriberId, newsletterId })), skipDuplicates: true });
      }
      const row = consentRow(consent);
      await tx.consent.createMany({
        data: [
          ...added.map((newsletterId) => ({ subscriberId, newsletterId, event: 'confirmation' as const, ...row })),
          ...removed.map((newsletterId) => ({ subscriberId, newsletterId, event: 'unsubscribe' as const, ...row })),
        ],
      });
      if (removed.length) await this.recordLeaving(tx, subscriberId, removed);
      return { added, removed };
    });
  }

  /**
   * A confirmed reader leaving newsletters: `subscriber.unsubscribed` per newsletter left, in the
   * change's transaction (the reader keeps their other newsletters; `newsletter` says which one).
   */
  private async recordLeaving(tx: Prisma.TransactionClient, subscriberId: number, newsletterIds: number[]): Promise<void> {
    const subscriber = await tx.subscriber.findUnique({ where: { id: subscriberId }, select: { status: true, email: true } });
    if (subscriber?.status !== 'confirmed') return;
    const left = await tx.newsletter.findMany({ where: { id: { in: newsletterIds } }, select: { slug: true }, orderBy: { id: 'asc' } });
    for (const { slug } of left) {
      await this.events.record(tx, {
        type: 'subscriber.unsubscribed',
        subscriberId,
        data: { subscriber: { id: subscriberId, email: subscriber.email }, newsletter: slug },
      });
    }
  }
}
