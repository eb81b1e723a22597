import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client';

export type { PrismaClient } from '../generated/prisma/client';

export interface Database {
  /** Prisma for reads and writes of a few rows of one table, and transactions made of them. */
  prisma: PrismaClient;
  /**
   * The same pool, for each area's named SQL: what Prisma cannot say in one statement (several
   * tables written at once, SKIP LOCKED claims, fan-outs) and the measured hot paths. The rule is
   * in README.md ("Reaching the database"); transactions through src/db/transaction.ts.
   */
  pool: pg.Pool;
  /** Whether the database answers SELECT 1, within the connect and query timeouts. */
  isReachable(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * How long a request waits for the database before it gives up (and answers 503). A stalled
 * server (paused, a dead network path) otherwise holds every request and connection for minutes.
 */
export interface DatabaseTimeouts {
  /** Waiting for a connection: a new one, or a free one when the pool is busy. */
  connectMs: number;
  /** One statement: cancelled by the server (statement_timeout) or given up by the client. */
  queryMs: number;
}

/**
 * Timestamps are kept without a time zone, in UTC (Prisma's convention). Left alone, pg would send
 * a Date in the process's local time (the column drops the offset) and read one back as local
 * time, and now() would follow the server's zone: plain-SQL code would disagree with Prisma by the
 * offset wherever TZ or the server is not UTC. Prisma's adapter keeps its own conversions.
 */
pg.defaults.parseInputDatesAsUTC = true;
pg.types.setTypeParser(pg.types.builtins.TIMESTAMP, (value) => new Date(`${value.replace(' ', 'T')}Z`));

export function openPool(
  url: string,
  poolSize: number,
  onPoolError: (err: Error) => void,
  timeouts: DatabaseTimeouts,
): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: timeouts.connectMs,
    // The server cancels a slow statement itself and the connection stays usable; the client's own
    // limit covers a server that does not answer at all. Sessions in UTC, for now() and column
    // defaults (an `options` parameter in the URL wins). No JIT: our statements are short, and a
    // plan whose estimate passes jit_above_cost (a subquery COALESCE never runs counts) paid
    // 0.8 s of compiling for a 1 ms page of editions; the minute's statistics ran no slower
    // without it (docs/benchmarks.md, the console's pages).
    options: `-c TimeZone=UTC -c jit=off -c statement_timeout=${timeouts.queryMs}`,
    query_timeout: timeouts.queryMs,
  });
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
