/**
 * The accounts area's SQL: the hourly sweep of ended console sessions and dead set-password links.
 * Every instance that runs jobs may run it, so it stays off Prisma: a process's first Prisma query
 * loads Prisma's query compiler (+100-125 MB RSS), and a process that only sends editions never
 * does (docs/benchmarks.md: a million-reader send peaked at 383 MB once this sweep, through Prisma,
 * ran in the middle of it).
 */

/** Sessions ended by time, of one user ($3, at their sign-in) or of everyone ($3 null). */
export const DELETE_ENDED_SESSIONS = `DELETE FROM admin_sessions
  WHERE ($3::int IS NULL OR user_id = $3) AND (last_seen_at < $1 OR created_at < $2)`;

/** Set-password links that can no longer be used (expired, or used) since $1. */
export const DELETE_DEAD_LINKS = `DELETE FROM admin_user_tokens WHERE expires_at < $1 OR used_at < $1`;
