import { z } from 'zod';
import { CONTROL_CHARACTERS, toPlainText, toSummary } from './plain-text';

/**
 * What an article looks like when it arrives (admin API, CLI file, feed item). One schema for all
 * three, so a feed item and a posted article are held to the same rules. Unknown fields are dropped.
 */
/** zod's default for a missing field reads "expected string, received undefined". */
const required = { error: (issue: { input: unknown }) => (issue.input === undefined ? 'is required' : 'must be a string') };

/**
 * PostgreSQL cannot store NUL in text (the write would fail), and no other control character belongs
 * in an article: refused with the field's name. Feeds are cleaned before they get here (feed-parser).
 */
const cleanString = (params?: typeof required) =>
  z.string(params).refine((v) => !CONTROL_CHARACTERS.test(v), 'must not contain control characters (such as NUL)');

/** An absolute http(s) URL: an article's link and image, a feed's address. */
export const httpUrl = cleanString(required)
  .trim()
  .max(2000, 'must be at most 2000 characters')
  .pipe(z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }));

const isoDate = z
  .string()
  .trim()
  .pipe(z.union([z.iso.datetime({ offset: true, local: true }), z.iso.date()], { message: 'must be an ISO 8601 date' }))
  .transform((v) => new Date(/T/.test(v) && !/(Z|[+-]\d\d:?\d\d)$/i.test(v) ? `${v}Z` : v))
  .refine((d) => !Number.isNaN(d.getTime()), 'must be an ISO 8601 date');

const text = (max: number) =>
  cleanString(required)
    .transform(toPlainText)
    .pipe(z.string().max(max, `must be at most ${max} characters`));

/** Empty strings and null mean "none": forms and feeds send both. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' || v === null ? undefined : v), schema.optional());

const articleFields = {
  sourceId: cleanString().trim().min(1).max(1000, 'must be at most 1000 characters').optional(),
  title: text(500).pipe(z.string().min(1, 'is required')),
  url: httpUrl,
  summary: optional(cleanString().transform(toSummary)),
  author: optional(text(200)),
  imageUrl: optional(httpUrl),
  publishedAt: optional(isoDate),
  categories: z
    .array(
      cleanString()
        .trim()
        .min(1, 'must not be empty')
        .max(50, 'must be at most 50 characters'),
    )
    .max(20, 'at most 20 categories')
    .transform((list) => [...new Set(list)]),
  /** Breaking news: sent at once to the alert newsletters it matches. Left out: the article keeps its flag. */
  breaking: z.boolean({ error: 'must be true or false' }).optional(),
};

export const articleInputSchema = z.object({ ...articleFields, categories: articleFields.categories.default([]) });

/** PATCH: every field optional (nothing defaulted), but present fields follow the same rules. */
export const articlePatchSchema = z.object(articleFields).partial();

export type ArticleInput = z.output<typeof articleInputSchema>;
export type ArticlePatch = z.output<typeof articlePatchSchema>;
