// `npm run articles:import -- <file>`: imports articles from a JSON array (the admin API's shape)
// or an RSS/Atom file, into DATABASE_URL or, without it, the embedded database of `npm start`.
import fs from 'node:fs/promises';
import pino from 'pino';
import { configSchema } from '../config';
import { openConfiguredDatabase } from '../db/connect';
import type { Database } from '../db/database';
import { createLogger, type Logger } from '../shared/logger';
import { systemClock } from '../shared/clock';
import { ArticleRepository } from '../articles/article-repository';
import { ArticleService, type ImportReport } from '../articles/article-service';
import { FeedParseError, parseFeed } from '../articles/feed-parser';

/** The file cannot be read or is neither JSON nor a feed: nothing was imported. */
export class ImportFileError extends Error {
  override name = 'ImportFileError';
}

/** Reads the items of a file; JSON is an array of articles (or `{ "articles": [...] }`). */
export async function readArticleFile(file: string): Promise<unknown[]> {
  let content: string;
  try {
    content = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new ImportFileError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const start = content.replace(/^\uFEFF/, '').trimStart()[0];
  if (start === '<') {
    try {
      return parseFeed(content);
    } catch (err) {
      if (err instanceof FeedParseError) throw new ImportFileError(`${file}: ${err.message}`);
      throw err;
    }
  }
  let data: unknown;
  try {
    data = JSON.parse(content);
  } catch (err) {
    throw new ImportFileError(`${file}: neither JSON nor an RSS/Atom feed (${(err as Error).message})`);
  }
  const items = Array.isArray(data) ? data : (data as { articles?: unknown })?.articles;
  if (!Array.isArray(items)) throw new ImportFileError(`${file}: expected a JSON array of articles`);
  return items;
}

export function formatReport(report: ImportReport): string {
  const lines = [
    `created ${report.created}, updated ${report.updated}, unchanged ${report.unchanged}, invalid ${report.invalid.length}`,
    ...report.invalid.map((i) => `  item ${i.index + 1}: ${i.reason}`),
  ];
  return lines.join('\n');
}

/** Opens the configured database (migrating it), runs `work` with the article service, closes. */
export async function withArticleService<T>(work: (articles: ArticleService, db: Database) => Promise<T>, logger: Logger): Promise<T> {
  // Only the database settings: an import needs no SECRET_KEY or mail settings.
  const env = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined && v !== ''));
  const config = configSchema
    .pick({ DATABASE_URL: true, DATABASE_POOL_SIZE: true, DATA_DIR: true, EMBEDDED_DB_PORT: true })
    .parse(env);
  const database = await openConfiguredDatabase({ ...config, DATABASE_POOL_SIZE: 2 }, logger);
  try {
    return await work(new ArticleService({ repository: new ArticleRepository({ db: database.db }), clock: systemClock }), database.db);
  } finally {
    await database.stop();
  }
}

/** Logs go to stderr, so stdout carries only the report. */
export function cliLogger(): Logger {
  return createLogger(process.env.LOG_LEVEL || 'warn', pino.destination(2));
}

async function main(argv: string[]): Promise<number> {
  const file = argv[0];
  if (!file || argv.length > 1) {
    console.error('usage: npm run articles:import -- <file.json|feed.xml>');
    return 2;
  }
  try {
    const items = await readArticleFile(file);
    const report = await withArticleService((articles) => articles.importMany(items), cliLogger());
    console.log(formatReport(report));
    return 0;
  } catch (err) {
    console.error(`articles:import: ${(err as Error).message}`);
    return 1;
  }
}

if (require.main === module) void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
