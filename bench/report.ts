import fs from 'node:fs';
import path from 'node:path';
import type { ConfirmationResult } from './confirmation-latency';
import type { DigestResult } from './digest-send';
import type { FaultResult } from './digest-faults';
import type { LanesResult } from './digest-lanes';
import type { InstancesResult } from './digest-instances';
import type { EnumerationResult } from './enumeration';
import { projectRoot } from './processes';
import type { SignupResult } from './signup';
import { alertTargets, renderAlert, type AlertResult } from './alert-latency';
import { dkimTargets, renderDkim, type DkimResult } from './digest-dkim';

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  command: string;
  machine: Record<string, string | number>;
  options: { subscribers: number; runs: number; durationSeconds: number; parts: string[] };
  signup?: SignupResult;
  confirmation?: ConfirmationResult;
  digest?: DigestResult;
  /** Issue 14: the same edition with 5% of messages answered 451, and with 5% never answered. */
  faults?: FaultResult;
  lanes?: LanesResult;
  instances?: InstancesResult;
  timing?: EnumerationResult;
  alert?: AlertResult;
  /** Issue 14.6: the send with DKIM on against the nodemailer loop signing with the same key. */
  dkim?: DkimResult;
  targets: Target[];
}

export interface Target {
  name: string;
  measured: string;
  met: boolean;
}

/** The issue's targets, each judged on ratios measured in this run. */
export function judgeTargets(r: Omit<BenchResults, 'targets'>): Target[] {
  const t: Target[] = [];
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  if (r.signup) {
    for (const kind of ['json', 'form'] as const) {
      const ratio = r.signup.ratios[kind];
      t.push({ name: `Signup (${kind}) >= 60% of the baseline's req/s`, measured: pct(ratio.reqPerSec), met: ratio.reqPerSec >= 0.6 });
      t.push({ name: `Signup (${kind}) p99 <= 2x the baseline's`, measured: `${ratio.p99}x`, met: ratio.p99 <= 2 });
    }
  }
  if (r.confirmation) {
    const p95 = r.confirmation.median.p95Ms;
    const measured = p95 === null || !Number.isFinite(p95) ? `> ${r.confirmation.drainSeconds} s` : `${p95} ms`;
    t.push({ name: 'Confirmation email p95 < 2 s at 100 signups/s', measured, met: typeof p95 === 'number' && p95 < 2000 });
  }
  if (r.digest) {
    const d = r.digest;
    t.push({ name: 'Digest send >= 3x the plain nodemailer loop', measured: `${d.ratios.vsNodemailerLoop}x`, met: d.ratios.vsNodemailerLoop >= 3 });
    if (d.ratios.vsLoopbackLimit !== undefined) {
      t.push({ name: 'Digest send >= 70% of smtp-source -> smtp-sink', measured: pct(d.ratios.vsLoopbackLimit), met: d.ratios.vsLoopbackLimit >= 0.7 });
    }
    if (d.comparedAt !== d.subscribers) {
      const compose = d.median.bulletinToSmtpSink?.composeMs;
      if (compose !== undefined) t.push({ name: `Ledger of ${d.subscribers.toLocaleString('en')} written within 15 s`, measured: `${(compose / 1000).toFixed(1)} s`, met: compose <= 15_000 });
    }
    if (d.subscribers >= 100_000) {
      t.push({ name: `Peak RSS at ${d.subscribers.toLocaleString('en')} subscribers <= 200 MB`, measured: `${d.memory.medianN} MB`, met: d.memory.medianN <= 200 });
      t.push({ name: 'Peak RSS within 20% of the 10,000 figure', measured: `${d.memory.growth >= 0 ? '+' : ''}${pct(d.memory.growth)}`, met: Math.abs(d.memory.growth) <= 0.2 });
    }
  }
  const timing = r.timing?.builds.current;
  if (timing) {
    for (const f of [timing.signup, timing.manage]) {
      const ratio = f.median.ratio;
      t.push({ name: `POST ${f.endpoint}: slowest class median within 15% of the fastest`, measured: `+${pct(ratio - 1)}`, met: ratio <= 1.15 });
    }
  }
  if (r.alert) t.push(...alertTargets(r.alert));
  if (r.dkim) t.push(...dkimTargets(r.dkim));
  return t;
}

export function writeResults(results: BenchResults): string {
  const dir = path.join(projectRoot, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${results.startedAt.replace(/[:.]/g, '-')}-${results.options.subscribers}.json`);
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}

/**
 * Replaces this run's sections of docs/benchmarks.md (one section per subscriber count, and one for
 * the timing part, which does not depend on the count), between markers, leaving the hand-written
 * method and findings around them untouched.
 */
export function updateDocs(results: BenchResults): void {
  const file = path.join(projectRoot, 'docs', 'benchmarks.md');
  let doc = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  const { signup, confirmation, digest, timing, alert, dkim, targets, ...run } = results;
  const isTiming = (t: Target) => t.name.startsWith('POST /');
  const isDkim = (t: Target) => t.name.includes('DKIM');
  if (signup || confirmation || digest || alert) {
    const section = render({ ...run, signup, confirmation, digest, alert, targets: targets.filter((t) => !isTiming(t) && !isDkim(t)) });
    doc = replaceSection(doc, `subscribers-${results.options.subscribers}`, section);
  }
  if (timing) doc = replaceSection(doc, 'timing', render({ ...run, timing, targets: targets.filter(isTiming) }));
  if (dkim) doc = replaceSection(doc, 'dkim', render({ ...run, dkim, targets: targets.filter(isDkim) }));
  fs.writeFileSync(file, doc);
}

function replaceSection(doc: string, key: string, body: string): string {
  const start = `<!-- bench:${key} -->`;
  const end = `<!-- /bench:${key} -->`;
  const section = `${start}\n${body}\n${end}`;
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from >= 0 && to > from) return doc.slice(0, from) + section + doc.slice(to + end.length);
  return `${doc.trimEnd()}\n\n${section}\n`;
}

function render(r: BenchResults): string {
  const out: string[] = [];
  const n = r.options.subscribers.toLocaleString('en');
  out.push(`### Run of ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC: \`${r.command}\``);
  out.push('');
  out.push(`Machine: ${Object.entries(r.machine).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
  const baselines = r.signup || r.confirmation || r.digest || r.dkim;
  out.push(`Medians of ${r.options.runs} runs.${baselines ? ' Ratios are computed run by run (each Bulletin figure against the baseline measured next to it), then their median is taken.' : ''}`);
  if (r.signup) {
    const s = r.signup;
    out.push('', `**Signup**: POST /subscribe, ${s.connections} connections, ${s.durationSeconds} s per run, a new address per request.`, '');
    out.push('| Target | req/s | p50 ms | p99 ms | errors (non-2xx) |', '|---|---:|---:|---:|---:|');
    for (const [name, f] of Object.entries(s.median)) out.push(`| ${name} | ${f.reqPerSec} | ${f.p50Ms} | ${f.p99Ms} | ${f.errors} |`);
    out.push('', `Bulletin / baseline: JSON ${s.ratios.json.reqPerSec}x req/s, ${s.ratios.json.p99}x p99; form ${s.ratios.form.reqPerSec}x req/s, ${s.ratios.form.p99}x p99. Every request carried a new address: Bulletin wrote ${s.subscribersWritten} subscribers for ${s.bulletinAccepted} 2xx answers counted (the rest were in flight when a run's time ran out).`);
  }
  if (r.confirmation) {
    const c = r.confirmation;
    const ms = (v: number | null) => (v === null || !Number.isFinite(v) ? `> ${c.drainSeconds} s` : String(v));
    out.push('', `**Confirmation latency**: ${c.rate} signups/s for ${c.durationSeconds} s (JSON), from the signup's response to the SMTP sink accepting its confirmation email; an email not there ${c.drainSeconds} s after the load counts as late beyond measure.`, '');
    out.push('| Run | signups | p50 ms | p95 ms | p99 ms | not delivered | emails/s during load | signup p99 ms |', '|---|---:|---:|---:|---:|---:|---:|---:|');
    const row = (name: string, x: (typeof c.runs)[number]) =>
      `| ${name} | ${x.signups} | ${ms(x.p50Ms)} | ${ms(x.p95Ms)} | ${ms(x.p99Ms)} | ${x.missing} | ${x.sentPerSecond} | ${x.signupP99Ms} |`;
    c.runs.forEach((x, i) => out.push(row(String(i + 1), x)));
    out.push(row('median', c.median));
  }
  if (r.digest) {
    const d = r.digest;
    const m = d.median;
    const at = (size: number) => size.toLocaleString('en');
    const compared = d.comparedAt !== d.subscribers ? ` (at ${at(d.comparedAt)}, same run)` : '';
    out.push('', `**Digest send**: one edition (${d.articles} articles, ${m.bulletin.bytesPerMessage} bytes per message) to ${n} confirmed subscribers, ${d.smtpMaxConnections} SMTP connections, ${d.sendConcurrency} messages in flight.`, '');
    out.push('| Path | msg/s | first message ms | peak RSS MB |', '|---|---:|---:|---:|');
    out.push(`| Bulletin -> Node sink (from the admin POST)${compared} | ${m.bulletin.msgsPerSec} | ${m.bulletin.firstMessageMs} | ${m.bulletin.peakRssMb} |`);
    out.push(`| Plain nodemailer loop -> Node sink${compared} | ${m.nodemailerLoop.msgsPerSec} | ${m.nodemailerLoop.firstMessageMs} | ${m.nodemailerLoop.peakRssMb} |`);
    out.push(`| *Diagnostic*: nodemailer resending one ready Buffer -> Node sink${compared} | ${m.nodemailerRawFloor.msgsPerSec} | ${m.nodemailerRawFloor.firstMessageMs} | ${m.nodemailerRawFloor.peakRssMb} |`);
    if (m.smtpSource && m.bulletinToSmtpSink) {
      out.push(`| smtp-source -> smtp-sink (loopback limit) | ${m.smtpSource.msgsPerSec} | | |`);
      out.push(`| Bulletin -> smtp-sink | ${m.bulletinToSmtpSink.msgsPerSec} | ${m.bulletinToSmtpSink.firstMessageMs} | ${m.bulletinToSmtpSink.peakRssMb} |`);
    } else out.push('', `Postfix part ${d.postfix}.`);
    // The figures of the edition of N itself: the smtp-sink run when the Node-sink ones were taken smaller.
    const full = d.comparedAt !== d.subscribers && m.bulletinToSmtpSink ? m.bulletinToSmtpSink : m.bulletin;
    out.push('', `Bulletin at ${n}: compose (render + ledger of ${n} rows) ${full.composeMs} ms; send phase alone ${full.sendPhaseMsgsPerSec} msg/s; idle RSS before the edition ${full.idleRssMb} MB; the database, per message: ${full.walBytesPerMessage} bytes of WAL (the whole server's), ${full.commitsPerMessage} commits, ${full.rowsUpdatedPerMessage} rows updated. Ratios: ${d.ratios.vsNodemailerLoop}x the nodemailer loop${compared}${d.ratios.vsLoopbackLimit !== undefined ? `, ${Math.round(d.ratios.vsLoopbackLimit * 100)}% of the loopback limit` : ''}.`);
    out.push('', `**Memory**: peak RSS (VmHWM) of the Bulletin process: ${d.memory.median10k} MB at 10,000${d.subscribers !== 10_000 ? `, ${d.memory.medianN} MB at ${n} (${d.memory.growth >= 0 ? '+' : ''}${Math.round(d.memory.growth * 100)}%)` : ''}. Per run: 10,000: ${d.memory.at10k.join(', ')}${d.subscribers !== 10_000 ? `; ${n}: ${d.memory.atN.join(', ')}` : ''}.`);
  }
  if (r.alert) out.push(...renderAlert(r.alert));
  if (r.dkim) out.push(...renderDkim(r.dkim));
  if (r.timing) {
    const e = r.timing;
    out.push('', `**No enumeration by time**: one JSON request at a time, ${e.probesPerClass} probes per class and run, each with its own address prepared in its class, classes interleaved in a random order per round${e.before ? ` (and the build in \`${e.before}\` in the same rounds)` : ''}. Median ms per class; slowest/fastest = the slowest class median over the fastest, per run; the median row takes each column's median over the runs.`);
    for (const [build, figures] of Object.entries(e.builds)) {
      for (const f of [figures.signup, figures.manage]) {
        out.push('', `| ${build}: POST ${f.endpoint} | ${f.classes.join(' | ')} | slowest/fastest |`, `|---|${f.classes.map(() => '---:').join('|')}|---:|`);
        const row = (name: string, x: (typeof f.runs)[number]) => `| ${name} | ${f.classes.map((c) => x.medians[c]).join(' | ')} | ${x.ratio} |`;
        f.runs.forEach((x, i) => out.push(row(`run ${i + 1}`, x)));
        out.push(row('median', f.median));
      }
    }
  }
  out.push('', '| Target | Measured | Met |', '|---|---:|:---:|');
  for (const t of r.targets) out.push(`| ${t.name} | ${t.measured} | ${t.met ? 'yes' : '**no**'} |`);
  return out.join('\n');
}
