/**
 * `npm run bench:console-import [-- --rows 100000 --runs 3]`
 *
 * A list import through the console's form, end to end (issue 12, item 3: 100,000 rows in under
 * a minute): Bulletin started in this process without jobs, a signed-in admin, the Import page
 * read for its form token, then the form posted as a browser posts it (multipart, the fields, then
 * a `--rows` Mailchimp-shaped file of 23 columns) over loopback HTTP, timed from the first byte
 * sent to the report page's last byte: upload, busboy, csv-parse and the signup's checks per row,
 * the one transaction, the audit entry, the page. Each run on emptied tables (every address new),
 * then the same file again (every address merged). The client shares this process's event loop
 * with the server, so the figures are, if anything, pessimistic. Its database is the bench's
 * (bench/database.ts). Prints markdown for docs/benchmarks.md ("List import and export").
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createAccounts } from '../src/accounts/create-accounts';
import { loadConfig } from '../src/config';
import { openPool } from '../src/db/database';
import { startBulletin } from '../src/main';
import { systemClock } from '../src/shared/clock';
import { createLogger } from '../src/shared/logger';
import { openBenchDatabase } from './database';
import { mailchimpFile } from './list-files';
import { freePort } from './processes';
import { median, round } from './stats';

const PASSWORD = 'a long bench password for the console';
const log = (msg: string) => console.error(`[console import ${new Date().toISOString().slice(11, 19)}] ${msg}`);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rows: { type: 'string', default: '100000' }, runs: { type: 'string', default: '3' } } });
  const rows = Number(values.rows);
  const runs = Number(values.runs);
  const db = await openBenchDatabase(log);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  const port = await freePort();
  const config = loadConfig({
    DATABASE_URL: db.url,
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    SECRET_KEY: 'bench-secret-key-0123456789abcdef0123456789',
    RUN_JOBS: 'false',
    DATABASE_CONNECT_TIMEOUT_MS: '30000',
    DATABASE_QUERY_TIMEOUT_MS: '30000',
    LOG_LEVEL: 'warn',
    OUTBOX_DIR: '/tmp/bulletin-bench-outbox',
  });
  const app = await startBulletin(config, createLogger('warn'));
  try {
    const cookie = await signIn(app.url, db.url, config);
    const file = Buffer.from(mailchimpFile(rows));
    const load = () => os.loadavg().map((v) => v.toFixed(1)).join(' ');
    log(`${rows} rows, ${(file.length / 1024 / 1024).toFixed(1)} MB; ${runs} runs; load average ${load()}`);
    const reset = () => pool.query('TRUNCATE subscribers, subscriptions, consents, consent_statements, mail_requests, tokens CASCADE');
    const results = { newMs: [] as number[], mergedMs: [] as number[], loads: [] as string[] };
    for (let run = 1; run <= runs; run++) {
      await reset();
      results.loads.push(load());
      const fresh = await postForm(app.url, cookie, file);
      if (fresh.imported !== rows) throw new Error(`run ${run}: ${fresh.status}, ${fresh.imported} imported`);
      const merged = await postForm(app.url, cookie, file);
      if (merged.merged !== rows) throw new Error(`run ${run} again: ${merged.status}, ${merged.merged} merged`);
      results.newMs.push(fresh.ms);
      results.mergedMs.push(merged.ms);
      log(`run ${run}: every address new ${round(fresh.ms)} ms, again (merged) ${round(merged.ms)} ms; load average ${load()}`);
    }
    const m = (v: number[]) => round(median(v));
    console.log(`| ${rows.toLocaleString('en')}-row Mailchimp file (${(file.length / 1024 / 1024).toFixed(1)} MB) through the console's form | median of ${runs} (ms) | all runs (ms) |
| --- | --- | --- |
| upload + import + report page, every address new | ${m(results.newMs)} | ${results.newMs.map((v) => round(v)).join(', ')} |
| the same file again, every address merged | ${m(results.mergedMs)} | ${results.mergedMs.map((v) => round(v)).join(', ')} |

Load average (1, 5, 15 min) at the start of each run: ${results.loads.join('; ')}.`);
  } finally {
    await app.stop();
    await pool.end();
    await db.stop();
  }
}

/** An admin made as `npm run admin:create` makes one, signed in through the set-password link: the session cookie. */
async function signIn(url: string, databaseUrl: string, config: ReturnType<typeof loadConfig>): Promise<string> {
  const accountsDb = openPool(databaseUrl, 1, () => {}, { connectMs: config.DATABASE_CONNECT_TIMEOUT_MS, queryMs: config.DATABASE_QUERY_TIMEOUT_MS });
  const accounts = createAccounts({ prisma: accountsDb.prisma, pool: accountsDb.pool, clock: systemClock, publicUrl: url, config });
  const { link } = await accounts.users.createFromCommandLine('bench@news.example').finally(() => accountsDb.close());
  const token = new URL(link.url).searchParams.get('token')!;
  const res = await fetch(`${url}/admin/password`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, password: PASSWORD, confirmation: PASSWORD }),
    redirect: 'manual',
  });
  const cookie = (res.headers.get('set-cookie') ?? '').match(/bulletin_session=[^;]+/)?.[0];
  if (!cookie) throw new Error(`sign-in answered ${res.status} without a session`);
  return cookie;
}

/** The import form as a browser posts it (its token, the choices, the file last); the report's counts and the time. */
async function postForm(url: string, cookie: string, file: Buffer): Promise<{ ms: number; status: number; imported: number; merged: number }> {
  const page = await (await fetch(`${url}/admin/import`, { headers: { cookie, accept: 'text/html' } })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
  if (!csrf) throw new Error('no form token on the import page');
  const form = new FormData();
  form.append('_csrf', csrf);
  form.append('newsletters', 'daily');
  form.append('status', 'confirmed');
  form.append('consent', 'bench: signed up on the Mailchimp form');
  form.append('file', new Blob([file], { type: 'text/csv' }), 'audience.csv');
  const started = performance.now();
  const res = await fetch(`${url}/admin/import`, { method: 'POST', headers: { cookie, accept: 'text/html' }, body: form });
  const html = await res.text();
  const ms = performance.now() - started;
  const count = (key: string) => Number(new RegExp(`data-count="${key}">([\\d,]+)<`).exec(html)?.[1]?.replace(/,/g, '') ?? NaN);
  return { ms, status: res.status, imported: count('imported'), merged: count('merged') };
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
