/**
 * Part "dkim" (issue 14.6): one edition of N with DKIM on. A 2048-bit RSA key is made for the run;
 * Bulletin gets it through DKIM_DOMAIN / DKIM_SELECTOR / DKIM_PRIVATE_KEY, the plain nodemailer loop
 * through nodemailer's `dkim` transport option, both to the same Node sink, one after the other.
 * Bulletin and the loop without DKIM run in the same round, so the cost of signing shows. Target: Bulletin
 * with DKIM >= 3x the loop with DKIM. With `--before DIR` (an older checkout with `dist/` built),
 * that build sends the same edition with the same key too, in the same round.
 *
 * Diagnostic: each signer alone in this process, on the same edition copies (PreparedDigestMime),
 * one message at a time: CPU per message of nodemailer's signer (streams, JS byte loop, RSA on the
 * event loop) and of Bulletin's (native body check, RSA on the thread pool).
 */
import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import DKIM from 'nodemailer/lib/dkim';
import { DkimSigner, type DkimSettings } from '../src/mail/dkim-signer';
import { PreparedDigestMime } from '../src/mail/digest-mime';
import { builtMainJs } from './bulletin';
import type { BenchContext } from './context';
import { bulletinSend, nodemailerLoop, seed } from './digest-send';
import type { Target } from './report';
import { median, round } from './stats';

export interface DkimResult {
  subscribers: number;
  keyBits: number;
  runs: { bulletinPlain: number[]; bulletinDkim: number[]; nodemailerLoopDkim: number[]; nodemailerLoopPlain: number[]; beforeDkim: number[] };
  /** The --before directory, when given. */
  before?: string;
  /** msg/s, medians of the runs. */
  median: { bulletinPlain: number; bulletinDkim: number; nodemailerLoopDkim: number; nodemailerLoopPlain: number; beforeDkim?: number };
  /** Bytes per message the sink received from Bulletin: the signature field is the difference. */
  bytesPerMessage: { plain: number; dkim: number };
  /** Bulletin with DKIM / the loop with DKIM, and Bulletin with DKIM / Bulletin without: run by run, then the median. */
  ratios: { vsNodemailerLoopDkim: number; vsBulletinPlain: number };
  /**
   * Each signer alone, one message at a time, microseconds per message: nodemailer's wall time (all
   * of it on the event loop, RSA included); Bulletin's wall time and process CPU time, and the CPU
   * of one RSA signature (which Bulletin's signer runs on the thread pool).
   */
  signerAlone: { messages: number; bytesPerMessage: number; nodemailerUs: number; bulletinWallUs: number; bulletinCpuUs: number; rsaSignUs: number };
}

const DOMAIN = 'news.bench.test';
const SELECTOR = 'bench2026';

export async function benchDigestDkim(ctx: BenchContext & { before?: string }): Promise<DkimResult> {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const dkim: DkimSettings = { domainName: DOMAIN, keySelector: SELECTOR, privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
  const env = { DKIM_DOMAIN: dkim.domainName, DKIM_SELECTOR: dkim.keySelector, DKIM_PRIVATE_KEY: dkim.privateKey };
  const n = ctx.subscribers;
  await seed(ctx, n);
  const runs: DkimResult['runs'] = { bulletinPlain: [], bulletinDkim: [], nodemailerLoopDkim: [], nodemailerLoopPlain: [], beforeDkim: [] };
  const beforeMainJs = ctx.before ? builtMainJs(ctx.before) : undefined;
  const bytesPerMessage = { plain: 0, dkim: 0 };
  for (let i = 1; i <= ctx.runs; i++) {
    const plain = await bulletinSend(ctx, n, { kind: 'node', port: ctx.sinkPort });
    runs.bulletinPlain.push(plain.msgsPerSec);
    bytesPerMessage.plain = plain.bytesPerMessage;
    ctx.log(`dkim run ${i} bulletin without DKIM: ${plain.msgsPerSec} msg/s`);
    const signed = await bulletinSend(ctx, n, { kind: 'node', port: ctx.sinkPort }, { env });
    runs.bulletinDkim.push(signed.msgsPerSec);
    bytesPerMessage.dkim = signed.bytesPerMessage;
    ctx.log(`dkim run ${i} bulletin with DKIM: ${signed.msgsPerSec} msg/s`);
    if (beforeMainJs) {
      // An older build is context, not the target: its failure costs this row, not the run.
      const before = await bulletinSend(ctx, n, { kind: 'node', port: ctx.sinkPort }, { env, mainJs: beforeMainJs }).catch((err: Error) => err);
      if (before instanceof Error) ctx.log(`dkim run ${i} --before build with DKIM failed: ${before.message}`);
      else {
        runs.beforeDkim.push(before.msgsPerSec);
        ctx.log(`dkim run ${i} --before build with DKIM: ${before.msgsPerSec} msg/s`);
      }
    }
    const loop = await nodemailerLoop(ctx, n, 'compose', dkim);
    runs.nodemailerLoopDkim.push(loop.msgsPerSec);
    ctx.log(`dkim run ${i} nodemailer loop with DKIM: ${loop.msgsPerSec} msg/s`);
    const loopPlain = await nodemailerLoop(ctx, n, 'compose');
    runs.nodemailerLoopPlain.push(loopPlain.msgsPerSec);
    ctx.log(`dkim run ${i} nodemailer loop without DKIM: ${loopPlain.msgsPerSec} msg/s`);
  }
  const signerAlone = await signersAlone(ctx, dkim);
  ctx.log(`dkim signers alone: nodemailer ${signerAlone.nodemailerUs} us/msg, Bulletin ${signerAlone.bulletinWallUs} us/msg (CPU ${signerAlone.bulletinCpuUs} us, of which RSA ${signerAlone.rsaSignUs} us)`);
  const byRun = (a: number[], b: number[]) => round(median(a.map((x, i) => x / b[i]!)), 2);
  return {
    subscribers: n,
    keyBits: 2048,
    runs,
    median: {
      bulletinPlain: median(runs.bulletinPlain),
      bulletinDkim: median(runs.bulletinDkim),
      nodemailerLoopDkim: median(runs.nodemailerLoopDkim),
      nodemailerLoopPlain: median(runs.nodemailerLoopPlain),
      ...(runs.beforeDkim.length ? { beforeDkim: median(runs.beforeDkim) } : {}),
    },
    before: ctx.before,
    bytesPerMessage,
    ratios: { vsNodemailerLoopDkim: byRun(runs.bulletinDkim, runs.nodemailerLoopDkim), vsBulletinPlain: byRun(runs.bulletinDkim, runs.bulletinPlain) },
    signerAlone,
  };
}

/** Both signers on the last edition's copies, one message at a time, in this process. */
async function signersAlone(ctx: BenchContext, dkim: DkimSettings): Promise<DkimResult['signerAlone']> {
  const { rows } = await ctx.pool.query<{ subject: string; html: string; text: string }>(`SELECT subject, html, text FROM digests ORDER BY id DESC LIMIT 1`);
  const mime = new PreparedDigestMime({ from: 'Bulletin <newsletter@news.bench.test>', listId: 'daily.bulletin.localhost', feedbackId: '1:daily:bulletin:bench' }, rows[0]!);
  const messages = 1000;
  const copies = Array.from({ length: messages }, (_, i) => {
    const link = `http://127.0.0.1:3000/unsubscribe?s=${i}.${crypto.randomBytes(32).toString('base64url')}`;
    return mime.fill({ to: `reader${i}@example.test`, values: { unsubscribeUrl: link, preferencesUrl: link }, listUnsubscribe: link }).raw;
  });
  const nodemailer = new DKIM(dkim);
  const ours = new DkimSigner(dkim);
  const timed = async (sign: (m: Buffer) => Promise<unknown>) => {
    for (const m of copies.slice(0, 50)) await sign(m); // warm-up
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    for (const m of copies) await sign(m);
    const used = process.cpuUsage(cpu);
    // cpuUsage counts the thread pool's time too.
    return { cpuUs: (used.user + used.system) / messages, wallUs: ((performance.now() - t0) * 1000) / messages };
  };
  const theirs = await timed((m) => streamToBuffer(nodemailer.sign(m)));
  const mine = await timed((m) => ours.sign(m, { crlfOnly: true })); // as SmtpMailer.sendRaw signs a vouched copy
  return {
    messages,
    bytesPerMessage: Math.round(copies.reduce((s, c) => s + c.length, 0) / messages),
    nodemailerUs: round(theirs.wallUs, 0),
    bulletinWallUs: round(mine.wallUs, 0),
    bulletinCpuUs: round(mine.cpuUs, 0),
    rsaSignUs: round(signOnlyCpuUs(dkim), 0),
  };
}

/** CPU of one RSA signature (2048 bits) alone: Bulletin's signer's CPU less this is its event loop's share. */
function signOnlyCpuUs(dkim: DkimSettings): number {
  const key = crypto.createPrivateKey(dkim.privateKey);
  const data = Buffer.alloc(700, 'h');
  const cpu = process.cpuUsage();
  for (let i = 0; i < 300; i++) crypto.sign('sha256', data, key);
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / 300;
}

function streamToBuffer(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', reject);
    stream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

export function dkimTargets(d: DkimResult): Target[] {
  return [
    {
      name: 'Digest send with DKIM (2048-bit RSA) >= 3x the plain nodemailer loop signing with the same key',
      measured: `${d.ratios.vsNodemailerLoopDkim}x`,
      met: d.ratios.vsNodemailerLoopDkim >= 3,
    },
  ];
}

export function renderDkim(d: DkimResult): string[] {
  const n = d.subscribers.toLocaleString('en');
  const row = (name: string, runs: number[], med: number) => `| ${name} | ${runs.join(', ')} | ${med} |`;
  return [
    '',
    `**DKIM on**: one edition to ${n} confirmed subscribers, a ${d.keyBits}-bit RSA key made for the run, same Node sink; the sends of a round one after the other.`,
    '',
    '| Path | msg/s per run | median |',
    '|---|---|---:|',
    row('Bulletin, DKIM on (DkimSigner)', d.runs.bulletinDkim, d.median.bulletinDkim),
    row('Bulletin, DKIM off', d.runs.bulletinPlain, d.median.bulletinPlain),
    row("Plain nodemailer loop, DKIM on (nodemailer's `dkim` option)", d.runs.nodemailerLoopDkim, d.median.nodemailerLoopDkim),
    row('Plain nodemailer loop, DKIM off', d.runs.nodemailerLoopPlain, d.median.nodemailerLoopPlain),
    ...(d.median.beforeDkim !== undefined ? [row(`\`--before\` build (\`${d.before}\`), DKIM on`, d.runs.beforeDkim, d.median.beforeDkim)] : []),
    '',
    `Ratios (run by run, median): with DKIM ${d.ratios.vsNodemailerLoopDkim}x the nodemailer loop with DKIM; ${d.ratios.vsBulletinPlain}x Bulletin without DKIM. Bulletin's copies as the sink counted them: ${d.bytesPerMessage.plain} bytes without DKIM, ${d.bytesPerMessage.dkim} with (the signature field).`,
    `Signers alone, ${d.signerAlone.messages} edition copies of ${d.signerAlone.bytesPerMessage} bytes signed one at a time in one process: nodemailer's ${d.signerAlone.nodemailerUs} us per message, all on the event loop; Bulletin's ${d.signerAlone.bulletinWallUs} us waited and ${d.signerAlone.bulletinCpuUs} us of CPU per message, of which one RSA signature (${d.signerAlone.rsaSignUs} us) runs on the thread pool.`,
  ];
}
