import crypto from 'node:crypto';
import type { Clock } from '../shared/clock';
import { hashToken, issueToken, looksLikeToken } from '../shared/secret-tokens';
import { actorOf, type Actor } from './actor';
import type { AuditLog } from './audit-log';
import type { Passwords } from './passwords';
import type { AdminUser } from './user-repository';
import type { SessionRepository } from './session-repository';

/** last_seen_at is written at most this often: not a write per page view, and idle time is still kept to the minute. */
const TOUCH_EVERY_MS = 60_000;

/** A used or expired set-password link answers "already used"/"expired" for a day, then "not valid". */
const DEAD_LINKS_KEPT_MS = 24 * 3_600_000;

export interface SessionContext {
  ip?: string;
  userAgent?: string;
}

export interface LiveSession {
  user: AdminUser;
  actor: Actor;
  /** The form token of this session (see csrfToken). */
  csrfToken: string;
}

/**
 * Console sessions: sign-in checks the password, sessions live in PostgreSQL (shared by every
 * instance) and end at sign-out, after ADMIN_SESSION_IDLE_MINUTES without a request, and
 * ADMIN_SESSION_MAX_HOURS after sign-in, whichever comes first.
 */
export class Sessions {
  constructor(
    private readonly deps: {
      sessions: SessionRepository;
      users: { byEmail(email: string): Promise<AdminUser | null> };
      passwords: Passwords;
      audit: AuditLog;
      clock: Clock;
      idleMinutes: number;
      maxHours: number;
    },
  ) {}

  /**
   * The user, when the address and password match an enabled account; else null. An unknown
   * address, a user without a password yet, a disabled one and a wrong password all cost one
   * password verification and get the same null.
   */
  async signIn(email: string, password: string, context: SessionContext): Promise<{ token: string; user: AdminUser } | null> {
    const user = await this.deps.users.byEmail(email.trim().toLowerCase());
    const matches = await this.deps.passwords.matches(user?.passwordHash, password);
    if (!user || !matches || user.disabledAt) return null;
    const token = await this.start(user, context);
    await this.deps.audit.record(actorOf(user), 'signed_in', { type: 'user', id: user.id }, { ip: context.ip ?? null });
    return { token, user };
  }

  /** A new session for the user (after sign-in, or after setting a password): always a new id. */
  async start(user: AdminUser, context: SessionContext): Promise<string> {
    const now = this.deps.clock.now();
    await this.deps.sessions.deleteEnded({ userId: user.id, idleBefore: this.idleCutoff(now), startedBefore: this.maxCutoff(now) });
    const { raw, hash } = issueToken();
    await this.deps.sessions.create({
      id: hash,
      userId: user.id,
      createdAt: now,
      ip: context.ip?.slice(0, 64) ?? null,
      userAgent: context.userAgent?.slice(0, 200) ?? null,
    });
    return raw;
  }

  /** The session the cookie names, if it is still live; an ended one is deleted on the way. */
  async resolve(token: unknown): Promise<LiveSession | null> {
    if (!looksLikeToken(token)) return null;
    const id = hashToken(token);
    const session = await this.deps.sessions.find(id);
    if (!session) return null;
    const now = this.deps.clock.now();
    if (session.user.disabledAt || session.lastSeenAt <= this.idleCutoff(now) || session.createdAt <= this.maxCutoff(now)) {
      await this.deps.sessions.delete(id);
      return null;
    }
    if (now.getTime() - session.lastSeenAt.getTime() >= TOUCH_EVERY_MS) await this.deps.sessions.touch(id, now);
    return { user: session.user, actor: actorOf(session.user), csrfToken: csrfToken(token) };
  }

  /**
   * Deletes every session that ended by time and every set-password link dead for a day: a
   * session is refused once ended anyway, this keeps no stale row (nor its IP and browser) around.
   */
  async purgeEnded(): Promise<{ sessions: number; links: number }> {
    const now = this.deps.clock.now();
    const sessions = await this.deps.sessions.deleteEnded({ idleBefore: this.idleCutoff(now), startedBefore: this.maxCutoff(now) });
    const links = await this.deps.sessions.deleteDeadLinks(new Date(now.getTime() - DEAD_LINKS_KEPT_MS));
    return { sessions, links };
  }

  async end(token: unknown): Promise<void> {
    if (looksLikeToken(token)) await this.deps.sessions.delete(hashToken(token));
  }

  private idleCutoff(now: Date): Date {
    return new Date(now.getTime() - this.deps.idleMinutes * 60_000);
  }

  private maxCutoff(now: Date): Date {
    return new Date(now.getTime() - this.deps.maxHours * 3_600_000);
  }
}

/**
 * The synchronizer token of a session's forms: an HMAC of the session's secret, so it is bound to
 * that session (a new sign-in makes a new one), stored nowhere, and cannot be derived from the
 * database (which holds only the secret's SHA-256).
 */
export function csrfToken(sessionToken: string): string {
  return crypto.createHmac('sha256', sessionToken).update('bulletin console form').digest('base64url');
}

/** Whether a submitted form token is the session's, compared in constant time. */
export function csrfMatches(session: LiveSession, submitted: unknown): boolean {
  if (typeof submitted !== 'string') return false;
  const expected = Buffer.from(session.csrfToken);
  const given = Buffer.from(submitted);
  return expected.length === given.length && crypto.timingSafeEqual(expected, given);
}
