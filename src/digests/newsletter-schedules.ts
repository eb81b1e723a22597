import { ensureQueue, type PgBoss } from '../jobs/job-queue';
import type { Newsletter } from '../newsletters/newsletter';
import type { NewsletterRepository } from '../newsletters/newsletter-repository';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import type { EditionComposer } from './edition-composer';
import { latestSlot } from './slots';

/** The one queue of every digest newsletter's schedule; each schedule is keyed by its slug. */
export const EDITIONS_QUEUE = 'newsletter-editions';

/** The queues of the schedules before newsletters existed; their schedules are removed. */
const LEGACY_QUEUES = ['digest-daily', 'digest-weekly'];

/**
 * A scheduled job may run a little before the slot by this process's clock (pg-boss fires on the
 * database's clock): up to this much early still counts as that slot.
 */
const CLOCK_SKEW_MS = 30_000;

interface EditionJob {
  newsletterId: number;
}

/** A newsletter whose editions come on a schedule: an active digest with a cron. */
type ScheduledNewsletter = Newsletter & { cron: string };

function isScheduled(n: Newsletter): n is ScheduledNewsletter {
  return n.kind === 'digest' && !n.archivedAt && !!n.cron;
}

/**
 * One pg-boss schedule per active digest newsletter, on one queue, keyed by its slug and in its
 * time zone: pg-boss fires each (queue, key) once per slot across all instances, so newsletters
 * whose slots coincide each get their job, and the digest table's unique (newsletter_id,
 * edition_key) absorbs any repeat. At start, the most recent slot of each newsletter is composed if
 * the service was down when it came due.
 */
export class NewsletterSchedules {
  private queueReady: Promise<void> | undefined;

  constructor(
    private readonly deps: {
      boss: PgBoss;
      composer: EditionComposer;
      newsletters: Pick<NewsletterRepository, 'active' | 'byId'>;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  /** Takes the scheduled jobs in this process, brings the schedules up to date and catches up. */
  async start(): Promise<void> {
    await this.ensureQueue();
    await this.deps.boss.work<EditionJob>(EDITIONS_QUEUE, async (jobs) => {
      for (const job of jobs) await this.fire(job.data.newsletterId);
    });
    await this.sync();
    await this.catchUp();
  }

  /**
   * Makes the stored schedules those of the active digest newsletters: upserts each one's (cron,
   * time zone), removes the keys of newsletters gone, archived or turned into no digest, and the
   * schedules of the queues before newsletters. Safe to run from any instance at any time (after
   * every change to the newsletters).
   */
  async sync(): Promise<void> {
    const { boss } = this.deps;
    await this.ensureQueue();
    const wanted = (await this.deps.newsletters.active()).filter(isScheduled);
    for (const n of wanted) {
      await boss.schedule(EDITIONS_QUEUE, n.cron, { newsletterId: n.id } satisfies EditionJob, { tz: n.timeZone, key: n.slug });
    }
    const keep = new Set(wanted.map((n) => n.slug));
    for (const schedule of await boss.getSchedules(EDITIONS_QUEUE)) {
      if (!keep.has(schedule.key)) await boss.unschedule(EDITIONS_QUEUE, schedule.key);
    }
    for (const queue of LEGACY_QUEUES) {
      // The queue may never have existed (a database made after newsletters did).
      const stale = await boss.getSchedules(queue).catch(() => []);
      for (const schedule of stale) await boss.unschedule(queue, schedule.key);
    }
  }

  /** Takes no more scheduled jobs; one running finishes with the job queue's graceful stop. */
  async stop(): Promise<void> {
    await this.deps.boss.offWork(EDITIONS_QUEUE, { wait: false }).catch(() => {});
  }

  /** Composes the latest past slot of each scheduled newsletter unless it (or a later edition) exists. */
  async catchUp(): Promise<void> {
    const now = this.deps.clock.now();
    for (const n of (await this.deps.newsletters.active()).filter(isScheduled)) {
      await this.composeSlot(n, latestSlot(n.cron, n.timeZone, now), 'catch-up').catch((err) =>
        this.deps.logger.error({ err, newsletter: n.slug }, 'digest catch-up failed'),
      );
    }
  }

  /** A slot came due: the newsletter as it is now (it may have been archived or changed since). */
  private async fire(newsletterId: number): Promise<void> {
    const newsletter = await this.deps.newsletters.byId(newsletterId);
    if (!newsletter || !isScheduled(newsletter)) {
      this.deps.logger.info({ newsletterId }, 'scheduled edition skipped: the newsletter is gone, archived or not a scheduled digest');
      return;
    }
    const at = new Date(this.deps.clock.now().getTime() + CLOCK_SKEW_MS);
    await this.composeSlot(newsletter, latestSlot(newsletter.cron, newsletter.timeZone, at), 'schedule');
  }

  private async composeSlot(newsletter: ScheduledNewsletter, slot: Date, reason: string): Promise<void> {
    const result = await this.deps.composer.compose(newsletter, slot);
    this.deps.logger.info({ newsletter: newsletter.slug, slot, reason, outcome: result.outcome }, 'digest slot handled');
  }

  private ensureQueue(): Promise<void> {
    this.queueReady ??= ensureQueue(this.deps.boss, EDITIONS_QUEUE, { retryLimit: 3, retryDelay: 60, retryBackoff: true }).catch((err) => {
      this.queueReady = undefined;
      throw err;
    });
    return this.queueReady;
  }
}
