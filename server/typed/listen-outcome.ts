/**
 * Whether a typed server got its port: `server.ready()` resolves when it listens (at once when it
 * attaches or runs with `noServer`) and rejects with the listen error (EADDRINUSE, EACCES…).
 * A listen error that nobody hears — no `'error'` listener and no `ready()` caller — is thrown
 * on the next tick, as `net.Server` and `ws` do: a server that silently never listens is worse
 * than a crash at startup.
 */

/** Is `err` the failure of a `listen()` call (Node sets `syscall: 'listen'` on those)? */
export function isListenError(err: unknown): err is NodeJS.ErrnoException {
  return typeof err === 'object' && err !== null && (err as { syscall?: unknown }).syscall === 'listen';
}

/** The one-shot outcome of listening. */
export class ListenOutcome {
  readonly #promise: Promise<void>;
  #resolve!: () => void;
  #reject!: (err: Error) => void;
  #watched = false;

  constructor() {
    this.#promise = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Not awaiting ready() is fine: the failure is then reported (or thrown) by `failed`.
    this.#promise.catch(() => undefined);
  }

  /** The promise behind `server.ready()`; asking for it counts as listening for the failure. */
  get promise(): Promise<void> {
    this.#watched = true;
    return this.#promise;
  }

  /** The server is listening (or needs no port). */
  listening(): void {
    this.#resolve();
  }

  /** Listening failed; `heard` says an `'error'` listener received it. */
  failed(err: Error, heard: boolean): void {
    this.#reject(err);
    if (!heard && !this.#watched) {
      process.nextTick(() => {
        throw err;
      });
    }
  }
}
