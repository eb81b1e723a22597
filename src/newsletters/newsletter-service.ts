import type { z } from 'zod';
import { AppError, fieldErrors, validationError } from '../shared/errors';
import type { Clock } from '../shared/clock';
import type { Newsletter } from './newsletter';
import type { NewsletterRepository } from './newsletter-repository';
import { DuplicateSlugError, type NewsletterAdminRepository, type NewsletterData, type NewsletterUse } from './newsletter-admin-repository';
import type { ArchiveCursor, ArchivedEdition, EditionArchive } from './edition-archive';
import { newsletterCreateSchema, newsletterPatchSchema, scheduleProblems } from './newsletter-input';

export interface NewsletterWithCount {
  newsletter: Newsletter;
  /** Confirmed subscribers who hold a subscription to it. */
  confirmedSubscribers: number;
}

export type RemoveOutcome = { outcome: 'deleted' } | { outcome: 'archived'; newsletter: Newsletter; use: NewsletterUse };

/** What the public archive page shows; `editions` is absent when the newsletter keeps it private. */
export interface ArchivePage {
  newsletter: Newsletter;
  editions?: ArchivedEdition[];
  next?: ArchiveCursor;
}

export const ARCHIVE_PAGE_SIZE = 30;

/**
 * The operator's use cases for newsletters (admin API) and the public archive. After every change
 * `onChange` runs, so the schedules follow at once (NewsletterSchedules.sync in the wiring); the
 * change is committed before it runs, so a failing sync is reported but the change stays.
 */
export class NewsletterService {
  constructor(
    private readonly deps: {
      newsletters: Pick<NewsletterRepository, 'all' | 'bySlug'>;
      store: Pick<NewsletterAdminRepository, 'create' | 'update' | 'nextPosition' | 'confirmedSubscriberCounts' | 'deleteIfUnused'>;
      archive: Pick<EditionArchive, 'page'>;
      clock: Clock;
      onChange: () => Promise<void>;
    },
  ) {}

  async create(input: unknown): Promise<Newsletter> {
    const given = parse(newsletterCreateSchema, input);
    const cron = given.cron ?? null;
    refuseIfAny(scheduleProblems({ ...given, cron }));
    const data: NewsletterData = {
      ...given,
      cron,
      position: given.position ?? (await this.deps.store.nextPosition()),
      fromName: given.fromName ?? null,
      replyTo: given.replyTo ?? null,
      archivedAt: null,
    };
    const created = await this.deps.store.create(data).catch(slugTaken);
    await this.deps.onChange();
    return created;
  }

  async list(): Promise<NewsletterWithCount[]> {
    const [all, counts] = await Promise.all([this.deps.newsletters.all(), this.deps.store.confirmedSubscriberCounts()]);
    return all.map((newsletter) => ({ newsletter, confirmedSubscribers: counts.get(newsletter.id) ?? 0 }));
  }

  async get(slug: string): Promise<NewsletterWithCount> {
    const newsletter = await this.find(slug);
    const counts = await this.deps.store.confirmedSubscriberCounts([newsletter.id]);
    return { newsletter, confirmedSubscribers: counts.get(newsletter.id) ?? 0 };
  }

  /** Only the fields given change; the result is checked as a whole (a digest keeps a valid cron). */
  async patch(slug: string, input: unknown): Promise<Newsletter> {
    const current = await this.find(slug);
    const { archived, ...given } = parse(newsletterPatchSchema, input);
    const problems: Record<string, string> = {};
    if (given.kind !== undefined && given.kind !== current.kind) {
      // Its editions are all of one kind; an alert list is not a digest list with another name.
      problems.kind = `cannot change: this newsletter is ${an(current.kind)}; create a new newsletter instead`;
    }
    if (given.slug !== undefined && given.slug !== current.slug) {
      problems.slug = 'cannot change: it is in the archive address, List-Id and readers\' filters; create a new newsletter instead';
    }
    Object.assign(problems, scheduleProblems({ ...current, ...given }));
    refuseIfAny(problems);

    const data: Partial<NewsletterData> = { ...given };
    if (archived !== undefined) data.archivedAt = archived ? (current.archivedAt ?? this.deps.clock.now()) : null;
    const updated = await this.deps.store.update(current.id, data).catch(slugTaken);
    await this.deps.onChange();
    return updated;
  }

  /**
   * Deletes a newsletter nobody used; one with subscriptions, editions or consent records is
   * archived instead (its history stays), and the answer says so.
   */
  async remove(slug: string): Promise<RemoveOutcome> {
    const current = await this.find(slug);
    const result = await this.deps.store.deleteIfUnused(current.id);
    if (result.deleted) {
      await this.deps.onChange();
      return { outcome: 'deleted' };
    }
    const newsletter = current.archivedAt ? current : await this.deps.store.update(current.id, { archivedAt: this.deps.clock.now() });
    await this.deps.onChange();
    return { outcome: 'archived', newsletter, use: result.use };
  }

  /** The public page of an active newsletter: its signup box, and its editions unless it keeps them private. */
  async archivePage(slug: string, before?: ArchiveCursor): Promise<ArchivePage> {
    const newsletter = await this.deps.newsletters.bySlug(slug);
    if (!newsletter || newsletter.archivedAt) throw new AppError('NOT_FOUND', 'No such newsletter');
    if (!newsletter.publicArchive) return { newsletter };
    return { newsletter, ...(await this.deps.archive.page(newsletter.id, ARCHIVE_PAGE_SIZE, before)) };
  }

  private async find(slug: string): Promise<Newsletter> {
    const newsletter = await this.deps.newsletters.bySlug(slug);
    if (!newsletter) throw new AppError('NOT_FOUND', 'No such newsletter');
    return newsletter;
  }
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  // A misspelt field ("timezone") is named itself, instead of the whole body.
  const unknown = parsed.error.issues.flatMap((i) => (i.code === 'unrecognized_keys' ? i.keys : []));
  const fields = fieldErrors(parsed.error);
  if (unknown.length) delete fields.body;
  for (const key of unknown) fields[key] = 'is not a field of a newsletter';
  throw validationError(fields);
}

function refuseIfAny(problems: Record<string, string>): void {
  if (Object.keys(problems).length) throw validationError(problems);
}

function slugTaken(err: unknown): never {
  if (err instanceof DuplicateSlugError) throw validationError({ slug: `"${err.slug}" is taken by another newsletter` });
  throw err;
}

function an(kind: string): string {
  return kind === 'alert' ? 'an alert' : 'a digest';
}
