import type pg from 'pg';
import type { Prisma } from '../generated/prisma/client';
import type { Clock } from '../shared/clock';
import { RECORD_EVENT } from './webhook-queries';

/** The events an operator can register a webhook for. */
export const EVENT_TYPES = ['subscriber.confirmed', 'subscriber.unsubscribed', 'edition.sent', 'delivery.bounced', 'delivery.complained'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface OutgoingEvent {
  type: EventType;
  /** The event's `data` as receivers get it: ids, slugs, times; never a token or a signed link. */
  data: Prisma.InputJsonObject;
  /** The reader it is about: an erasure deletes the event with the reader (its data holds their address). */
  subscriberId?: number;
  /** When it happened; by default now. */
  occurredAt?: Date;
  /** For an event that must exist once however often its cause recurs (an edition's completion). */
  onceKey?: string;
}

/** A transaction of either kind the areas use: pg (named SQL) or Prisma. */
export type EventTransaction = pg.ClientBase | Prisma.TransactionClient;

/** What an area needs to emit events: one call inside the transaction of its change. */
export type EventRecording = Pick<EventRecorder, 'record'>;

/**
 * Emits outgoing webhook events the transactional-outbox way: `record` writes the event, and one
 * delivery per webhook that takes its type, in the transaction of the change that caused it. So
 * an event exists exactly when its change committed (a rolled-back change emits nothing, a crash
 * after the commit loses nothing), and the change never waits on a receiver: the event relay and
 * the delivery jobs do the sending later (src/events/event-relay.ts, webhook-jobs.ts).
 *
 *     await events.record(tx, { type: 'delivery.bounced', subscriberId, data: { ... } });
 */
export class EventRecorder {
  constructor(private readonly deps: { clock: Clock }) {}

  async record(tx: EventTransaction, event: OutgoingEvent): Promise<void> {
    const occurredAt = event.occurredAt ?? this.deps.clock.now();
    if (isPg(tx)) {
      await tx.query(RECORD_EVENT, [event.type, JSON.stringify(event.data), occurredAt, event.subscriberId ?? null, event.onceKey ?? null]);
      return;
    }
    // Prisma's side: the same rows in three small steps (its client cannot say INSERT ... SELECT).
    const hooks = await tx.webhook.findMany({ where: { active: true, events: { has: event.type } }, select: { id: true } });
    if (!hooks.length) return;
    if (event.onceKey && (await tx.webhookEvent.findUnique({ where: { onceKey: event.onceKey }, select: { id: true } }))) return;
    await tx.webhookEvent.create({
      data: {
        type: event.type,
        data: event.data,
        occurredAt,
        subscriberId: event.subscriberId ?? null,
        onceKey: event.onceKey ?? null,
        deliveries: { createMany: { data: hooks.map((h) => ({ webhookId: h.id })) } },
      },
    });
  }
}

function isPg(tx: EventTransaction): tx is pg.ClientBase {
  return typeof (tx as pg.ClientBase).query === 'function';
}
