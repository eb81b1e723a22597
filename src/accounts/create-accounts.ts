import type { PrismaClient } from '../generated/prisma/client';
import type { Queryable } from '../db/transaction';
import type { Clock } from '../shared/clock';
import { ApiTokens } from './api-tokens';
import { AuditLog } from './audit-log';
import { Passwords } from './passwords';
import { SessionRepository } from './session-repository';
import { Sessions } from './sessions';
import { UserRepository } from './user-repository';
import { UserService } from './user-service';

export interface Accounts {
  users: UserService;
  sessions: Sessions;
  apiTokens: ApiTokens;
  audit: AuditLog;
}

/** The console's people, sessions, API tokens and audit log, wired from the database. */
export function createAccounts(deps: {
  prisma: PrismaClient;
  /** The same database's pool: the audit log writes its entries there (see audit-log.ts). */
  pool: Queryable;
  clock: Clock;
  publicUrl: string;
  config: { ADMIN_SESSION_IDLE_MINUTES: number; ADMIN_SESSION_MAX_HOURS: number };
}): Accounts {
  const { prisma, clock } = deps;
  const users = new UserRepository({ prisma });
  const sessionRepository = new SessionRepository({ prisma, pool: deps.pool });
  const passwords = new Passwords();
  const audit = new AuditLog({ prisma, pool: deps.pool, clock });
  return {
    users: new UserService({ users, passwords, audit, clock, publicUrl: deps.publicUrl }),
    sessions: new Sessions({
      sessions: sessionRepository,
      users,
      passwords,
      audit,
      clock,
      idleMinutes: deps.config.ADMIN_SESSION_IDLE_MINUTES,
      maxHours: deps.config.ADMIN_SESSION_MAX_HOURS,
    }),
    apiTokens: new ApiTokens({ sessions: sessionRepository, audit, clock }),
    audit,
  };
}
