/** Waiting in real-time tests: bounded polling, a plain delay, and the next event of an emitter. */

/** Resolves when `ready()` holds, polling every 5 ms; rejects after `timeoutMs`. */
export async function until(ready: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The arguments of the next `event` emitted by `emitter`. */
export function nextEvent<T extends unknown[]>(emitter: { once(event: string, listener: (...args: any[]) => void): unknown }, event: string): Promise<T> {
  return new Promise((resolve) => emitter.once(event, (...args: unknown[]) => resolve(args as T)));
}
