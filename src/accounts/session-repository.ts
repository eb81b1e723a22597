import type { AdminSession, AdminUser, PrismaClient } from '../generated/prisma/client';
import type { Queryable } from '../db/transaction';
import { DELETE_DEAD_LINKS, DELETE_ENDED_SESSIONS } from './account-queries';

/**
 * Console sessions and users' API tokens, through Prisma: both are a hashed secret that names a
 * user. The sweeps of ended ones are SQL (account-queries.ts says why).
 */
export class SessionRepository {
  constructor(private readonly deps: { prisma: PrismaClient; pool: Queryable }) {}

  async create(session: Omit<AdminSession, 'lastSeenAt'>): Promise<void> {
    await this.deps.prisma.adminSession.create({ data: { ...session, lastSeenAt: session.createdAt } });
  }

  find(id: string): Promise<(AdminSession & { user: AdminUser }) | null> {
    return this.deps.prisma.adminSession.findUnique({ where: { id }, include: { user: true } });
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.deps.prisma.adminSession.updateMany({ where: { id }, data: { lastSeenAt: at } });
  }

  async delete(id: string): Promise<void> {
    await this.deps.prisma.adminSession.deleteMany({ where: { id } });
  }

  /**
   * Sessions that ended by time, of one user (swept at each of their sign-ins) or of everyone (the
   * hourly sweep, for users who never sign in again); the number deleted.
   */
  async deleteEnded(ended: { idleBefore: Date; startedBefore: Date; userId?: number }): Promise<number> {
    const { rowCount } = await this.deps.pool.query(DELETE_ENDED_SESSIONS, [ended.idleBefore, ended.startedBefore, ended.userId ?? null]);
    return rowCount ?? 0;
  }

  /** Set-password links that can no longer be used (expired, or used) since `before`: kept a while for the link page's "used" answer. */
  async deleteDeadLinks(before: Date): Promise<number> {
    const { rowCount } = await this.deps.pool.query(DELETE_DEAD_LINKS, [before]);
    return rowCount ?? 0;
  }

  createApiToken(token: { userId: number; name: string; hash: string; createdAt: Date }) {
    return this.deps.prisma.adminApiToken.create({ data: token });
  }

  apiTokens(userId: number) {
    return this.deps.prisma.adminApiToken.findMany({ where: { userId }, orderBy: { id: 'desc' } });
  }

  apiTokenByHash(hash: string) {
    return this.deps.prisma.adminApiToken.findUnique({ where: { hash }, include: { user: true } });
  }

  /** Revokes one of the user's own tokens; false when there is no such live token of theirs. */
  async revokeApiToken(userId: number, id: number, at: Date): Promise<boolean> {
    const { count } = await this.deps.prisma.adminApiToken.updateMany({ where: { id, userId, revokedAt: null }, data: { revokedAt: at } });
    return count === 1;
  }

  async touchApiToken(id: number, at: Date): Promise<void> {
    await this.deps.prisma.adminApiToken.updateMany({ where: { id }, data: { lastUsedAt: at } });
  }
}
