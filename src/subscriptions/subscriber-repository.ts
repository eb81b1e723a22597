import type pg from 'pg';
import type { PrismaClient, Subscriber, Token } from '../generated/prisma/client';

export type { Subscriber } from '../generated/prisma/client';
export type Frequency = 'daily' | 'weekly';
export type TokenPurpose = 'confirm' | 'manage';
export type ConsentEvent = 'signup' | 'confirmation' | 'unsubscribe';

/** Who did something and through which door: the proof-of-consent fields of a request. */
export interface ConsentContext {
  ip?: string;
  userAgent?: string;
  source: string;
}

/**
 * The subscription area's only access to the database. A change that asks for an email writes it
 * as a mail request in the same statement or transaction, so the email exists exactly when the
 * change does; the caller then wakes the relay.
 */
export class SubscriberRepository {
  constructor(private readonly deps: { prisma: PrismaClient; pool: pg.Pool }) {}

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
   * A new pending subscriber with its signup consent and its confirmation email requested (its
   * confirmation slot taken: confirmation_sent_at = now); undefined when the address already exists.
   * One statement, one commit: this is the hot path of every signup, so it goes to the pool
   * directly (Prisma's query compiler cost more CPU than the rest of the request's database work),
   * as a named statement that each connection parses and plans once.
   * ON CONFLICT makes two signups of one new address at once safe: the loser gets undefined and is
   * treated as a repeat signup.
   */
  async createPending(
    data: { email: string; name?: string; frequency: Frequency },
    consent: ConsentContext,
    now: Date,
  ): Promise<{ id: number } | undefined> {
    const row = consentRow(consent);
    const { rows } = await this.deps.pool.query<{ id: number }>({
      name: 'subscribers.create-pending',
      text: `WITH created AS (
         INSERT INTO subscribers (email, name, frequency, status, confirmation_sent_at, updated_at)
         VALUES ($1, $2, $3::"Frequency", 'pending', $4, $4)
         ON CONFLICT (email) DO NOTHING
         RETURNING id
       ), consent AS (
         INSERT INTO consents (subscriber_id, event, ip, user_agent, source)
         SELECT id, 'signup', $5, $6, $7 FROM created
       ), mail_request AS (
         INSERT INTO mail_requests (kind, subscriber_id) SELECT 'confirmation', id FROM created
       )
       SELECT id FROM created`,
      values: [data.email, data.name ?? null, data.frequency, now, row.ip, row.userAgent, row.source],
    });
    return rows[0];
  }

  /** A repeat signup of a pending or unsubscribed address: it becomes (or stays) pending. */
  async reopenSignup(id: number, data: { name?: string; frequency: Frequency }, consent: ConsentContext): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.subscriber.updateMany({
        where: { id, status: { in: ['pending', 'unsubscribed'] } },
        data: { status: 'pending', frequency: data.frequency, ...(data.name ? { name: data.name } : {}) },
      }),
      this.prisma.consent.create({ data: { subscriberId: id, event: 'signup', ...consentRow(consent) } }),
    ]);
  }

  /**
   * Queues a confirmation email for a pending subscriber unless one was queued less than
   * `resendAfterMs` ago; true when queued. One statement, so concurrent requests cannot both win.
   */
  async requestConfirmation(id: number, now: Date, resendAfterMs: number): Promise<boolean> {
    const queued = await this.prisma.$executeRaw`
      WITH claimed AS (
        UPDATE subscribers SET confirmation_sent_at = ${now}
        WHERE id = ${id} AND status = 'pending'
          AND (confirmation_sent_at IS NULL OR confirmation_sent_at <= ${new Date(now.getTime() - resendAfterMs)})
        RETURNING id
      )
      INSERT INTO mail_requests (kind, subscriber_id) SELECT 'confirmation', id FROM claimed`;
    return queued === 1;
  }

  /** Queues the "manage your subscription" email. */
  async queueManageLink(id: number): Promise<void> {
    await this.prisma.mailRequest.create({ data: { subscriberId: id, kind: 'manage_link' } });
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
    const rows = await this.prisma.$queryRaw<Array<{ subscriber_id: number }>>`
      UPDATE tokens SET used_at = ${now}
      WHERE hash = ${hash} AND purpose = ${purpose}::"TokenPurpose" AND used_at IS NULL AND expires_at > ${now}
      RETURNING subscriber_id`;
    return rows[0]?.subscriber_id;
  }

  /**
   * Pending -> confirmed, spending the token and queuing the welcome email; false when it was not
   * pending (e.g. a second click).
   */
  async confirm(subscriberId: number, tokenId: number, now: Date, consent: ConsentContext): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.subscriber.updateMany({
        where: { id: subscriberId, status: 'pending' },
        data: { status: 'confirmed', confirmedAt: now, unsubscribedAt: null },
      });
      await tx.token.updateMany({ where: { id: tokenId, usedAt: null }, data: { usedAt: now } });
      if (count === 1) {
        await tx.consent.create({ data: { subscriberId, event: 'confirmation', ...consentRow(consent) } });
        await tx.mailRequest.create({ data: { subscriberId, kind: 'welcome' } });
      }
      return count === 1;
    });
  }

  /**
   * Stops all mail to the subscriber at once. Outstanding confirmation links die with it, so a
   * cancelled signup cannot be confirmed later by a prefetching scanner or a forwarded email.
   */
  async unsubscribe(id: number, now: Date, consent: ConsentContext): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.subscriber.updateMany({
        where: { id, status: { in: ['pending', 'confirmed'] } },
        data: { status: 'unsubscribed', unsubscribedAt: now },
      });
      await tx.token.deleteMany({ where: { subscriberId: id, purpose: 'confirm' } });
      if (count === 1) {
        await tx.consent.create({ data: { subscriberId: id, event: 'unsubscribe', ...consentRow(consent) } });
      }
      return count === 1;
    });
  }

  /** Undo of an unsubscribe by someone who had confirmed before, through their signed link. */
  async restoreConfirmed(id: number, consent: ConsentContext): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.subscriber.updateMany({
        where: { id, status: 'unsubscribed', confirmedAt: { not: null } },
        data: { status: 'confirmed', unsubscribedAt: null },
      });
      if (count === 1) {
        await tx.consent.create({ data: { subscriberId: id, event: 'confirmation', ...consentRow(consent) } });
      }
      return count === 1;
    });
  }

  async setFrequency(id: number, frequency: Frequency): Promise<void> {
    await this.prisma.subscriber.update({ where: { id }, data: { frequency } });
  }

  /**
   * Signups never confirmed since `cutoff` are deleted (with their tokens and consents). A former
   * subscriber who signed up again and did not confirm goes back to unsubscribed instead: their
   * earlier consent history stays.
   */
  async purgePending(cutoff: Date): Promise<{ deleted: number; reverted: number }> {
    const stale = { status: 'pending' as const, createdAt: { lt: cutoff }, OR: [{ confirmationSentAt: null }, { confirmationSentAt: { lt: cutoff } }] };
    const [deleted, reverted] = await this.prisma.$transaction([
      this.prisma.subscriber.deleteMany({ where: { ...stale, confirmedAt: null } }),
      this.prisma.subscriber.updateMany({ where: { ...stale, confirmedAt: { not: null } }, data: { status: 'unsubscribed' } }),
    ]);
    await this.prisma.token.deleteMany({ where: { expiresAt: { lt: cutoff } } });
    return { deleted: deleted.count, reverted: reverted.count };
  }
}

function consentRow(consent: ConsentContext): { ip: string | null; userAgent: string | null; source: string } {
  return {
    ip: consent.ip?.slice(0, 64) ?? null,
    userAgent: consent.userAgent?.slice(0, 512) ?? null,
    source: consent.source.slice(0, 100),
  };
}
