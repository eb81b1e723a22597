import path from 'node:path';
import express from 'express';
import helmet from 'helmet';
import type { Logger } from '../shared/logger';
import type { Pages } from './pages';
import { errorHandler, notFoundHandler } from './error-handler';
import { requestLog } from './request-log';
import { healthRouter } from './routes/health';
import { outboxRouter } from './routes/outbox';

export interface HttpDeps {
  logger: Logger;
  pages: Pages;
  templatesDir: string;
  trustProxy: string;
  isDatabaseReachable: () => Promise<boolean>;
  /** Set only when emails go to the outbox folder: then /outbox shows them. */
  outboxDir?: string;
  /** Feature routers, mounted in order after the built-in ones. */
  routers?: express.Router[];
  /** Routers that read their body as bytes (webhook signatures cover the bytes): mounted before the body parsers. */
  rawBodyRouters?: express.Router[];
}

/** Builds the Express app; listening is the caller's business, so tests can use supertest. */
export function createApp(deps: HttpDeps): express.Express {
  const app = express();
  app.set('trust proxy', trustProxyValue(deps.trustProxy));
  app.disable('x-powered-by');

  app.use(requestLog(deps.logger));
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          // Forms on a news site's own pages post here (the embeddable snippet).
          formAction: ["'self'", 'http:', 'https:'],
          // The outbox viewer shows emails in a sandboxed iframe.
          frameSrc: ["'self'"],
        },
      },
    }),
  );
  for (const router of deps.rawBodyRouters ?? []) app.use(router);
  app.use(express.json({ limit: '16kb' }));
  app.use(express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 }));
  app.use('/assets', express.static(path.join(deps.templatesDir, 'assets'), { maxAge: '1h' }));

  app.use(healthRouter(deps.isDatabaseReachable));
  if (deps.outboxDir) app.use(outboxRouter(deps.outboxDir, deps.pages));
  for (const router of deps.routers ?? []) app.use(router);

  app.use(notFoundHandler(deps.pages));
  app.use(errorHandler(deps.pages, deps.logger));
  return app;
}

function trustProxyValue(setting: string): boolean | number | string {
  if (setting === 'true') return true;
  if (setting === 'false') return false;
  if (/^\d+$/.test(setting)) return Number(setting);
  return setting;
}
