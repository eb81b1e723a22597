import type { AdminLinkPurpose, AdminRole, AdminUser, PrismaClient } from '../generated/prisma/client';

export type { AdminUser } from '../generated/prisma/client';

/** The one admin who is left (active, with the admin role): nobody may demote, disable or remove them. */
export class LastAdminError extends Error {
  constructor() {
    super('This is the last active admin: make someone else an admin first');
    this.name = 'LastAdminError';
  }
}

export class DuplicateEmailError extends Error {
  constructor(readonly email: string) {
    super(`A user with the address ${email} exists`);
    this.name = 'DuplicateEmailError';
  }
}

/** A change to a user that could leave the console without an admin. */
export type GuardedChange = { role: AdminRole } | { disabledAt: Date | null } | 'remove';

/** Admin users and their set-password links, through Prisma. */
export class UserRepository {
  constructor(private readonly deps: { prisma: PrismaClient }) {}

  byEmail(email: string): Promise<AdminUser | null> {
    return this.deps.prisma.adminUser.findUnique({ where: { email } });
  }

  byId(id: number): Promise<AdminUser | null> {
    return this.deps.prisma.adminUser.findUnique({ where: { id } });
  }

  /** Every user, by address: a newsroom has tens of them, not thousands. */
  list(): Promise<AdminUser[]> {
    return this.deps.prisma.adminUser.findMany({ orderBy: { email: 'asc' } });
  }

  async create(email: string, role: AdminRole, now: Date): Promise<AdminUser> {
    try {
      return await this.deps.prisma.adminUser.create({ data: { email, role, createdAt: now, updatedAt: now } });
    } catch (err) {
      throw (err as { code?: unknown })?.code === 'P2002' ? new DuplicateEmailError(email) : err;
    }
  }

  async addLink(link: { userId: number; purpose: AdminLinkPurpose; hash: string; createdAt: Date; expiresAt: Date }): Promise<void> {
    await this.deps.prisma.adminUserToken.create({ data: link });
  }

  linkByHash(hash: string) {
    return this.deps.prisma.adminUserToken.findUnique({ where: { hash }, include: { user: true } });
  }

  /**
   * Spends the link and sets the password in one transaction: the link is taken only if it is
   * still unused and unexpired (a compare-and-set, so two submits cannot both use it). The user's
   * other links stop working and every session of theirs ends. False: the link was not usable.
   */
  async setPasswordWithLink(linkId: number, userId: number, passwordHash: string, now: Date): Promise<boolean> {
    return this.deps.prisma.$transaction(async (tx) => {
      const spent = await tx.adminUserToken.updateMany({ where: { id: linkId, usedAt: null, expiresAt: { gt: now } }, data: { usedAt: now } });
      if (spent.count !== 1) return false;
      await tx.adminUser.update({ where: { id: userId }, data: { passwordHash, updatedAt: now } });
      await tx.adminUserToken.updateMany({ where: { userId, usedAt: null }, data: { usedAt: now } });
      await tx.adminSession.deleteMany({ where: { userId } });
      return true;
    });
  }

  /** A new password for a signed-in user (who gave their current one): their sessions and unused links end with the old one. */
  async changePassword(userId: number, passwordHash: string, now: Date): Promise<void> {
    await this.deps.prisma.$transaction([
      this.deps.prisma.adminUser.update({ where: { id: userId }, data: { passwordHash, updatedAt: now } }),
      this.deps.prisma.adminUserToken.updateMany({ where: { userId, usedAt: null }, data: { usedAt: now } }),
      this.deps.prisma.adminSession.deleteMany({ where: { userId } }),
    ]);
  }

  /**
   * Applies a change unless it would leave no active admin. Serializable, so two admins demoting
   * each other at the same moment cannot both succeed (one fails with a serialization error, P2034).
   * Disabling or removing a user also ends their sessions. Returns the user as it was, or null.
   */
  async changeGuarded(userId: number, change: GuardedChange, now: Date): Promise<AdminUser | null> {
    return this.deps.prisma.$transaction(
      async (tx) => {
        const user = await tx.adminUser.findUnique({ where: { id: userId } });
        if (!user) return null;
        const staysActiveAdmin =
          change !== 'remove' &&
          ('role' in change ? change.role : user.role) === 'admin' &&
          ('disabledAt' in change ? change.disabledAt : user.disabledAt) === null;
        if (user.role === 'admin' && user.disabledAt === null && !staysActiveAdmin) {
          const others = await tx.adminUser.count({ where: { role: 'admin', disabledAt: null, id: { not: userId } } });
          if (others === 0) throw new LastAdminError();
        }
        if (change === 'remove') {
          await tx.adminUser.delete({ where: { id: userId } });
          return user;
        }
        await tx.adminUser.update({ where: { id: userId }, data: { ...change, updatedAt: now } });
        if ('disabledAt' in change && change.disabledAt) await tx.adminSession.deleteMany({ where: { userId } });
        return user;
      },
      { isolationLevel: 'Serializable' },
    );
  }
}
