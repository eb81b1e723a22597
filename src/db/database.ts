import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client';

export type { PrismaClient } from '../generated/prisma/client';

export interface Database {
  /** Prisma for ordinary reads and writes. */
  prisma: PrismaClient;
  /** The same pool, for the few set-based statements Prisma cannot express (ledger claims). */
  pool: pg.Pool;
  isReachable(): Promise<boolean>;
  close(): Promise<void>;
}

export function openDatabase(url: string, poolSize: number, onPoolError: (err: Error) => void): Database {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 5000 });
  // A backend that dies (database restart) emits 'error' on idle clients; without a listener the
  // whole process would crash. The pool replaces the client on next use.
  pool.on('error', onPoolError);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    pool,
    async isReachable() {
      try {
        await pool.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
