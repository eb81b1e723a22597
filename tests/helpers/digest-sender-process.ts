/**
 * A digest sender as its own process, for crash and multi-worker tests:
 * `node --import tsx tests/helpers/digest-sender-process.ts` with DATABASE_URL, SMTP_URL and
 * SECRET_KEY set. Sends whatever the ledger holds until SIGTERM (graceful) or SIGKILL (crash).
 */
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { openDatabase } from '../../src/db/database';
import { createSmtpMailer } from '../../src/mail/nodemailer-mailer';
import { Templates } from '../../src/mail/templates';
import { createDigests } from '../../src/digests/create-digests';
import { createLogger } from '../../src/shared/logger';
import { SignedLinks } from '../../src/shared/signed-links';
import { systemClock } from '../../src/shared/clock';

async function main(): Promise<void> {
  const loaded = loadConfig();
  // The test that starts this process sets PUBLIC_URL: links must match its server's.
  const config = { ...loaded, PUBLIC_URL: loaded.PUBLIC_URL! };
  const logger = createLogger(config.LOG_LEVEL);
  const db = openDatabase(config.DATABASE_URL!, 4, () => {});
  const mailer = createSmtpMailer(
    { url: config.SMTP_URL!, maxConnections: config.SMTP_MAX_CONNECTIONS, ratePerSecond: config.SMTP_RATE_PER_SECOND },
    { from: config.MAIL_FROM, listId: config.LIST_ID },
    logger,
  );
  const digests = createDigests({
    pool: db.pool,
    mailer,
    templates: new Templates(path.resolve(__dirname, '../../templates')),
    links: new SignedLinks(config.SECRET_KEY!, config.PUBLIC_URL),
    clock: systemClock,
    logger,
    config,
    senderOptions: { leaseSeconds: Number(process.env.SENDER_LEASE_SECONDS ?? 3), pollIntervalMs: 200 },
  });
  digests.sender.start();
  process.stdout.write('ready\n');
  process.once('SIGTERM', async () => {
    await digests.sender.stop();
    await mailer.close();
    await db.close();
    process.exit(0);
  });
}

void main();
