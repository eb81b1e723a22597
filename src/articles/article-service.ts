import { AppError, fieldErrors, validationError } from '../shared/errors';
import type { Clock } from '../shared/clock';
import { articleInputSchema, articlePatchSchema, type ArticleInput } from './article-input';
import {
  DuplicateSourceIdError,
  type Article,
  type ArticleData,
  type ArticlePageQuery,
  type ArticleRepository,
  type ArticleWrite,
  type UpsertOutcome,
} from './article-repository';

export type ArticleStore = Pick<
  ArticleRepository,
  'upsertBySourceId' | 'findById' | 'update' | 'delete' | 'list'
>;

export interface ImportReport {
  created: number;
  updated: number;
  unchanged: number;
  /** index: position in the file or feed (0-based); reason: `field: message; ...`. */
  invalid: Array<{ index: number; reason: string }>;
}

/**
 * Told when an article is breaking news, after it is written: the alerts are made from the stored
 * article, exactly once per article and alert newsletter however often this is called, so a
 * repeat costs little and a retry is safe.
 */
export interface BreakingNews {
  announce(articleId: number): Promise<void>;
}

/** The use cases of articles, whichever way they arrive: admin API, feed poll, file import. */
export class ArticleService {
  constructor(private readonly deps: { repository: ArticleStore; clock: Clock; breakingNews?: BreakingNews }) {}

  /** Idempotent: the same sourceId (default: the url) updates the article instead of duplicating it. */
  async create(input: unknown): Promise<{ article: Article; outcome: UpsertOutcome }> {
    const valid = this.validate(input);
    const written = await this.deps.repository.upsertBySourceId(this.toData(valid));
    await this.announceIfBreaking(written, valid.breaking);
    return { article: written.article, outcome: written.outcome };
  }

  async get(id: number): Promise<Article> {
    return (await this.deps.repository.findById(id)) ?? notFound();
  }

  /** PUT: every field given again; a missing sourceId keeps the article's identity. */
  async replace(id: number, input: unknown): Promise<Article> {
    const valid = this.validate(input);
    const data: Partial<ArticleData> = this.toData(valid);
    if (valid.sourceId === undefined) delete data.sourceId;
    return this.write(id, data);
  }

  /** PATCH: only the fields given change; null or '' clears an optional field. */
  async patch(id: number, input: unknown): Promise<Article> {
    const parsed = articlePatchSchema.safeParse(input ?? {});
    if (!parsed.success) throw validationError(fieldErrors(parsed.error));
    const given = parsed.data;
    const raw = (input ?? {}) as Record<string, unknown>;
    const data: Partial<ArticleData> = {};
    for (const key of ['sourceId', 'title', 'url', 'publishedAt', 'categories', 'breaking'] as const) {
      if (given[key] !== undefined) Object.assign(data, { [key]: given[key] });
    }
    for (const key of ['summary', 'author', 'imageUrl'] as const) {
      if (given[key] !== undefined) data[key] = given[key];
      else if (key in raw) data[key] = null;
    }
    return this.write(id, data);
  }

  async remove(id: number): Promise<void> {
    if (!(await this.deps.repository.delete(id))) notFound();
  }

  list(query: ArticlePageQuery): Promise<Article[]> {
    return this.deps.repository.list(query);
  }

  /**
   * Imports many items, one at a time: an invalid item is reported and skipped, the rest go in.
   * `feedId`: the feed they come from, recorded on each article (the Feeds page counts them).
   */
  async importMany(items: unknown[], source: { feedId?: number } = {}): Promise<ImportReport> {
    const report: ImportReport = { created: 0, updated: 0, unchanged: 0, invalid: [] };
    for (const [index, item] of items.entries()) {
      const parsed = articleInputSchema.safeParse(item);
      if (!parsed.success) {
        const reason = Object.entries(fieldErrors(parsed.error))
          .map(([field, message]) => `${field}: ${message}`)
          .join('; ');
        report.invalid.push({ index, reason });
        continue;
      }
      const written = await this.deps.repository.upsertBySourceId({ ...this.toData(parsed.data), feedId: source.feedId });
      // Only a change announces: a feed repeats its items every poll (a lost announcement is made
      // up by the alerts' catch-up, see src/digests/alert-jobs.ts).
      await this.announceIfBreaking(written, undefined);
      report[written.outcome]++;
    }
    return report;
  }

  private validate(input: unknown): ArticleInput {
    const parsed = articleInputSchema.safeParse(input ?? {});
    if (!parsed.success) throw validationError(fieldErrors(parsed.error));
    return parsed.data;
  }

  private toData(input: ArticleInput): ArticleData {
    return {
      sourceId: input.sourceId ?? input.url,
      title: input.title,
      url: input.url,
      summary: input.summary ?? null,
      author: input.author ?? null,
      imageUrl: input.imageUrl ?? null,
      publishedAt: input.publishedAt ?? this.deps.clock.now(),
      categories: input.categories,
      breaking: input.breaking,
    };
  }

  private async write(id: number, data: Partial<ArticleData>): Promise<Article> {
    let written: ArticleWrite;
    try {
      written = (await this.deps.repository.update(id, data)) ?? notFound();
    } catch (err) {
      if (err instanceof DuplicateSourceIdError) throw new AppError('CONFLICT', err.message);
      throw err;
    }
    await this.announceIfBreaking(written, data.breaking);
    return written.article;
  }

  /**
   * After the write, never before: the alert is made from the stored row. An editor who sends
   * `breaking: true` again is announced again, so a request whose announcement failed (answered
   * 5xx after the write) can simply be repeated; nothing is sent twice.
   */
  private async announceIfBreaking(written: ArticleWrite, asked: boolean | undefined): Promise<void> {
    if (!written.article.breaking || !(written.becameBreaking || asked === true)) return;
    await this.deps.breakingNews?.announce(written.article.id);
  }
}

function notFound(): never {
  throw new AppError('NOT_FOUND', 'No such article');
}
