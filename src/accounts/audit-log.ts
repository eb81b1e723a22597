import type { Prisma, PrismaClient } from '../generated/prisma/client';
import type { Queryable } from '../db/transaction';
import type { Clock } from '../shared/clock';
import type { Actor } from './actor';

/** What the audit log records, one word per kind of action (shown as is on the audit page). */
export type AuditAction =
  | 'signed_in'
  | 'password_set'
  | 'password_changed'
  | 'password_link_issued'
  | 'user_invited'
  | 'user_role_changed'
  | 'user_disabled'
  | 'user_enabled'
  | 'user_removed'
  | 'api_token_created'
  | 'api_token_revoked'
  | 'edition_sent'
  | 'list_imported'
  | 'subscribers_exported'
  | 'reader_data_exported'
  | 'reader_erased'
  | 'reader_suppressed'
  | 'reader_unsuppressed'
  | 'article_edited'
  | 'article_marked_breaking'
  | 'article_deleted'
  | 'feed_added'
  | 'feed_paused'
  | 'feed_resumed'
  | 'feed_removed'
  | 'feed_mapping_changed'
  | 'edition_retried'
  | 'edition_curated'
  | 'newsletter_created'
  | 'newsletter_changed'
  | 'newsletter_archived'
  | 'newsletter_restored'
  | 'webhook_created'
  | 'webhook_deleted';

export interface AuditSubject {
  type: 'user' | 'api_token' | 'edition' | 'subscriber' | 'article' | 'feed' | 'newsletter' | 'webhook';
  id: number | string;
}

export interface AuditRow {
  id: bigint;
  at: Date;
  actorLabel: string;
  action: string;
  subjectType: string | null;
  subjectId: string | null;
  details: unknown;
}

/** A Prisma transaction: an entry can commit together with the change it records. */
type Transaction = Pick<PrismaClient, 'auditEntry'> | Pick<Prisma.TransactionClient, 'auditEntry'>;

/**
 * One entry, written on the pool when it commits on its own. Why SQL and not Prisma there: an
 * edition sent by hand records `edition_sent` just as its send starts, and the first Prisma query
 * of a process loads Prisma's query compiler (WebAssembly): peak RSS of a 10,000 send 260-285 MB
 * with it, 175 MB without (docs/benchmarks.md, "Peak RSS of the send (issue 14.5)").
 */
const INSERT_ENTRY = `
  INSERT INTO audit_log (at, actor_user_id, actor_label, action, subject_type, subject_id, details)
  VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)`;

/** Who did what, kept in `audit_log`; read newest first by admins. */
export class AuditLog {
  constructor(private readonly deps: { prisma: PrismaClient; pool: Queryable; clock: Clock }) {}

  /** `tx`: the Prisma transaction of the change, for the entry to commit (or not) with it. */
  async record(actor: Actor, action: AuditAction, subject?: AuditSubject, details?: Prisma.InputJsonObject, tx?: Transaction): Promise<void> {
    const entry = {
      at: this.deps.clock.now(),
      actorUserId: actor.userId,
      actorLabel: actor.label,
      action,
      subjectType: subject?.type ?? null,
      subjectId: subject === undefined ? null : String(subject.id),
    };
    if (tx) {
      await tx.auditEntry.create({ data: { ...entry, details } });
      return;
    }
    await this.deps.pool.query(INSERT_ENTRY, [
      entry.at,
      entry.actorUserId,
      entry.actorLabel,
      entry.action,
      entry.subjectType,
      entry.subjectId,
      details === undefined ? null : JSON.stringify(details),
    ]);
  }

  /** A page, newest first: entries before `beforeId` (a cursor; none: the newest). */
  async page(limit: number, beforeId?: bigint): Promise<{ entries: AuditRow[]; nextCursor: bigint | null }> {
    const rows = await this.deps.prisma.auditEntry.findMany({
      where: beforeId === undefined ? {} : { id: { lt: beforeId } },
      orderBy: { id: 'desc' },
      take: limit + 1,
    });
    const entries = rows.slice(0, limit);
    return { entries, nextCursor: rows.length > limit ? entries[entries.length - 1]!.id : null };
  }
}
