import { Router, type ErrorRequestHandler } from 'express';
import type { Accounts } from '../../accounts/create-accounts';
import type { ArticleService } from '../../articles/article-service';
import type { AuditedArticles } from '../../articles/audited-articles';
import type { FeedService } from '../../articles/feed-service';
import type { SubscriberAdmin } from '../../lists/create-lists';
import type { WebhookRegistry } from '../../events/webhook-registry';
import type { AuditedLists } from '../../lists/audited-lists';
import type { NewsletterRepository } from '../../newsletters/newsletter-repository';
import { AppError } from '../../shared/errors';
import { requireRole } from '../admin-auth';
import { wantsHtml } from '../error-handler';
import type { Pages } from '../pages';
import type { FixedWindowRateLimiter } from '../rate-limit';
import { accountRouter } from './account-routes';
import { articlesRouter } from './articles-routes';
import { auditRouter } from './audit-routes';
import { dashboardRouter } from './dashboard-routes';
import { editionsRouter } from './editions-routes';
import { newslettersRouter } from './newsletters-routes';
import { curationRouter } from './curation-routes';
import type { Newsroom } from './newsroom';
import { sendConsolePage } from './console-pages';
import { feedsRouter } from './feeds-routes';
import { importRouter } from './import-routes';
import { multipartForm } from './multipart-form';
import { loadConsole, requireFormToken, requireSession, sameOriginForms } from './console-session';
import { signInRouter } from './sign-in-routes';
import { subscribersRouter } from './subscribers-routes';
import { tokensRouter } from './tokens-routes';
import { usersRouter } from './users-routes';
import { webhooksRouter } from './webhooks-routes';

/**
 * The newsroom console under /admin: server-rendered pages behind a session. Order matters: the
 * session and the origin check first, then the doors (sign-in, set-password links), then
 * everything else behind a session and its form token, the admins' pages behind the admin role.
 */
export function consoleRouter(deps: Accounts & {
  articles: ArticleService;
  articleEdits: AuditedArticles;
  feeds: FeedService;
  pages: Pages;
  publicUrl: string;
  loginLimits: { perIp: FixedWindowRateLimiter; perAddress: FixedWindowRateLimiter };
  newsroom: Newsroom;
  subscribers: SubscriberAdmin;
  webhooks: WebhookRegistry;
  lists: { lists: AuditedLists; newsletters: Pick<NewsletterRepository, 'active' | 'all'>; maxImportMb: number };
}): Router {
  const { pages } = deps;
  // Over https (PUBLIC_URL), the cookies are never sent in clear text.
  const secureCookies = deps.publicUrl.startsWith('https:');
  const router = Router();
  router.use('/admin', loadConsole(deps.sessions, secureCookies), sameOriginForms(deps.publicUrl));
  router.use(signInRouter({ sessions: deps.sessions, users: deps.users, pages, limits: deps.loginLimits, secureCookies }));
  router.use('/admin', requireSession);
  // The import form is multipart: its fields are read before its file, so its token is checked below as any form's.
  router.use('/admin/import', requireRole('admin'), multipartForm('file'));
  router.use('/admin', requireFormToken);

  router.use(dashboardRouter({ ...deps.newsroom, pages }));
  router.use(editionsRouter({ ...deps.newsroom, pages, secureCookies }));
  router.use(newslettersRouter({ ...deps.newsroom, pages, secureCookies }));
  router.use(curationRouter({ ...deps.newsroom, pages, secureCookies }));
  router.use(accountRouter({ users: deps.users, sessions: deps.sessions, pages, perAddress: deps.loginLimits.perAddress, secureCookies }));
  router.use(tokensRouter({ apiTokens: deps.apiTokens, pages, secureCookies, publicUrl: deps.publicUrl }));
  router.use(articlesRouter({ articles: deps.articles, articleEdits: deps.articleEdits, pages, secureCookies }));
  router.use(feedsRouter({ feeds: deps.feeds, pages, secureCookies }));
  // Subscribers, their import and export show readers' personal data: admins only, as the admin API.
  router.use(['/admin/users', '/admin/audit', '/admin/subscribers', '/admin/export.csv', '/admin/webhooks'], requireRole('admin'));
  router.use(usersRouter({ users: deps.users, pages, secureCookies }));
  router.use(subscribersRouter({ subscribers: deps.subscribers, newsletters: deps.newsroom.newsletters, audit: deps.audit, pages, secureCookies }));
  router.use(importRouter({ ...deps.lists, pages }));
  router.use(webhooksRouter({ webhooks: deps.webhooks, pages, secureCookies }));
  router.use(auditRouter({ audit: deps.audit, pages }));
  router.use('/admin', (_req, _res, next) => next(new AppError('NOT_FOUND', 'Page not found')));
  router.use('/admin', consoleErrors(pages));
  return router;
}

/** The console's own error pages (403, 404...), with its navigation; other errors go on to the app's handler. */
function consoleErrors(pages: Pages): ErrorRequestHandler {
  const STATUS = { FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409 } as const;
  return (err, req, res, next) => {
    if (!(err instanceof AppError) || !(err.code in STATUS) || !wantsHtml(req) || res.headersSent) return next(err);
    const status = STATUS[err.code as keyof typeof STATUS];
    sendConsolePage(pages, res, 'error', { status, message: err.message }, status);
  };
}
