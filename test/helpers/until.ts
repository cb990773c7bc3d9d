/**
 * Polls `check` until it holds; throws naming `what` after `ms`. For state that has no event of
 * its own here (pub/sub delivery on another connection); the bound only matters when it fails,
 * so it is generous for a loaded machine.
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  options: { ms?: number; everyMs?: number } = {},
): Promise<void> {
  const { ms = 10_000, everyMs = 10 } = options;
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
