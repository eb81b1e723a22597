/**
 * `npm run bench:lists [-- --rows 100000 --runs 3 --export-rows 1000000]`
 *
 * The list tools against this machine, each beside its baseline in the same run:
 * - a list import of a `--rows` Mailchimp-shaped file (23 columns) through ListImport (csv-parse,
 *   the signup's checks, one set-based transaction), new addresses and then the same file again
 *   (every row merged), against a bare `\copy` of the same file into a table of text columns
 *   (psql): the floor of getting those bytes into PostgreSQL;
 * - the CSV export at `--rows` and at `--export-rows` subscribers: time, and this process's peak
 *   RSS while it runs, which stays flat if the export holds one page at a time.
 * Prints the figures as markdown for docs/benchmarks.md ("List import and export"). Its database is
 * the bench's (bench/database.ts): DATABASE_URL's server, else PostgreSQL on 5432, else embedded.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { ListImport } from '../src/lists/list-import';
import { SubscriberExport } from '../src/lists/subscriber-export';
import { ErasedAddresses } from '../src/privacy/erased-addresses';
import { systemClock } from '../src/shared/clock';
import { createLogger } from '../src/shared/logger';
import { runOnBenchDatabase } from './database';
import { MAILCHIMP_HEADER, mailchimpFile } from './list-files';
import { median, round } from './stats';

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '100000' }, runs: { type: 'string', default: '3' }, 'export-rows': { type: 'string', default: '1000000' } },
});
const rows = Number(values.rows);
const runs = Number(values.runs);
const exportRows = Number(values['export-rows']);
const log = (msg: string) => console.error(`[list bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);

runOnBenchDatabase(log, { max: 4, options: '-c TimeZone=UTC' }, async (pool, db) => {
  const logger = createLogger('warn');
  const imports = new ListImport({ pool, erasedAddresses: new ErasedAddresses({ pool }), mailRequests: { wake() {} }, clock: systemClock, logger });
  const file = mailchimpFile(rows);
  // As a request body arrives: Buffers of 64 KiB (one huge string chunk parses twice as slowly).
  const body = () => {
    const bytes = Buffer.from(file);
    const chunks: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += 65_536) chunks.push(bytes.subarray(at, at + 65_536));
    return Readable.from(chunks);
  };
  const csvPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bulletin-list-bench-')), 'list.csv');
  fs.writeFileSync(csvPath, file);
  const daily = (await pool.query<{ id: number }>(`SELECT id FROM newsletters WHERE slug = 'daily'`)).rows[0]!.id;
  const options = { newsletterIds: [daily], status: 'confirmed' as const, consent: 'bench', mapping: {}, skipInvalid: false };
  const timed = async (work: () => Promise<unknown>) => {
    const started = process.hrtime.bigint();
    await work();
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  const reset = () => pool.query('TRUNCATE subscribers, subscriptions, consents, consent_statements, mail_requests, tokens CASCADE');
  const results = { copyMs: [] as number[], importNewMs: [] as number[], importMergedMs: [] as number[] };
  log(`${rows} rows, ${(file.length / 1024 / 1024).toFixed(1)} MB; ${runs} runs`);
  for (let run = 1; run <= runs; run++) {
    await reset();
    await pool.query(`DROP TABLE IF EXISTS copied; CREATE TABLE copied (${MAILCHIMP_HEADER.split(',').map((_, i) => `c${i} text`).join(', ')})`);
    results.copyMs.push(await timed(async () => execFileSync('psql', [db.url, '-qc', `\\copy copied FROM '${csvPath}' CSV HEADER`])));
    results.importNewMs.push(await timed(() => imports.run(body(), options, 'bench')));
    results.importMergedMs.push(await timed(() => imports.run(body(), options, 'bench')));
    log(`run ${run}: copy ${round(results.copyMs.at(-1)!)} ms, import new ${round(results.importNewMs.at(-1)!)} ms, again (merged) ${round(results.importMergedMs.at(-1)!)} ms`);
  }
  const exporter = new SubscriberExport({ pool, logger });
  const exportAt = async (n: number) => {
    await pool.query(
      `INSERT INTO subscribers (email, name, status, confirmed_at, updated_at)
       SELECT 'bulk-' || g || '@example.org', 'Bulk ' || g, 'confirmed', now(), now() FROM generate_series(1, $1 - (SELECT count(*) FROM subscribers)) g`,
      [n],
    );
    await pool.query('ANALYZE subscribers');
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    let bytes = 0;
    const ms = await timed(async () => {
      for await (const chunk of exporter.csv({}, 'bench')) bytes += chunk.length;
    });
    clearInterval(sampler);
    return { rows: n, ms: round(ms), mb: round(bytes / 1024 / 1024, 1), peakRssMb: round(peak / 1024 / 1024, 1) };
  };
  const small = await exportAt(rows);
  log(`export ${JSON.stringify(small)}`);
  const large = await exportAt(exportRows);
  log(`export ${JSON.stringify(large)}`);
  const m = (v: number[]) => round(median(v));
  console.log(`| ${rows.toLocaleString('en')}-row Mailchimp file (${(file.length / 1024 / 1024).toFixed(1)} MB) | median of ${runs} (ms) | all runs (ms) |
| --- | --- | --- |
| baseline: \`\\copy\` of the file into a table of text columns | ${m(results.copyMs)} | ${results.copyMs.map((v) => round(v)).join(', ')} |
| import, every address new | ${m(results.importNewMs)} | ${results.importNewMs.map((v) => round(v)).join(', ')} |
| the same file again, every address merged | ${m(results.importMergedMs)} | ${results.importMergedMs.map((v) => round(v)).join(', ')} |

| Export | time (ms) | CSV (MB) | peak RSS of the process (MB) |
| --- | --- | --- | --- |
| ${small.rows.toLocaleString('en')} subscribers | ${small.ms} | ${small.mb} | ${small.peakRssMb} |
| ${large.rows.toLocaleString('en')} subscribers | ${large.ms} | ${large.mb} | ${large.peakRssMb} |`);
});
