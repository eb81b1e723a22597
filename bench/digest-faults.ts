/**
 * Part "faults": one edition of N through Bulletin to the Node sink, twice in the same run: 5% of
 * the readers' first messages answered 451, then 5% never answered (the sink takes the data and
 * stays silent on the final dot). Issue 14's target: the silent edition finishes within 3x the 451
 * one. Retries come after SEND_RETRY_DELAY_SECONDS=1 (real time); the silent messages end after
 * SMTP_MESSAGE_TIMEOUT_MS, given per run below, each holding one of the SMTP_MAX_CONNECTIONS.
 */
import type { BenchContext } from './context';
import { bulletinSend, seed } from './digest-send';

export interface FaultResult {
  subscribers: number;
  messageTimeoutMs: number;
  /** Seconds from the admin POST to the last message accepted, per fault, medians of the runs. */
  seconds451: number[];
  secondsSilent: number[];
  ratio: number;
}

/** Short, so a run takes a minute, not the default 30 s per silent message; BENCH_MESSAGE_TIMEOUT_MS changes it. */
const MESSAGE_TIMEOUT_MS = Number(process.env.BENCH_MESSAGE_TIMEOUT_MS ?? 1000);

export async function benchDigestFaults(ctx: BenchContext): Promise<FaultResult> {
  const n = ctx.subscribers;
  await seed(ctx, n);
  const env = { SEND_RETRY_DELAY_SECONDS: '1', SMTP_MESSAGE_TIMEOUT_MS: String(MESSAGE_TIMEOUT_MS) };
  const seconds451: number[] = [];
  const secondsSilent: number[] = [];
  for (let i = 1; i <= ctx.runs; i++) {
    for (const kind of ['451', 'silent'] as const) {
      const r = await bulletinSend(ctx, n, { kind: 'node', port: ctx.sinkPort }, { env, fault: { kind, every: 20 } });
      const seconds = Math.round((n / r.msgsPerSec) * 10) / 10;
      (kind === '451' ? seconds451 : secondsSilent).push(seconds);
      ctx.log(`faults run ${i}, 5% ${kind}: ${n} readers in ${seconds} s (${r.msgsPerSec} msg/s)`);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  return { subscribers: n, messageTimeoutMs: MESSAGE_TIMEOUT_MS, seconds451, secondsSilent, ratio: Math.round((median(secondsSilent) / median(seconds451)) * 100) / 100 };
}
