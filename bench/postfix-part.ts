import type { BenchContext } from './context';
import { seed } from './digest-send';
import { findPostfixTools, startPostfixSink } from './postfix';

/**
 * For a part that needs Postfix's tools: seeds N readers, starts smtp-sink, runs `part`, stops the
 * sink; without the tools, says so and gives undefined.
 */
export async function withSeededPostfixSink<T>(
  ctx: BenchContext,
  name: string,
  part: (tools: { sink: { port: number }; source: string }) => Promise<T>,
): Promise<T | undefined> {
  const postfix = findPostfixTools();
  if (!postfix) {
    ctx.log(`${name}: skipped (smtp-sink/smtp-source not installed: apt-get install postfix)`);
    return undefined;
  }
  await seed(ctx, ctx.subscribers);
  const sink = await startPostfixSink(postfix.sink);
  try {
    return await part({ sink, source: postfix.source });
  } finally {
    await sink.stop();
  }
}
