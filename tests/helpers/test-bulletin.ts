import net from 'node:net';
import { loadConfig } from '../../src/config';
import { startBulletin, type RunningBulletin } from '../../src/main';
import { createLogger } from '../../src/shared/logger';
import { SkippableClock } from './skippable-clock';
import { SmtpCapture } from './smtp-capture';
import { createTestDatabase, PATIENT_DATABASE, type TestDatabase } from './test-database';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
/** The header of an admin API request with TEST_ADMIN_TOKEN. */
export const adminAuth = { Authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
/** Far-away schedules, for tests where only the admin API or a command makes editions. */
export const QUIET_SCHEDULES = { DIGEST_DAILY_CRON: '0 0 1 1 *', DIGEST_WEEKLY_CRON: '0 0 1 1 *' };
/** Required with SMTP_URL, like in production. */
export const TEST_POSTAL_ADDRESS = 'Bulletin Test Press, 1 Example Street, 12345 Testville';

export interface TestBulletin extends RunningBulletin {
  smtp: SmtpCapture;
  db: TestDatabase;
  /** The service's clock: real time, which a test may jump forward instead of waiting. */
  clock: SkippableClock;
}

/** The real service on a free port, with its own database and a real SMTP peer. */
export async function startTestBulletin(
  env: Record<string, string> = {},
  /** Stand-ins for what lies outside the machine (SNS's certificate host). */
  outside: Parameters<typeof startBulletin>[3] = {},
): Promise<TestBulletin> {
  const db = await createTestDatabase();
  const smtp = await new SmtpCapture().start();
  // Links in emails must point at this instance, so its port is chosen before it starts.
  const port = await freePort();
  const config = loadConfig({
    DATABASE_URL: db.url,
    SMTP_URL: smtp.url,
    MAIL_POSTAL_ADDRESS: TEST_POSTAL_ADDRESS,
    SECRET_KEY: 'test-secret-key-0123456789abcdef0123456789',
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_POOL_SIZE: '4',
    ...PATIENT_DATABASE,
    ...env,
  });
  const clock = new SkippableClock();
  const bulletin = await startBulletin(config, createLogger(config.LOG_LEVEL), clock, outside);
  return {
    ...bulletin,
    smtp,
    db,
    clock,
    async stop() {
      await bulletin.stop();
      await smtp.stop();
      await db.drop();
    },
  };
}

/**
 * One more instance beside `base`: the same database, SMTP peer and secret, its own port, silent.
 * For the rules that must hold across instances (one edition per slot, one alert per article).
 */
export async function startInstanceBeside(base: TestBulletin, env: Record<string, string> = {}): Promise<RunningBulletin> {
  const port = await freePort();
  const config = loadConfig({
    DATABASE_URL: base.db.url,
    SMTP_URL: base.smtp.url,
    MAIL_POSTAL_ADDRESS: TEST_POSTAL_ADDRESS,
    SECRET_KEY: 'test-secret-key-0123456789abcdef0123456789',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    LOG_LEVEL: 'silent',
    DATABASE_POOL_SIZE: '4',
    ...PATIENT_DATABASE,
    ...env,
  });
  return startBulletin(config, createLogger('silent'));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
