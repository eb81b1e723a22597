// `npm run sample:articles`: imports the Harbour Town sample articles, dated within the last hours,
// so a daily digest triggered right afterwards has something to send. Safe to run again.
import path from 'node:path';
import { cliLogger, formatReport, readArticleFile, withArticleService } from './import-articles';

const SAMPLES = path.resolve(__dirname, '..', '..', 'samples', 'articles.json');

/** Spread over the last 20 hours, newest first, so they fall inside any daily window ending now. */
export function datedRecently(items: unknown[], now: Date): unknown[] {
  const step = items.length > 1 ? (19 * 60 * 60 * 1000) / (items.length - 1) : 0;
  return items.map((item, i) => ({
    ...(item as object),
    publishedAt: new Date(now.getTime() - 30 * 60 * 1000 - i * step).toISOString(),
  }));
}

async function main(): Promise<number> {
  try {
    const items = datedRecently(await readArticleFile(SAMPLES), new Date());
    const report = await withArticleService((articles) => articles.importMany(items), cliLogger());
    console.log(formatReport(report));
    console.log('Sample articles are in, dated within the last 20 hours.');
    return 0;
  } catch (err) {
    console.error(`sample:articles: ${(err as Error).message}`);
    return 1;
  }
}

if (require.main === module) void main().then((code) => (process.exitCode = code));
