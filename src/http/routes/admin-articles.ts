import { Router, type Request } from 'express';
import { z } from 'zod';
import type { Article } from '../../articles/article-repository';
import type { ArticleService } from '../../articles/article-service';
import { AppError, fieldErrors, validationError } from '../../shared/errors';
import { requireAdmin, type AdminApiAuth } from '../admin-auth';
import { MAX_ROW_ID } from '../../shared/row-id';

const MAX_PAGE = 200;
const NOT_A_CURSOR = 'must be a nextCursor from a previous page';

/**
 * GET ?limit&order=published|id&cursor: `published` (default) pages newest first, `id` pages in
 * insertion order (for syncing). The answer's nextCursor, passed back as cursor, gives the next page.
 */
const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(50),
  order: z.enum(['published', 'id']).default('published'),
  cursor: z
    .string()
    .regex(/^\d+(~\d+)?$/, NOT_A_CURSOR)
    .optional(),
});

/** /api/admin/articles: create (idempotent by sourceId), read, update, delete. Editors and admins alike. */
export function adminArticlesRouter(deps: { articles: ArticleService; auth: AdminApiAuth }): Router {
  const { articles } = deps;
  const routes = Router();

  routes.get('/', async (req, res) => {
    const parsed = listQuerySchema.safeParse(req.query);
    if (!parsed.success) throw validationError(fieldErrors(parsed.error));
    const { limit, order, cursor } = parsed.data;
    const page = await articles.list({ limit, order, after: decodeCursor(cursor, order) });
    const last = page.at(-1);
    res.json({
      articles: page.map(toJson),
      nextCursor: last && page.length === limit ? encodeCursor(last, order) : null,
    });
  });

  routes.post('/', async (req, res) => {
    const { article, outcome } = await articles.create(req.body);
    res.status(outcome === 'created' ? 201 : 200).json({ article: toJson(article), outcome });
  });

  routes.get('/:id', async (req, res) => {
    res.json({ article: toJson(await articles.get(idParam(req))) });
  });

  routes.put('/:id', async (req, res) => {
    res.json({ article: toJson(await articles.replace(idParam(req), req.body)) });
  });

  routes.patch('/:id', async (req, res) => {
    res.json({ article: toJson(await articles.patch(idParam(req), req.body)) });
  });

  routes.delete('/:id', async (req, res) => {
    await articles.remove(idParam(req));
    res.status(204).end();
  });

  const router = Router();
  // Scoped to the path: a bare router.use() would demand the token from every later router too.
  router.use('/api/admin/articles', requireAdmin(deps.auth), routes);
  return router;
}

function idParam(req: Request): number {
  const raw = String(req.params.id);
  const id = /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!(id >= 1 && id <= MAX_ROW_ID)) throw new AppError('NOT_FOUND', 'No such article');
  return id;
}

/** `<publishedAt ms>~<id>` (order published) or `<id>`: the console's article pages use the same cursor. */
export function encodeCursor(article: Article, order: 'published' | 'id'): string {
  return order === 'id' ? String(article.id) : `${article.publishedAt.getTime()}~${article.id}`;
}

export function decodeCursor(cursor: string | undefined, order: 'published' | 'id'): { id: number; publishedAt?: Date } | undefined {
  if (!cursor) return undefined;
  const [first, second] = cursor.split('~');
  if (order === 'id') {
    if (second !== undefined) throw validationError({ cursor: 'belongs to order=published' });
    return { id: cursorId(first) };
  }
  if (second === undefined) throw validationError({ cursor: 'belongs to order=id' });
  // A number of digits can overflow a Date (Invalid Date) or the id column: refused, not queried.
  const publishedAt = new Date(Number(first));
  if (Number.isNaN(publishedAt.getTime())) throw validationError({ cursor: NOT_A_CURSOR });
  return { id: cursorId(second), publishedAt };
}

function cursorId(digits: string | undefined): number {
  const id = Number(digits);
  if (!Number.isSafeInteger(id) || id > MAX_ROW_ID) throw validationError({ cursor: NOT_A_CURSOR });
  return id;
}

function toJson(article: Article) {
  return {
    id: article.id,
    sourceId: article.sourceId,
    title: article.title,
    url: article.url,
    summary: article.summary,
    author: article.author,
    imageUrl: article.imageUrl,
    publishedAt: article.publishedAt.toISOString(),
    categories: article.categories,
    breaking: article.breaking,
    createdAt: article.createdAt.toISOString(),
    updatedAt: article.updatedAt.toISOString(),
  };
}
