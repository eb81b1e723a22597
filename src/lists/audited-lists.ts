import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { Actor } from '../accounts/actor';
import type { AuditLog } from '../accounts/audit-log';
import type { NewsletterRepository } from '../newsletters/newsletter-repository';
import { fieldErrors, validationError } from '../shared/errors';
import type { ImportOptions, ImportReport, ListImport } from './list-import';
import type { ExportFilter, SubscriberExport } from './subscriber-export';

/** Newsletters by slug: repeated fields (a form's checkboxes) or one comma-separated value (a query string). */
const slugList = z.preprocess(
  (v) => (Array.isArray(v) ? v : v === undefined ? [] : [v]).flatMap((s) => String(s).split(',')).map((s) => s.trim()).filter(Boolean),
  z.array(z.string().max(64, 'A newsletter slug has 64 characters at most')).min(1, 'Choose at least one newsletter').max(100),
);
const column = z.string().trim().min(1, 'Name a column of the file').max(200).optional();

/** What an import asks for, as the admin API's query string and the console's form both give it. */
export const importRequestSchema = z.object({
  newsletters: slugList,
  status: z.enum(['confirmed', 'pending'], { error: 'Choose confirmed or pending' }),
  consent: z
    .string({ error: 'State how these people consented, e.g. “Signed up at our stand, 2026”' })
    .trim()
    .min(1, 'State how these people consented, e.g. “Signed up at our stand, 2026”')
    .max(2000, 'The consent statement can be 2000 characters at most'),
  email: column,
  name: column,
  skipInvalid: z.enum(['true', 'false'], { error: 'Use true or false' }).optional(),
});

export const exportRequestSchema = z.object({
  status: z.enum(['pending', 'confirmed', 'unsubscribed'], { error: 'Choose pending, confirmed or unsubscribed' }).optional(),
  newsletter: z.string().trim().min(1).max(64).optional(),
});

/** Import options checked and resolved, with the slugs the operator chose (for the audit entry). */
export type ResolvedImport = ImportOptions & { slugs: string[] };

/**
 * A list import or export as an operator asks for it, from the admin API or the console: the same
 * input rules, the same resolution of newsletter slugs, and the same audit entry (counts and
 * choices, never an address). The import and export themselves are ListImport and SubscriberExport.
 */
export class AuditedLists {
  constructor(
    private readonly deps: {
      imports: Pick<ListImport, 'run'>;
      exports: Pick<SubscriberExport, 'csv'>;
      newsletters: Pick<NewsletterRepository, 'active' | 'bySlug'>;
      audit: Pick<AuditLog, 'record'>;
    },
  ) {}

  /** The request's import options, or a validation error naming every field at fault. */
  async importOptions(input: unknown): Promise<ResolvedImport> {
    const parsed = importRequestSchema.safeParse(input);
    if (!parsed.success) throw validationError(fieldErrors(parsed.error));
    const query = parsed.data;
    const active = new Map((await this.deps.newsletters.active()).map((n) => [n.slug, n.id]));
    const missing = query.newsletters.filter((slug) => !active.has(slug));
    if (missing.length) throw validationError({ newsletters: `No active newsletter ${missing.map((s) => `"${s}"`).join(', ')}` });
    return {
      slugs: query.newsletters,
      newsletterIds: [...new Set(query.newsletters.map((slug) => active.get(slug)!))],
      status: query.status,
      consent: query.consent,
      mapping: { email: query.email, name: query.name },
      skipInvalid: query.skipInvalid === 'true',
    };
  }

  /** Imports `file` (ListImport: whole or nothing); a written import is audited as `list_imported`. */
  async import(actor: Actor, file: Readable, options: ResolvedImport): Promise<ImportReport> {
    const { slugs, ...importOptions } = options;
    const report = await this.deps.imports.run(file, importOptions, actor.label);
    if (report.written) {
      const { format, rows, imported, merged, duplicates, skippedCount, invalidCount } = report;
      await this.deps.audit.record(actor, 'list_imported', undefined, {
        newsletters: slugs,
        status: options.status,
        format,
        rows,
        imported,
        merged,
        duplicates,
        skipped: skippedCount,
        invalid: invalidCount,
      });
    }
    return report;
  }

  /**
   * The export's lines, after checking the filter and recording `subscribers_exported`: recorded
   * before the first byte, so a hand-out is logged even if the client stops reading.
   */
  async export(actor: Actor, input: unknown): Promise<AsyncGenerator<string>> {
    const parsed = exportRequestSchema.safeParse(input);
    if (!parsed.success) throw validationError(fieldErrors(parsed.error));
    const query = parsed.data;
    const filter: ExportFilter = { status: query.status };
    if (query.newsletter !== undefined) {
      const newsletter = await this.deps.newsletters.bySlug(query.newsletter);
      if (!newsletter) throw validationError({ newsletter: `No newsletter "${query.newsletter}"` });
      filter.newsletterId = newsletter.id;
    }
    await this.deps.audit.record(actor, 'subscribers_exported', undefined, { status: query.status ?? null, newsletter: query.newsletter ?? null });
    return this.deps.exports.csv(filter, actor.label);
  }
}
