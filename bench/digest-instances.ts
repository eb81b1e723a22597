/**
 * Part "instances": one edition of N to Postfix's smtp-sink sent by 1, 2 and 3 Bulletin processes
 * side by side against the same database (each RUN_JOBS=true, as `npm start`; the first composes,
 * the others take their share through SKIP LOCKED claims). What it shows on one machine: whether
 * senders get in each other's way in the database, how many connections they hold, and what the
 * database does per message. It cannot show more throughput than this machine's cores allow: every
 * process, PostgreSQL and the sink share them (docs/scaling.md reads the figures).
 */
import type { BenchContext } from './context';
import { bulletinSend } from './digest-send';
import { withSeededPostfixSink } from './postfix-part';

export interface InstancesResult {
  subscribers: number;
  runs: Array<{ instances: number; msgsPerSec: number; composeMs: number; peakConnections: number; commitsPerMessage: number; walBytesPerMessage: number }>;
}

const INSTANCES = [1, 2, 3];

export async function benchDigestInstances(ctx: BenchContext): Promise<InstancesResult | undefined> {
  const n = ctx.subscribers;
  return withSeededPostfixSink(ctx, 'instances', async ({ sink }) => {
    const runs: InstancesResult['runs'] = [];
    for (let i = 1; i <= ctx.runs; i++) {
      for (const instances of INSTANCES) {
        const r = await bulletinSend(ctx, n, { kind: 'postfix', port: sink.port }, { instances, timeoutMs: Math.max(600_000, n * 2) });
        runs.push({ instances, msgsPerSec: r.msgsPerSec, composeMs: r.composeMs, peakConnections: r.peakConnections, commitsPerMessage: r.commitsPerMessage, walBytesPerMessage: r.walBytesPerMessage });
        ctx.log(`instances round ${i}, ${instances} sender(s): ${r.msgsPerSec} msg/s, ${r.peakConnections} connections at most, ${r.commitsPerMessage} commits/msg`);
      }
    }
    return { subscribers: n, runs };
  });
}
