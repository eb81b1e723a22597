import type { PrismaClient } from '../generated/prisma/client';
import type { Clock } from '../shared/clock';
import { EditionArchive } from './edition-archive';
import { NewsletterAdminRepository } from './newsletter-admin-repository';
import type { NewsletterRepository } from './newsletter-repository';
import { NewsletterService } from './newsletter-service';

/** The operator's side of newsletters (admin API) and the public archive, wired from the database. */
export function createNewsletterAdmin(deps: {
  prisma: PrismaClient;
  newsletters: NewsletterRepository;
  clock: Clock;
  /** Runs after every change: the wiring makes the schedules follow (NewsletterSchedules.sync). */
  onChange: () => Promise<void>;
}): { newsletterService: NewsletterService } {
  const { prisma } = deps;
  return {
    newsletterService: new NewsletterService({
      newsletters: deps.newsletters,
      store: new NewsletterAdminRepository({ prisma }),
      archive: new EditionArchive({ prisma }),
      clock: deps.clock,
      onChange: deps.onChange,
    }),
  };
}
