import { Router, type Response } from 'express';
import type { ArticleService } from '../../articles/article-service';
import type { AuditedArticles } from '../../articles/audited-articles';
import { AppError } from '../../shared/errors';
import { actorIn } from '../admin-auth';
import type { Pages } from '../pages';
import { decodeCursor, encodeCursor } from '../routes/admin-articles';
import { idIn, sendConsolePage } from './console-pages';
import { setFlash } from './console-session';

const PAGE_SIZE = 50;
/** Longer searches are cut: a title is at most 500 characters. */
const MAX_SEARCH = 200;

/**
 * Articles (editors and admins): newest first by cursor, searched by title, breaking only; one
 * article's edit form, "mark breaking" and delete (after a confirmation page), through the admin
 * API's use cases, each change in the audit log.
 */
export function articlesRouter(deps: { articles: ArticleService; articleEdits: AuditedArticles; pages: Pages; secureCookies: boolean }): Router {
  const router = Router();
  const { articles, articleEdits: edits, pages } = deps;
  const flash = (res: Response, text: string) => setFlash(res, { kind: 'ok', text }, deps.secureCookies);

  router.get('/admin/articles', async (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q.trim().slice(0, MAX_SEARCH) : '';
    const breakingOnly = req.query.breaking === '1';
    const after = pageCursor(req.query.before);
    const list = await articles.list({ limit: PAGE_SIZE + 1, order: 'published', after, titleContains: q || undefined, breakingOnly });
    const shown = list.slice(0, PAGE_SIZE);
    const filters = new URLSearchParams({ ...(q && { q }), ...(breakingOnly && { breaking: '1' }) });
    const link = (extra: Record<string, string>) => `/admin/articles?${new URLSearchParams({ ...Object.fromEntries(filters), ...extra })}`.replace(/\?$/, '');
    sendConsolePage(pages, res, 'articles', {
      articles: shown,
      q,
      breakingOnly,
      first: after === undefined,
      newest: link({}),
      next: list.length > PAGE_SIZE ? link({ before: encodeCursor(shown.at(-1)!, 'published') }) : null,
    });
  });

  router.get('/admin/articles/:id', async (req, res) => {
    const article = await articles.get(idIn(req, 'article'));
    sendConsolePage(pages, res, 'article', { article, values: formValues(article), errors: {} });
  });

  router.post('/admin/articles/:id', async (req, res) => {
    const id = idIn(req, 'article');
    const body = (req.body ?? {}) as Record<string, unknown>;
    try {
      const article = await edits.edit(actorIn(res), id, articleInput(body));
      flash(res, `"${article.title}" is saved.`);
      res.redirect(303, `/admin/articles/${id}`);
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'VALIDATION') throw err;
      const article = await articles.get(id);
      sendConsolePage(pages, res, 'article', { article, values: submitted(body), errors: formErrors(err.details.fields ?? {}) }, 400);
    }
  });

  router.post('/admin/articles/:id/breaking', async (req, res) => {
    const id = idIn(req, 'article');
    await edits.markBreaking(actorIn(res), id);
    flash(res, 'Marked breaking: the alert newsletters it matches get it now, once.');
    res.redirect(303, `/admin/articles/${id}`);
  });

  router.get('/admin/articles/:id/delete', async (req, res) => {
    sendConsolePage(pages, res, 'article-delete', { article: await articles.get(idIn(req, 'article')) });
  });

  router.post('/admin/articles/:id/delete', async (req, res) => {
    const article = await edits.remove(actorIn(res), idIn(req, 'article'));
    flash(res, `"${article.title}" is deleted.`);
    res.redirect(303, '/admin/articles');
  });

  return router;
}

/** A cursor from a link of ours; anything else is no page of this list. */
function pageCursor(raw: unknown): { id: number; publishedAt?: Date } | undefined {
  if (raw === undefined) return undefined;
  try {
    if (typeof raw === 'string' && raw.includes('~')) return decodeCursor(raw, 'published');
  } catch {
    // Below: the same answer as for anything else that is not one of our cursors.
  }
  throw new AppError('NOT_FOUND', 'No such page of articles');
}

/** The edit form's fields as the admin API's body (PUT): categories comma-separated, the box ticked or not. */
function articleInput(body: Record<string, unknown>) {
  const typed = submitted(body);
  return { ...typed, categories: typed.categories.split(',').map((c) => c.trim()).filter(Boolean) };
}

type Values = Record<'title' | 'url' | 'summary' | 'author' | 'imageUrl' | 'publishedAt' | 'categories', string> & { breaking: boolean };

function formValues(a: { title: string; url: string; summary: string | null; author: string | null; imageUrl: string | null; publishedAt: Date; categories: string[]; breaking: boolean }): Values {
  return {
    title: a.title,
    url: a.url,
    summary: a.summary ?? '',
    author: a.author ?? '',
    imageUrl: a.imageUrl ?? '',
    // datetime-local, in UTC to the second (the label says so).
    publishedAt: a.publishedAt.toISOString().slice(0, 19),
    categories: a.categories.join(', '),
    breaking: a.breaking,
  };
}

/** What was typed, shown again with the errors. */
function submitted(body: Record<string, unknown>): Values {
  const text = (key: string) => (typeof body[key] === 'string' ? (body[key] as string) : '');
  return {
    title: text('title'),
    url: text('url'),
    summary: text('summary'),
    author: text('author'),
    imageUrl: text('imageUrl'),
    publishedAt: text('publishedAt'),
    categories: text('categories'),
    breaking: body.breaking === 'true',
  };
}

/** `categories.2` is the one categories field of the form. */
function formErrors(fields: Record<string, string>): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const [key, message] of Object.entries(fields)) errors[key.split('.')[0]!] ??= message;
  return errors;
}
