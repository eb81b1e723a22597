import type pg from 'pg';
import type { Prisma, PrismaClient, Subscriber, Token } from '../generated/prisma/client';
import { EventRecorder, type EventRecording } from '../events/event-recorder';
import { systemClock } from '../shared/clock';
import { withTransaction } from '../db/transaction';
import {
  DELETE_EXPIRED_TOKENS,
  DELETE_OLD_MANAGE_REQUESTS,
  DELETE_STALE_PENDING,
  REQUEST_CONFIRMATION,
  REQUEST_MANAGE_LINK,
  REVERT_STALE_PENDING,
  SIGNUP,
  SPEND_TOKEN,
  type QueuedRow,
  type SpentTokenRow,
} from './subscriber-queries';

export type { Subscriber } from '../generated/prisma/client';
export type TokenPurpose = 'confirm' | 'manage';
export type ConsentEvent = 'signup' | 'confirmation' | 'unsubscribe';

/** Who did something and through which door: the proof-of-consent fields of a request. */
export interface ConsentContext {
  ip?: string;
  userAgent?: string;
  source: string;
}

/**
 * What a confirmation needs of the erased addresses (src/privacy): an erased reader who signs up
 * again and confirms gave new consent themselves, so their address is no longer held against them.
 */
export interface ErasedAddressRelease {
  /** undefined: nobody was ever erased here, so there is nothing to free. */
  hasherIfAny(): Promise<((email: string) => string) | undefined>;
}

/**
 * The subscription area's only access to the database: Prisma for rows of one table and
 * transactions made of them, the named statements of subscriber-queries.ts where one statement
 * writes several tables or must return what it changed (README.md, "Reaching the database"). A
 * change that asks for an email writes it as a mail request in the same statement or transaction,
 * so the email exists exactly when the change does; the caller then wakes the relay.
 */
export class SubscriberRepository {
  private readonly events: EventRecording;

  /** `events`: where `subscriber.confirmed` and `.unsubscribed` are recorded (src/events); by default straight into the database. */
  constructor(private readonly deps: { prisma: PrismaClient; pool: pg.Pool; erasedAddresses: ErasedAddressRelease; events?: EventRecording }) {
    this.events = deps.events ?? new EventRecorder({ clock: systemClock });
  }

  private get prisma(): PrismaClient {
    return this.deps.prisma;
  }

  findById(id: number): Promise<Subscriber | null> {
    return this.prisma.subscriber.findUnique({ where: { id } });
  }

  findByEmail(email: string): Promise<Subscriber | null> {
    return this.prisma.subscriber.findUnique({ where: { email } });
  }

  /**
   * A signup, whatever the address's state, in one statement (one round trip, one commit):
   * - new: a pending subscriber with the name given and the newsletters asked for, its
   *   confirmation email requested (one email covers them all);
   * - pending: the newsletters asked for join those it had (its name stays: a stranger may not
   *   rewrite someone's signup); its confirmation email again, covering all of them, if the last
   *   one was requested at or before `resendBefore`;
   * - unsubscribed: pending again with exactly the newsletters asked for, its own name kept,
   *   confirmation as for pending;
   * - confirmed: the newsletters asked for are added at once, nothing is sent (the address was
   *   proven; every edition's footer lets the reader leave any of them).
   * Every class records one `signup` consent per newsletter asked for. The answer is the same for
   * every class, and so is the work: one statement that locks or writes one subscriber row and
   * writes a few more, so the time a request takes does not tell the classes apart
   * (docs/benchmarks.md).
   *
   * The statement and why it has its shape: SIGNUP in subscriber-queries.ts.
   * True when a confirmation email was requested.
   */
  async signup(
    data: { email: string; name?: string; newsletterIds: readonly number[] },
    consent: ConsentContext,
    now: Date,
    resendBefore: Date,
  ): Promise<boolean> {
    const row = consentRow(consent);
    const { rows } = await this.deps.pool.query<QueuedRow>({
      ...SIGNUP,
      values: [data.email, data.name ?? null, [...data.newsletterIds], now, resendBefore, row.ip, row.userAgent, row.source],
    });
    return rows[0]?.queued ?? false;
  }

  /** A cancelled signup comes back (through its signed link): pending again, keeping its newsletters. */
  async reopenSignup(id: number, consent: ConsentContext): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      await tx.subscriber.updateMany({ where: { id, status: { in: ['pending', 'unsubscribed'] } }, data: { status: 'pending' } });
      await consentPerSubscription(tx, id, 'signup', consent);
    });
  }

  /**
   * Queues a confirmation email for a pending subscriber unless one was queued after
   * `resendBefore`; true when queued. One statement, so concurrent requests cannot both win.
   */
  async requestConfirmation(id: number, now: Date, resendBefore: Date): Promise<boolean> {
    const { rowCount } = await this.deps.pool.query(REQUEST_CONFIRMATION, [id, now, resendBefore]);
    return rowCount === 1;
  }

  /**
   * "Email me a link to manage my subscription", whatever the address's state, in one statement:
   * a pending address gets its confirmation email again, any other known address its manage link,
   * an unknown address nothing; each at most once per resend interval (`resendBefore`). The limits
   * live in the database, so they hold across instances and restarts.
   *
   * The statement and why it has its shape: REQUEST_MANAGE_LINK in subscriber-queries.ts.
   */
  async requestManageLink(email: string, now: Date, resendBefore: Date): Promise<boolean> {
    const { rows } = await this.deps.pool.query<QueuedRow>({ ...REQUEST_MANAGE_LINK, values: [email, now, resendBefore] });
    return rows[0]?.queued ?? false;
  }

  async saveToken(data: { subscriberId: number; purpose: TokenPurpose; hash: string; expiresAt: Date }): Promise<void> {
    await this.prisma.token.create({ data });
  }

  findToken(hash: string, purpose: TokenPurpose): Promise<(Token & { subscriber: Subscriber }) | null> {
    return this.prisma.token.findFirst({ where: { hash, purpose }, include: { subscriber: true } });
  }

  /**
   * Spends a single-use token: the subscriber it stood for, or undefined when it is unknown, used
   * or expired. One statement, so two clicks at once cannot both spend it.
   */
  async spendToken(hash: string, purpose: TokenPurpose, now: Date): Promise<number | undefined> {
    const { rows } = await this.deps.pool.query<SpentTokenRow>(SPEND_TOKEN, [hash, purpose, now]);
    return rows[0]?.subscriber_id;
  }

  /**
   * Pending -> confirmed, spending the token and queuing the welcome email; false when it was not
   * pending (e.g. a second click). The reader's own confirmation is new consent: if their address
   * had been erased, its hash goes, and a later import may add newsletters again.
   */
  async confirm(subscriberId: number, tokenId: number, now: Date, consent: ConsentContext): Promise<boolean> {
    // Before the transaction: it must not wait on a second connection while holding one.
    const hashOf = await this.deps.erasedAddresses.hasherIfAny();
    return this.prisma.$transaction(async (tx) => {
      const confirmed = await tx.subscriber.updateManyAndReturn({
        where: { id: subscriberId, status: 'pending' },
        data: { status: 'confirmed', confirmedAt: now, unsubscribedAt: null },
        select: { email: true },
      });
      await tx.token.updateMany({ where: { id: tokenId, usedAt: null }, data: { usedAt: now } });
      if (confirmed.length !== 1) return false;
      await consentPerSubscription(tx, subscriberId, 'confirmation', consent);
      await tx.mailRequest.create({ data: { subscriberId, kind: 'welcome' } });
      const held = await tx.subscription.findMany({ where: { subscriberId }, select: { newsletter: { select: { slug: true } } }, orderBy: { newsletterId: 'asc' } });
      await this.events.record(tx, {
        type: 'subscriber.confirmed',
        subscriberId,
        occurredAt: now,
        data: { subscriber: { id: subscriberId, email: confirmed[0]!.email }, newsletters: held.map((h) => h.newsletter.slug) },
      });
      if (hashOf) await tx.erasedAddress.deleteMany({ where: { addressHash: hashOf(confirmed[0]!.email) } });
      return true;
    });
  }

  /**
   * Stops all mail to the subscriber at once. Outstanding confirmation links die with it, so a
   * cancelled signup cannot be confirmed later by a prefetching scanner or a forwarded email.
   * A confirmed reader's leaving is `subscriber.unsubscribed` (newsletter null: from everything); a
   * cancelled signup is not, since no receiver heard of it as a subscriber.
   */
  async unsubscribe(id: number, now: Date, consent: ConsentContext): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const data = { status: 'unsubscribed' as const, unsubscribedAt: now };
      const confirmed = await tx.subscriber.updateManyAndReturn({ where: { id, status: 'confirmed' }, data, select: { email: true } });
      const count = confirmed.length || (await tx.subscriber.updateMany({ where: { id, status: 'pending' }, data })).count;
      if (confirmed.length) {
        await this.events.record(tx, {
          type: 'subscriber.unsubscribed',
          subscriberId: id,
          occurredAt: now,
          data: { subscriber: { id, email: confirmed[0]!.email }, newsletter: null },
        });
      }
      await tx.token.deleteMany({ where: { subscriberId: id, purpose: 'confirm' } });
      if (count === 1) {
        await tx.consent.create({ data: { subscriberId: id, event: 'unsubscribe', ...consentRow(consent) } });
      }
      return count === 1;
    });
  }

  /**
   * Undo of "unsubscribe from everything" by someone who had confirmed before, through their signed
   * link: the subscriptions were kept, so they are back as they were.
   */
  async restoreConfirmed(id: number, consent: ConsentContext): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.subscriber.updateMany({
        where: { id, status: 'unsubscribed', confirmedAt: { not: null } },
        data: { status: 'confirmed', unsubscribedAt: null },
      });
      if (count === 1) await consentPerSubscription(tx, id, 'confirmation', consent);
      return count === 1;
    });
  }

  /**
   * Signups never confirmed since `cutoff` are deleted (with their tokens and consents). A former
   * subscriber who signed up again and did not confirm goes back to unsubscribed instead: their
   * earlier consent history stays.
   */
  async purgePending(cutoff: Date, now: Date): Promise<{ deleted: number; reverted: number }> {
    const [deleted, reverted] = await withTransaction(this.deps.pool, (tx) =>
      Promise.all([tx.query(DELETE_STALE_PENDING, [cutoff]), tx.query(REVERT_STALE_PENDING, [cutoff, now])]),
    );
    await this.deps.pool.query(DELETE_EXPIRED_TOKENS, [cutoff]);
    await this.deps.pool.query(DELETE_OLD_MANAGE_REQUESTS, [cutoff]);
    return { deleted: deleted.rowCount ?? 0, reverted: reverted.rowCount ?? 0 };
  }
}

/**
 * One consent event per newsletter the subscriber holds (what a confirmation covers); a subscriber
 * without any gets one about the address as a whole, so the event is never lost.
 */
async function consentPerSubscription(tx: Prisma.TransactionClient, subscriberId: number, event: ConsentEvent, consent: ConsentContext): Promise<void> {
  const held = await tx.subscription.findMany({ where: { subscriberId }, select: { newsletterId: true } });
  const newsletterIds = held.length ? held.map((s) => s.newsletterId) : [null];
  await tx.consent.createMany({ data: newsletterIds.map((newsletterId) => ({ subscriberId, event, newsletterId, ...consentRow(consent) })) });
}

export function consentRow(consent: ConsentContext): { ip: string | null; userAgent: string | null; source: string } {
  return {
    ip: consent.ip?.slice(0, 64) ?? null,
    userAgent: consent.userAgent?.slice(0, 512) ?? null,
    source: consent.source.slice(0, 100),
  };
}
