/** Polls `find` until it answers something truthy, or fails after `timeoutMs`. */
export const waitFor = async <T>(
  find: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 5000,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await find();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
};

/** Polls `check` until it answers something truthy (or throws after `timeoutMs`): waitFor, unnamed. */
export const eventually = <T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
): Promise<T> => waitFor(check, 'a condition', timeoutMs);
