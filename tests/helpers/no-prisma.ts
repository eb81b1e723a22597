import type { PrismaClient } from '../../src/generated/prisma/client';

/**
 * A Prisma client that fails on any use: for the work that must not need Prisma (the audit entry
 * of a send, the scheduled sweeps), since a process's first Prisma query loads its query compiler.
 */
export const noPrisma = new Proxy({} as PrismaClient, {
  get: (_, name) => {
    throw new Error(`Prisma used (${String(name)})`);
  },
});
