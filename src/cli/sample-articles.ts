// `npm run sample:articles`: imports the Harbour Town sample articles, dated within the last hours
// and after the latest edition, so a digest triggered right afterwards has something to send. Safe
// to run again: the samples are updated in place and dated anew.
import path from 'node:path';
import { DigestRepository } from '../digests/digest-repository';
import { formatReport, readArticleFile, withArticleService } from './import-articles';

const SAMPLES = path.resolve(__dirname, '..', '..', 'samples', 'articles.json');
const SPAN_MS = 20 * 60 * 60 * 1000;

/**
 * Spread over the last 20 hours, newest first, so they fall inside any daily window ending now;
 * when an edition ended less than 20 hours ago, over the time since, or they would belong to a
 * window that is already closed and no edition would ever take them.
 */
export function datedRecently(items: unknown[], now: Date, latestEditionEnd?: Date): unknown[] {
  const available = latestEditionEnd ? now.getTime() - latestEditionEnd.getTime() : SPAN_MS;
  // Kept clear of both ends: the newest 1/40 before now (30 min of 20 h), the oldest after the edition.
  const span = Math.max(Math.min(available, SPAN_MS), 40);
  const newest = now.getTime() - span / 40;
  const step = items.length > 1 ? (span * 38) / 40 / (items.length - 1) : 0;
  return items.map((item, i) => ({
    ...(item as object),
    publishedAt: new Date(newest - i * step).toISOString(),
  }));
}

async function main(): Promise<number> {
  try {
    const samples = await readArticleFile(SAMPLES);
    const report = await withArticleService(async (articles, db) => {
      const latestEditionEnd = await new DigestRepository({ pool: db.pool }).latestWindowEnd();
      return articles.importMany(datedRecently(samples, new Date(), latestEditionEnd));
    });
    console.log(formatReport(report));
    console.log('Sample articles are in, dated within the last 20 hours and after the latest edition.');
    return 0;
  } catch (err) {
    console.error(`sample:articles: ${(err as Error).message}`);
    return 1;
  }
}

if (require.main === module) void main().then((code) => (process.exitCode = code));
