import type { AdminRole } from '../generated/prisma/client';

export type { AdminRole } from '../generated/prisma/client';
export const ADMIN_ROLES: readonly AdminRole[] = ['admin', 'editor'];

/**
 * Who is acting, for the role checks and the audit log: a signed-in user, a user's API token (with
 * that user's role), or the configured ADMIN_TOKEN (full rights, no user behind it).
 */
export interface Actor {
  userId: number | null;
  /** What the audit log shows: the user's email at the time, or "ADMIN_TOKEN". */
  label: string;
  role: AdminRole;
}

export const ADMIN_TOKEN_ACTOR: Actor = Object.freeze({ userId: null, label: 'ADMIN_TOKEN', role: 'admin' });

/** The command line (`npm run admin:create`): whoever has the server's shell and database. */
export const COMMAND_LINE_ACTOR: Actor = Object.freeze({ userId: null, label: 'command line', role: 'admin' });

export function actorOf(user: { id: number; email: string; role: AdminRole }): Actor {
  return { userId: user.id, label: user.email, role: user.role };
}
