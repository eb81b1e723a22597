import type pg from 'pg';
import type { PrismaClient, Subscriber, Token } from '../generated/prisma/client';
import type { Frequency } from '../shared/frequency';

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
   * A signup, whatever the address's state, in one statement (one round trip, one commit):
   * - new: a pending subscriber with the name and frequency given, its confirmation email requested;
   * - pending: nothing changes (a stranger may not rewrite someone's signup); its confirmation
   *   email again if the last one was requested at or before `resendBefore`;
   * - unsubscribed: pending again, with its own name and frequency, confirmation as for pending;
   * - confirmed: nothing changes, nothing is sent.
   * Every class records the signup as a consent event. The answer is the same for every class, and
   * so is the work: one statement that locks or writes one subscriber row and writes one or two
   * more rows, so the time a request takes does not tell the classes apart (docs/benchmarks.md).
   *
   * `existing` locks the address's row: concurrent signups of one address (on any instance) queue
   * there, and FOR UPDATE re-reads the row once the lock is theirs, so `due` is decided on the latest
   * commit and one confirmation email goes out per resend interval. Two signups of a new address at
   * once: the INSERT's ON CONFLICT makes the later one wait and then do nothing (the first one's
   * email is on its way). A named statement on the pool: each connection parses and plans it once
   * (Prisma's query compiler cost more CPU than the rest of a signup's database work).
   * True when a confirmation email was requested.
   */
  async signup(
    data: { email: string; name?: string; frequency: Frequency },
    consent: ConsentContext,
    now: Date,
    resendBefore: Date,
  ): Promise<boolean> {
    const row = consentRow(consent);
    const { rows } = await this.deps.pool.query<{ queued: boolean }>({
      name: 'subscribers.signup',
      text: `WITH existing AS (
         SELECT id, status,
                status IN ('pending', 'unsubscribed') AND (confirmation_sent_at IS NULL OR confirmation_sent_at <= $5) AS due
         FROM subscribers WHERE email = $1
         FOR UPDATE
       ), created AS (
         INSERT INTO subscribers (email, name, frequency, status, confirmation_sent_at, updated_at)
         VALUES ($1, $2, $3::"Frequency", 'pending', $4, $4)
         ON CONFLICT (email) DO NOTHING
         RETURNING id
       ), reopened AS (
         UPDATE subscribers s
         SET status = 'pending',
             confirmation_sent_at = CASE WHEN e.due THEN $4 ELSE s.confirmation_sent_at END,
             updated_at = $4
         FROM existing e
         WHERE s.id = e.id AND (e.due OR e.status = 'unsubscribed')
         RETURNING s.id, e.due
       ), consent AS (
         INSERT INTO consents (subscriber_id, event, ip, user_agent, source)
         SELECT id, 'signup', $6, $7, $8 FROM (SELECT id FROM created UNION ALL SELECT id FROM existing) signed_up
       ), mail_request AS (
         INSERT INTO mail_requests (kind, subscriber_id)
         SELECT 'confirmation', id FROM (SELECT id FROM created UNION ALL SELECT id FROM reopened WHERE due) due
         RETURNING id
       )
       SELECT EXISTS (SELECT 1 FROM mail_request) AS queued`,
      values: [data.email, data.name ?? null, data.frequency, now, resendBefore, row.ip, row.userAgent, row.source],
    });
    return rows[0]?.queued ?? false;
  }

  /** A cancelled signup comes back (through its signed link): pending again, keeping its settings. */
  async reopenSignup(id: number, consent: ConsentContext): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.subscriber.updateMany({ where: { id, status: { in: ['pending', 'unsubscribed'] } }, data: { status: 'pending' } }),
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

  /**
   * "Email me a link to manage my subscription", whatever the address's state, in one statement:
   * a pending address gets its confirmation email again, any other known address its manage link,
   * an unknown address nothing; each at most once per resend interval (`resendBefore`). The limits
   * live in the database, so they hold across instances and restarts.
   *
   * `asked` writes the address's row in `manage_requests` for every address, known or not: it is
   * the manage link's throttle (ON CONFLICT ... WHERE claims the slot for one request only, the
   * others wait on the row and find it taken), and it gives an unknown address the same work as a
   * known one, a write and its WAL flush at commit, so the time of the answer does not tell them
   * apart. Only a hash of the address is stored: nobody needs to read back what strangers typed.
   */
  async requestManageLink(email: string, now: Date, resendBefore: Date): Promise<boolean> {
    const { rows } = await this.deps.pool.query<{ queued: boolean }>({
      name: 'subscribers.request-manage-link',
      text: `WITH asked AS (
         INSERT INTO manage_requests (address_hash, requested_at)
         VALUES (encode(sha256(convert_to($1, 'UTF8')), 'hex'), $2)
         ON CONFLICT (address_hash) DO UPDATE SET requested_at = EXCLUDED.requested_at
         WHERE manage_requests.requested_at <= $3
         RETURNING address_hash
       ), confirmation AS (
         UPDATE subscribers SET confirmation_sent_at = $2
         WHERE email = $1 AND status = 'pending' AND (confirmation_sent_at IS NULL OR confirmation_sent_at <= $3)
         RETURNING id
       ), manage_link AS (
         SELECT id FROM subscribers WHERE email = $1 AND status <> 'pending' AND EXISTS (SELECT 1 FROM asked)
       ), mail_request AS (
         INSERT INTO mail_requests (kind, subscriber_id)
         SELECT 'confirmation'::"MailRequestKind", id FROM confirmation
         UNION ALL SELECT 'manage_link'::"MailRequestKind", id FROM manage_link
         RETURNING id
       )
       SELECT EXISTS (SELECT 1 FROM mail_request) AS queued`,
      values: [email, now, resendBefore],
    });
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
    await this.prisma.manageRequest.deleteMany({ where: { requestedAt: { lt: cutoff } } });
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
