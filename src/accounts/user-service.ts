import { z } from 'zod';
import type { AdminLinkPurpose } from '../generated/prisma/client';
import type { Clock } from '../shared/clock';
import { AppError, fieldErrors, validationError } from '../shared/errors';
import { hashToken, issueToken, looksLikeToken } from '../shared/secret-tokens';
import { actorOf, ADMIN_ROLES, COMMAND_LINE_ACTOR, type Actor, type AdminRole } from './actor';
import type { AuditLog } from './audit-log';
import type { Passwords } from './passwords';
import { passwordProblem } from './passwords';
import { DuplicateEmailError, LastAdminError, type AdminUser, type GuardedChange, type UserRepository } from './user-repository';

/** Set-password links work for one hour (and once). */
export const LINK_TTL_MS = 60 * 60 * 1000;

const emailSchema = z.string({ error: 'Enter an email address' }).trim().toLowerCase().max(254, 'Use at most 254 characters').pipe(z.email({ error: 'Enter a valid email address, like name@example.com' }));
const roleSchema = z.enum(ADMIN_ROLES as [AdminRole, ...AdminRole[]], { error: 'Choose admin or editor' });
export const inviteSchema = z.object({ email: emailSchema, role: roleSchema });

export interface IssuedLink {
  /** Whom it is for. */
  email: string;
  url: string;
  purpose: AdminLinkPurpose;
  expiresAt: Date;
}

export type LinkState =
  | { state: 'ready'; purpose: AdminLinkPurpose; email: string }
  | { state: 'invalid' | 'expired' | 'used' };

/** A user as the console shows one. */
export type UserStatus = 'active' | 'invited' | 'disabled';
export function statusOf(user: AdminUser): UserStatus {
  return user.disabledAt ? 'disabled' : user.passwordHash ? 'active' : 'invited';
}

/**
 * The people of the console: invitations and set-password links, roles, disabling and removing.
 * Every change is recorded in the audit log with its actor. The console never has no active admin.
 */
export class UserService {
  constructor(
    private readonly deps: { users: UserRepository; passwords: Passwords; audit: AuditLog; clock: Clock; publicUrl: string },
  ) {}

  list(): Promise<AdminUser[]> {
    return this.deps.users.list();
  }

  /** A new user with no password yet, and the link that sets it. */
  async invite(actor: Actor, input: unknown): Promise<{ user: AdminUser; link: IssuedLink }> {
    const parsed = inviteSchema.safeParse(input);
    if (!parsed.success) throw validationError(fieldErrors(parsed.error));
    const { email, role } = parsed.data;
    let user: AdminUser;
    try {
      user = await this.deps.users.create(email, role, this.deps.clock.now());
    } catch (err) {
      if (err instanceof DuplicateEmailError) throw validationError({ email: 'This address already has an account' });
      throw err;
    }
    const link = await this.issue(user, 'invite');
    await this.deps.audit.record(actor, 'user_invited', { type: 'user', id: user.id }, { email, role });
    return { user, link };
  }

  /** `npm run admin:create -- EMAIL`: a new admin, or a fresh link for an existing user (the way back in). */
  async createFromCommandLine(rawEmail: string): Promise<{ user: AdminUser; link: IssuedLink; created: boolean }> {
    const parsed = emailSchema.safeParse(rawEmail);
    if (!parsed.success) throw validationError(fieldErrors(parsed.error));
    const existing = await this.deps.users.byEmail(parsed.data);
    if (existing) {
      if (existing.disabledAt) throw new AppError('CONFLICT', `${existing.email} is disabled: an admin can enable it on the Users page`);
      return { user: existing, link: await this.issueLink(COMMAND_LINE_ACTOR, existing.id), created: false };
    }
    const { user, link } = await this.invite(COMMAND_LINE_ACTOR, { email: parsed.data, role: 'admin' });
    return { user, link, created: true };
  }

  /** A new set-password link for a user: their first password (invite) or a new one (reset). */
  async issueLink(actor: Actor, userId: number): Promise<IssuedLink> {
    const user = await this.existing(userId);
    if (user.disabledAt) throw new AppError('CONFLICT', 'Enable this user before sending them a link');
    const link = await this.issue(user, user.passwordHash ? 'reset' : 'invite');
    await this.deps.audit.record(actor, 'password_link_issued', { type: 'user', id: user.id }, { purpose: link.purpose });
    return link;
  }

  /** What a set-password link is, without spending it (GET shows a form, changes nothing). */
  async inspectLink(raw: unknown): Promise<LinkState> {
    const link = looksLikeToken(raw) ? await this.deps.users.linkByHash(hashToken(raw)) : null;
    if (!link || link.user.disabledAt) return { state: 'invalid' };
    if (link.usedAt) return { state: 'used' };
    if (link.expiresAt <= this.deps.clock.now()) return { state: 'expired' };
    return { state: 'ready', purpose: link.purpose, email: link.user.email };
  }

  /**
   * Spends the link and sets the password (the link's use and the password commit together), ending
   * every session of the user. Returns the user, to be signed in.
   */
  async setPassword(raw: unknown, password: unknown, confirmation: unknown): Promise<AdminUser> {
    const link = looksLikeToken(raw) ? await this.deps.users.linkByHash(hashToken(raw)) : null;
    if (!link || link.user.disabledAt) throw new AppError('TOKEN_INVALID', 'This link is not valid');
    const now = this.deps.clock.now();
    if (link.usedAt) throw new AppError('TOKEN_INVALID', 'This link has been used');
    if (link.expiresAt <= now) throw new AppError('TOKEN_EXPIRED', 'This link has expired');
    const given = typeof password === 'string' ? password : '';
    const problem = passwordProblem(given, link.user.email);
    if (problem) throw validationError({ password: problem });
    if (confirmation !== given) throw validationError({ confirmation: 'The two passwords differ' });
    const hash = await this.deps.passwords.hash(given);
    if (!(await this.deps.users.setPasswordWithLink(link.id, link.userId, hash, now))) {
      throw new AppError('TOKEN_INVALID', 'This link has been used');
    }
    await this.deps.audit.record({ userId: link.user.id, label: link.user.email, role: link.user.role }, 'password_set', { type: 'user', id: link.userId }, { purpose: link.purpose });
    return link.user;
  }

  /**
   * A signed-in user's new password, given their current one: every session of theirs ends (the
   * caller starts a new one for this browser), as after a reset link.
   */
  async changePassword(user: AdminUser, input: { current: unknown; password: unknown; confirmation: unknown }): Promise<void> {
    const current = typeof input.current === 'string' ? input.current : '';
    if (!(await this.deps.passwords.matches(user.passwordHash, current))) throw validationError({ current: 'This is not your current password' });
    const given = typeof input.password === 'string' ? input.password : '';
    const problem = passwordProblem(given, user.email) ?? (given === current ? 'Choose a password other than your current one' : undefined);
    if (problem) throw validationError({ password: problem });
    if (input.confirmation !== given) throw validationError({ confirmation: 'The two passwords differ' });
    await this.deps.users.changePassword(user.id, await this.deps.passwords.hash(given), this.deps.clock.now());
    await this.deps.audit.record(actorOf(user), 'password_changed', { type: 'user', id: user.id });
  }

  async changeRole(actor: Actor, userId: number, role: unknown): Promise<AdminUser> {
    const parsed = roleSchema.safeParse(role);
    if (!parsed.success) throw validationError({ role: 'Choose admin or editor' });
    const before = await this.guarded(userId, { role: parsed.data });
    if (before.role !== parsed.data) {
      await this.deps.audit.record(actor, 'user_role_changed', { type: 'user', id: userId }, { email: before.email, from: before.role, to: parsed.data });
    }
    return before;
  }

  async setDisabled(actor: Actor, userId: number, disabled: boolean): Promise<AdminUser> {
    const before = await this.guarded(userId, { disabledAt: disabled ? this.deps.clock.now() : null });
    await this.deps.audit.record(actor, disabled ? 'user_disabled' : 'user_enabled', { type: 'user', id: userId }, { email: before.email });
    return before;
  }

  async remove(actor: Actor, userId: number): Promise<AdminUser> {
    const before = await this.guarded(userId, 'remove');
    await this.deps.audit.record(actor, 'user_removed', { type: 'user', id: userId }, { email: before.email, role: before.role });
    return before;
  }

  private async guarded(userId: number, change: GuardedChange): Promise<AdminUser> {
    try {
      const before = await this.deps.users.changeGuarded(userId, change, this.deps.clock.now());
      if (!before) throw new AppError('NOT_FOUND', 'No such user');
      return before;
    } catch (err) {
      if (err instanceof LastAdminError) throw new AppError('CONFLICT', err.message);
      // Serializable: another change to the users committed in between. Nothing was changed.
      if ((err as { code?: unknown })?.code === 'P2034') throw new AppError('CONFLICT', 'Users were changed at the same moment: try again');
      throw err;
    }
  }

  private async existing(userId: number): Promise<AdminUser> {
    const user = await this.deps.users.byId(userId);
    if (!user) throw new AppError('NOT_FOUND', 'No such user');
    return user;
  }

  private async issue(user: AdminUser, purpose: AdminLinkPurpose): Promise<IssuedLink> {
    const { raw, hash } = issueToken();
    const createdAt = this.deps.clock.now();
    const expiresAt = new Date(createdAt.getTime() + LINK_TTL_MS);
    await this.deps.users.addLink({ userId: user.id, purpose, hash, createdAt, expiresAt });
    return { email: user.email, url: `${this.deps.publicUrl}/admin/password?token=${raw}`, purpose, expiresAt };
  }
}
