const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A barrier: every task is released in the same tick, each after its own random delay within
 * `spreadMs` (0: all at once), so racers land before, during and after one another.
 */
export async function race<T>(tasks: Array<() => PromiseLike<T>>, spreadMs = 0): Promise<T[]> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const running = tasks.map(async (task) => {
    await gate;
    if (spreadMs > 0) await sleep(Math.random() * spreadMs);
    return task();
  });
  release();
  return Promise.all(running);
}
