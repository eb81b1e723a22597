/**
 * A digest sender as its own process, for crash and multi-worker tests:
 * `node --import tsx tests/helpers/digest-sender-process.ts` with DATABASE_URL, SMTP_URL and
 * SECRET_KEY set. Sends whatever the ledger holds until SIGTERM (graceful) or SIGKILL (crash).
 * Built through src/wiring.ts, as the service and the commands are.
 */
import { loadConfig } from '../../src/config';
import { createDigests } from '../../src/digests/create-digests';
import { NewsletterRepository } from '../../src/newsletters/newsletter-repository';
import { createLogger } from '../../src/shared/logger';
import { systemClock } from '../../src/shared/clock';
import { openDatabase, openMailer, openTemplates, signedLinks, deliveryMessageIds } from '../../src/wiring';

async function main(): Promise<void> {
  const loaded = loadConfig();
  // The test that starts this process sets PUBLIC_URL: links must match its server's.
  const config = { ...loaded, PUBLIC_URL: loaded.PUBLIC_URL! };
  const logger = createLogger(config.LOG_LEVEL);
  const database = await openDatabase({ ...config, DATABASE_POOL_SIZE: 4 }, logger);
  const mailer = openMailer(config, logger);
  const digests = createDigests({
    pool: database.db.pool,
    mailer,
    templates: openTemplates(config),
    links: signedLinks(config, config.PUBLIC_URL),
    messageIds: deliveryMessageIds(config),
    clock: systemClock,
    logger,
    newsletters: new NewsletterRepository({ pool: database.db.pool }),
    config,
    senderBeat: process.env.SENDER_BEAT !== 'off',
    senderOptions: { leaseSeconds: Number(process.env.SENDER_LEASE_SECONDS ?? config.SEND_LEASE_SECONDS), pollIntervalMs: 200 },
  });
  digests.sender.start();
  process.stdout.write('ready\n');
  process.once('SIGTERM', async () => {
    await digests.sender.stop();
    await mailer.close();
    await database.stop();
    process.exit(0);
  });
}

void main();
