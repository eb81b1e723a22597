/**
 * `npm run bench [-- --subscribers 100000 --runs 3 --duration 10 --only signup,confirmation,digest,timing,alert,faults,lanes,instances,dkim --before DIR]`
 *
 * Measures Bulletin against the limits of this machine, each comparison inside one run: signup
 * throughput against a bare Express + pg route, confirmation latency under steady load, and a
 * digest send against a plain nodemailer loop and Postfix's loopback SMTP limit, and whether the
 * time of a signup or manage request tells an address's state (`--before DIR`: also an older build). Writes
 * bench/results/<time>-<subscribers>.json and this run's section of docs/benchmarks.md.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { benchConfirmationLatency } from './confirmation-latency';
import type { BenchContext } from './context';
import { openBenchDatabase } from './database';
import { benchDigestSend } from './digest-send';
import { benchEnumeration } from './enumeration';
import { ready, spawnTs } from './processes';
import { buildBulletin } from './bulletin';
import { judgeTargets, updateDocs, writeResults, type BenchResults } from './report';
import { benchSignup } from './signup';
import { benchAlertLatency } from './alert-latency';
import { benchDigestFaults } from './digest-faults';
import { benchDigestLanes } from './digest-lanes';
import { benchDigestInstances } from './digest-instances';
import { benchDigestDkim } from './digest-dkim';

const PARTS = ['signup', 'confirmation', 'digest', 'timing', 'alert', 'faults', 'lanes', 'instances', 'dkim'] as const;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      subscribers: { type: 'string', default: '10000' },
      runs: { type: 'string', default: '3' },
      duration: { type: 'string', default: '10' },
      // 'faults' (a silent server: minutes of waiting on timeouts), 'lanes' (SEND_CONCURRENCY),
      // 'instances' (several senders) and 'dkim' (three more sends per run) run only when asked for.
      only: { type: 'string', default: PARTS.filter((p) => !['faults', 'lanes', 'instances', 'dkim'].includes(p)).join(',') },
      before: { type: 'string' },
    },
  });
  const options = {
    subscribers: positive('subscribers', values.subscribers),
    runs: positive('runs', values.runs),
    durationSeconds: positive('duration', values.duration),
    parts: values.only.split(',').map((p) => p.trim()),
  };
  const unknown = options.parts.filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length) throw new Error(`--only: unknown part(s) ${unknown.join(', ')}; choose from ${PARTS.join(', ')}`);

  const startedAt = new Date().toISOString();
  const log = (msg: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
  log('building Bulletin (npm run build)');
  buildBulletin();
  const db = await openBenchDatabase(log);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  const sink = spawnTs('bench/smtp-sink.ts', {});
  try {
    const { port: sinkPort } = await ready<{ port: number }>(sink);
    log(`database ${db.server} (PostgreSQL ${db.serverVersion}), SMTP sink on ${sinkPort}`);
    const ctx: BenchContext = { db, pool, sink, sinkPort, ...options, log };
    const partial: Omit<BenchResults, 'targets'> = {
      startedAt,
      finishedAt: '',
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      machine: machine(db.server, db.serverVersion),
      options,
    };
    if (options.parts.includes('signup')) partial.signup = await benchSignup(ctx);
    if (options.parts.includes('confirmation')) partial.confirmation = await benchConfirmationLatency(ctx);
    if (options.parts.includes('digest')) partial.digest = await benchDigestSend(ctx);
    if (options.parts.includes('timing')) partial.timing = await benchEnumeration({ ...ctx, before: values.before });
    if (options.parts.includes('alert')) partial.alert = await benchAlertLatency(ctx);
    if (options.parts.includes('faults')) partial.faults = await benchDigestFaults(ctx);
    if (options.parts.includes('lanes')) partial.lanes = await benchDigestLanes({ ...ctx, before: values.before });
    if (options.parts.includes('instances')) partial.instances = await benchDigestInstances(ctx);
    if (options.parts.includes('dkim')) partial.dkim = await benchDigestDkim({ ...ctx, before: values.before });
    partial.finishedAt = new Date().toISOString();
    const results: BenchResults = { ...partial, targets: judgeTargets(partial) };
    const file = writeResults(results);
    updateDocs(results);
    log(`results: ${file} and docs/benchmarks.md`);
    for (const t of results.targets) log(`${t.met ? 'MET   ' : 'MISSED'} ${t.name}: ${t.measured}`);
  } finally {
    await sink.stop();
    await pool.end();
    await db.stop();
  }
}

function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${value}`);
  return n;
}

function machine(server: string, serverVersion: string): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    cpu: `${cpus.length} x ${cpus[0]?.model.trim() ?? 'unknown'}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    kernel: os.release(),
    node: process.version,
    postgres: `${serverVersion} (${server})`,
    postfix: postfixVersion(),
  };
}

function postfixVersion(): string {
  try {
    // -d: the compiled-in value, so a Postfix installed without a main.cf (only its tools used) tells too.
    return execFileSync(fs.existsSync('/usr/sbin/postconf') ? '/usr/sbin/postconf' : 'postconf', ['-dh', 'mail_version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'not installed';
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
