/**
 * Part "lanes": the same edition of N through Bulletin to Postfix's smtp-sink with several
 * SEND_CONCURRENCY values, interleaved round by round with smtp-source -> smtp-sink (the loopback
 * limit), so a machine busy with other work shows in every variant alike. It is how the default
 * (50) was chosen: each lane waits for its message's sent mark to commit before taking the next,
 * so the lanes, not the 5 SMTP connections, were the limit at 20. With `--before DIR` (an older
 * checkout with `dist/` built), each round also sends the edition through that build at the
 * default SEND_CONCURRENCY: a change to the send is judged against its baseline round by round.
 */
import { builtMainJs } from './bulletin';
import type { BenchContext } from './context';
import { bulletinSend } from './digest-send';
import { runSmtpSource } from './postfix';
import { withSeededPostfixSink } from './postfix-part';
import { median, round } from './stats';

export interface LanesResult {
  subscribers: number;
  concurrency: number[];
  /** Per round: the loopback limit, Bulletin's msg/s per concurrency (in the order above), the --before build's. */
  rounds: Array<{ smtpSource: number; bulletin: number[]; before?: number }>;
  /** Per concurrency, the median over rounds of Bulletin / loopback limit of the same round. */
  ofLoopback: number[];
  /** The --before directory and the median over rounds of its msg/s / loopback limit, when given. */
  before?: { dir: string; ofLoopback: number };
}

const CONCURRENCY = (process.env.BENCH_LANES ?? '20,50,80').split(',').map(Number);

export async function benchDigestLanes(ctx: BenchContext & { before?: string }): Promise<LanesResult | undefined> {
  const n = ctx.subscribers;
  const beforeMainJs = ctx.before ? builtMainJs(ctx.before) : undefined;
  return withSeededPostfixSink(ctx, 'lanes', async ({ sink, source }) => {
    const rounds: LanesResult['rounds'] = [];
    for (let i = 1; i <= ctx.runs; i++) {
      const bulletin: number[] = [];
      for (const c of CONCURRENCY) {
        const r = await bulletinSend(ctx, n, { kind: 'postfix', port: sink.port }, { env: { SEND_CONCURRENCY: String(c) } });
        bulletin.push(r.msgsPerSec);
        ctx.log(`lanes round ${i}, SEND_CONCURRENCY=${c}: ${r.msgsPerSec} msg/s`);
      }
      let before: number | undefined;
      if (beforeMainJs) {
        before = (await bulletinSend(ctx, n, { kind: 'postfix', port: sink.port }, { mainJs: beforeMainJs })).msgsPerSec;
        ctx.log(`lanes round ${i}, --before build: ${before} msg/s`);
      }
      // Messages of the edition's size as the digest part measures it (44 KB), over 5 sessions.
      const { seconds } = await runSmtpSource(source, { port: sink.port, count: n, sessions: 5, size: 44_000 });
      rounds.push({ smtpSource: round(n / seconds), bulletin, before });
      ctx.log(`lanes round ${i}, smtp-source -> smtp-sink: ${round(n / seconds)} msg/s`);
    }
    const ofLoopback = CONCURRENCY.map((_, k) => round(median(rounds.map((r) => r.bulletin[k]! / r.smtpSource)), 2));
    const beforeOf = ctx.before ? { dir: ctx.before, ofLoopback: round(median(rounds.map((r) => r.before! / r.smtpSource)), 2) } : undefined;
    return { subscribers: n, concurrency: CONCURRENCY, rounds, ofLoopback, before: beforeOf };
  });
}
