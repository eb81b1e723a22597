/**
 * Part "faults": one edition of N through Bulletin to the Node sink, with 5% of the readers' first
 * messages answered 451, then with 5% never answered (the sink takes the data and stays silent on
 * the final dot); issue 14's target: the silent edition finishes within 3x the 451 one. Both are
 * taken twice: at Bulletin's defaults (SMTP_MESSAGE_TIMEOUT_MS=30000, SEND_RETRY_DELAY_SECONDS=60),
 * where a retry waits a minute either way, and at a short setting (1 s and 1 s) that makes a
 * silent message cost about as much time as the retry delay, so any time it holds a connection or
 * a lane shows. SMTP_MAX_CONNECTIONS, SMTP_SPARE_CONNECTIONS and SEND_CONCURRENCY are defaults.
 */
import type { BenchContext } from './context';
import { bulletinSend, seed } from './digest-send';
import { median } from './stats';

export interface FaultSettingResult {
  setting: 'defaults' | 'short';
  env: Record<string, string>;
  /** Seconds from the admin POST to the last message accepted, per run. */
  seconds451: number[];
  secondsSilent: number[];
  /** Silent over 451, medians. */
  ratio: number;
}

export interface FaultResult {
  subscribers: number;
  settings: FaultSettingResult[];
}

const SETTINGS = {
  defaults: {},
  short: { SEND_RETRY_DELAY_SECONDS: '1', SMTP_MESSAGE_TIMEOUT_MS: '1000' },
} satisfies Record<FaultSettingResult['setting'], Record<string, string>>;

export async function benchDigestFaults(ctx: BenchContext): Promise<FaultResult> {
  const n = ctx.subscribers;
  await seed(ctx, n);
  const settings: FaultSettingResult[] = [];
  for (const [setting, env] of Object.entries(SETTINGS) as Array<[FaultSettingResult['setting'], Record<string, string>]>) {
    const seconds = { '451': [] as number[], silent: [] as number[] };
    for (let i = 1; i <= ctx.runs; i++) {
      for (const kind of ['451', 'silent'] as const) {
        const r = await bulletinSend(ctx, n, { kind: 'node', port: ctx.sinkPort }, { env, fault: { kind, every: 20 }, timeoutMs: 600_000 });
        const s = Math.round((n / r.msgsPerSec) * 10) / 10;
        seconds[kind].push(s);
        ctx.log(`faults (${setting}) run ${i}, 5% ${kind}: ${n} readers in ${s} s (${r.msgsPerSec} msg/s)`);
      }
    }
    const ratio = Math.round((median(seconds.silent) / median(seconds['451'])) * 100) / 100;
    settings.push({ setting, env, seconds451: seconds['451'], secondsSilent: seconds.silent, ratio });
  }
  return { subscribers: n, settings };
}
