import type pg from 'pg';
import { withTransaction } from '../db/transaction';
import type { Clock } from '../shared/clock';
import { AppError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import type { ErasedAddresses } from './erased-addresses';
import {
  ANONYMISE_BOUNCE_REPORTS,
  ANONYMISE_DELIVERIES,
  DELETE_MAIL_REQUESTS,
  DELETE_WEBHOOK_EVENTS,
  DELETE_MANAGE_REQUEST,
  DELETE_SUBSCRIBER,
  LOCK_SUBSCRIBER,
  RECORD_ERASED_ADDRESS,
  type LockedSubscriberRow,
} from './privacy-queries';

export interface ErasureResult {
  /** Delivery rows kept for the editions' counts, no longer tied to anyone. */
  deliveriesKept: number;
}

/**
 * Erasure (DELETE /api/admin/subscribers/:id), in one transaction: the reader's deliveries stay
 * as anonymous counts (pending ones skipped, never sent), their unsent email requests and manage
 * throttle go, the subscriber row goes with its name, address, tokens, consents (IP, user agent)
 * and subscriptions, and the address stays only as a salted hash, so an old list imported later
 * cannot bring it back. A message a sender had already taken at that instant may still go out, as
 * with an unsubscribe at that instant; its result is recorded nowhere.
 */
export class Erasure {
  constructor(private readonly deps: { pool: pg.Pool; erasedAddresses: ErasedAddresses; clock: Clock; logger: Logger }) {}

  async erase(subscriberId: number, actor: string): Promise<ErasureResult> {
    const result = await withTransaction(this.deps.pool, async (tx) => {
      const { rows } = await tx.query<LockedSubscriberRow>(LOCK_SUBSCRIBER, [subscriberId]);
      const subscriber = rows[0];
      if (!subscriber) throw new AppError('NOT_FOUND', 'No subscriber has that id');
      const { rowCount: deliveriesKept } = await tx.query(ANONYMISE_DELIVERIES, [subscriberId]);
      await tx.query(ANONYMISE_BOUNCE_REPORTS, [subscriberId]);
      await tx.query(DELETE_MAIL_REQUESTS, [subscriberId]);
      await tx.query(DELETE_WEBHOOK_EVENTS, [subscriberId]);
      await tx.query(DELETE_MANAGE_REQUEST, [subscriber.email]);
      await tx.query(DELETE_SUBSCRIBER, [subscriberId]);
      await tx.query(RECORD_ERASED_ADDRESS, [await this.deps.erasedAddresses.hashOf(subscriber.email), this.deps.clock.now()]);
      return { deliveriesKept: deliveriesKept ?? 0 };
    });
    // Never the address: the log outlives the erasure.
    this.deps.logger.info({ actor, subscriberId, ...result }, 'reader erased');
    return result;
  }
}
