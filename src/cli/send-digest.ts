// `npm run digest:now -- <newsletter slug>` (daily, weekly or any digest newsletter): composes its edition now and sends it through the configured
// mailer (the outbox folder by default), then reports. Works beside a running `npm start`: both
// share the delivery ledger, so nobody is mailed twice.
import path from 'node:path';
import { commandEnvironment, loadConfig } from '../config';
import { createDigests } from '../digests/create-digests';
import { systemClock } from '../shared/clock';
import { slugSchema } from '../newsletters/newsletter';
import { NewsletterRepository } from '../newsletters/newsletter-repository';
import { isLoopback } from '../shared/network-address';
import { disablePretenuring } from '../shared/pretenuring';
import { commandLogger, openDatabase, openMailer, openTemplates, signedLinks, deliveryMessageIds, withPublicUrl } from '../wiring';

async function main(argv: string[]): Promise<number> {
  disablePretenuring();
  const slug = argv[0];
  if (!slugSchema.safeParse(slug).success || argv.length > 1) {
    console.error('usage: npm run digest:now -- <newsletter>   (its slug, e.g. daily or weekly)');
    return 2;
  }
  const loaded = loadConfig(commandEnvironment());
  if (!loaded.PUBLIC_URL && loaded.PORT === 0) {
    console.error(
      'digest:now: with PORT=0 and no PUBLIC_URL the links in this edition would name no port. ' +
        'Set PUBLIC_URL to the publicUrl of the server\'s "Bulletin is running" log line and run it again.',
    );
    return 2;
  }
  // The same base as the running server's links (see startBulletin).
  const config = withPublicUrl(loaded, loaded.PORT);
  const again = `npm run digest:now -- ${slug}`;
  const logger = commandLogger(config);
  const database = await openDatabase({ ...config, DATABASE_POOL_SIZE: 4 }, logger);
  const newsletters = new NewsletterRepository({ pool: database.db.pool });
  const newsletter = await newsletters.bySlug(slug as string);
  if (!newsletter || newsletter.archivedAt || newsletter.kind !== 'digest') {
    const known = (await newsletters.active()).filter((n) => n.kind === 'digest').map((n) => n.slug);
    console.error(`digest:now: no active digest newsletter "${slug}". Digest newsletters: ${known.join(', ') || 'none'}.`);
    await database.stop();
    return 2;
  }
  const name = newsletter.slug;
  const mailer = openMailer(config, logger);
  const digests = createDigests({
    pool: database.db.pool,
    mailer,
    templates: openTemplates(config),
    // The same key as the server, or the unsubscribe links in these emails would not verify.
    links: signedLinks(config, config.PUBLIC_URL),
    messageIds: deliveryMessageIds(config),
    clock: systemClock,
    logger,
    newsletters,
    config,
    senderOptions: { pollIntervalMs: 200 },
  });
  try {
    const result = await digests.composer.compose(newsletter, new Date());
    if (result.outcome === 'empty') {
      const since = result.previousEditionAt
        ? `since the previous ${name} edition (${stamp(result.previousEditionAt)})`
        : `since the schedule's previous slot (${stamp(result.windowStart)})`;
      const matching = newsletter.categories.length ? ` in ${newsletter.categories.join(', ')}` : '';
      console.log(`No articles${matching} ${since}: nothing to send.`);
      console.log(`Next: npm run sample:articles (it dates the samples after the latest edition), then ${again}.`);
      return 0;
    }
    if (result.outcome === 'no-recipients') {
      console.log(`No confirmed ${name} subscribers yet, so nothing was sent; the ${result.articles} articles wait for the next edition.`);
      console.log(`Next: with npm start running, subscribe at ${config.PUBLIC_URL}/ (${name} digest), ${whereToConfirm(config)}, then ${again}.`);
      return 0;
    }
    if (result.outcome === 'exists') {
      console.log(`A ${name} edition for this moment already exists (the schedule or another run made it just now): nothing new to send.`);
      console.log(`Next: add articles (npm run sample:articles) and run ${again} again in a minute.`);
      return 0;
    }
    console.log(`Composed ${name} edition #${result.digestId}: ${result.articles} articles, ${result.recipients} recipients.`);
    digests.sender.start();
    let progress = await digests.ledger.progress(result.digestId);
    while (progress.due > 0) {
      await new Promise((r) => setTimeout(r, 200));
      progress = await digests.ledger.progress(result.digestId);
    }
    console.log(`Sent ${progress.sent}, failed ${progress.failed}, skipped ${progress.skipped}.`);
    if (progress.later) console.log(`${progress.later} deliveries wait for a retry; the running service sends them.`);
    console.log(`Web version: ${config.PUBLIC_URL}/digests/${result.publicId}`);
    if (!config.SMTP_URL) {
      const viewer = isLoopback(config.HOST) ? ` (and at ${config.PUBLIC_URL}/outbox while npm start runs)` : '';
      console.log(`Emails are in ${path.resolve(config.OUTBOX_DIR)}${viewer}.`);
    }
    return 0;
  } catch (err) {
    console.error(`digest:now: ${(err as Error).message}`);
    return 1;
  } finally {
    await digests.sender.stop();
    await mailer.close();
    await database.stop();
  }
}

/** Where the confirmation email can be read: a mailbox, the outbox viewer or the outbox folder. */
function whereToConfirm(config: { SMTP_URL?: string; HOST: string; OUTBOX_DIR: string; PUBLIC_URL: string }): string {
  if (config.SMTP_URL) return 'click the link in the confirmation email';
  if (isLoopback(config.HOST)) return `click the link in the confirmation email at ${config.PUBLIC_URL}/outbox`;
  return `click the link in the confirmation email (a .eml file in ${path.resolve(config.OUTBOX_DIR)})`;
}

function stamp(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

// A bad setting or an unreachable database is one sentence for the user, not a stack trace.
if (require.main === module) {
  void main(process.argv.slice(2))
    .catch((err: Error) => {
      console.error(`digest:now: ${err.message}`);
      return 1;
    })
    .then((code) => (process.exitCode = code));
}
