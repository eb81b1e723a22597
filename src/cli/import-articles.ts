// `npm run articles:import -- <file>`: imports articles from a JSON array (the admin API's shape)
// or an RSS/Atom file, into DATABASE_URL or, without it, the embedded database of `npm start`.
import fs from 'node:fs/promises';
import { commandEnvironment, loadSettings } from '../config';
import type { Database } from '../db/database';
import { systemClock } from '../shared/clock';
import { commandLogger, openDatabase } from '../wiring';
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
export async function withArticleService<T>(work: (articles: ArticleService, db: Database) => Promise<T>): Promise<T> {
  // Only the database settings: an import needs no SECRET_KEY or mail settings.
  const settings = loadSettings(
    ['DATABASE_URL', 'DATABASE_POOL_SIZE', 'DATABASE_CONNECT_TIMEOUT_MS', 'DATABASE_QUERY_TIMEOUT_MS', 'DATA_DIR', 'EMBEDDED_DB_PORT', 'LOG_LEVEL'],
    commandEnvironment(),
  );
  const database = await openDatabase({ ...settings, DATABASE_POOL_SIZE: 2 }, commandLogger(settings));
  try {
    return await work(new ArticleService({ repository: new ArticleRepository({ db: database.db }), clock: systemClock }), database.db);
  } finally {
    await database.stop();
  }
}

async function main(argv: string[]): Promise<number> {
  const file = argv[0];
  if (!file || argv.length > 1) {
    console.error('usage: npm run articles:import -- <file.json|feed.xml>');
    return 2;
  }
  try {
    const items = await readArticleFile(file);
    const report = await withArticleService((articles) => articles.importMany(items));
    console.log(formatReport(report));
    return 0;
  } catch (err) {
    console.error(`articles:import: ${(err as Error).message}`);
    return 1;
  }
}

if (require.main === module) void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
