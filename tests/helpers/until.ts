/**
 * Polls `condition` until it holds. No timing is asserted: the deadline only keeps a broken run
 * from hanging, and the error then says what never came (`what`, worded from the last poll).
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  { timeoutMs = 10_000, everyMs = 20, what = () => 'condition' }: { timeoutMs?: number; everyMs?: number; what?: () => string } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what()} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
