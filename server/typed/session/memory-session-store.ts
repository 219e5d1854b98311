/**
 * The default session store: one process, nothing shared. The server already holds every live
 * session of this process, so what is left to keep is why sessions ended — for `window` ms, at
 * most `maxEnded` of them, oldest forgotten first — so that a resume that comes late is told
 * `expired`, `overflow` or `closed` instead of `unknown`. One timer serves all of them.
 */
import type { TimerHandle } from '../../../src/scheduler.js';
import type { SessionEndReason, SessionLookup, SessionStore, SessionStoreContext, SessionStoreFactory } from './session-store.js';

interface Ended {
  readonly reason: Exclude<SessionEndReason, 'left'>;
  readonly forgetAt: number;
}

const MISSING: SessionLookup = Object.freeze({ kind: 'missing' });

/** In-process {@link SessionStore}: remembers ended sessions, bounded in time and count. */
export class MemorySessionStore implements SessionStore {
  readonly #context: SessionStoreContext;
  /** sid → why it ended; insertion order is expiry order (every entry lives `window` ms). */
  readonly #ended = new Map<string, Ended>();
  /** Wake-ups are at least this far apart, so thousands of endings cost few timers. */
  readonly #resolution: number;
  #timer: TimerHandle | undefined;

  constructor(context: SessionStoreContext) {
    this.#context = context;
    this.#resolution = Math.min(1_000, context.window / 10);
  }

  /** Ended sessions remembered now. */
  get size(): number {
    return this.#ended.size;
  }

  create(): void {
    // Nothing to share: this process's registry holds its live sessions.
  }

  update(): void {
    // As create(): the live session is the record.
  }

  end(sid: string, reason: SessionEndReason): void {
    const ended = this.#ended;
    ended.delete(sid); // re-inserted at the back: its expiry is now the latest
    if (reason === 'left') return; // the client will not ask
    ended.set(sid, { reason, forgetAt: this.#context.scheduler.now() + this.#context.window });
    // Bounded: past the cap the oldest reasons go (a late resume then hears `unknown`).
    while (ended.size > this.#context.maxEnded) ended.delete(ended.keys().next().value as string);
    this.#arm();
  }

  get(sid: string): Promise<SessionLookup> {
    this.#prune();
    const ended = this.#ended.get(sid);
    return Promise.resolve(ended === undefined ? MISSING : { kind: 'ended', reason: ended.reason });
  }

  close(): Promise<void> {
    this.#ended.clear();
    this.#disarm();
    return Promise.resolve();
  }

  #prune(): void {
    const now = this.#context.scheduler.now();
    for (const [sid, ended] of this.#ended) {
      if (ended.forgetAt > now) break;
      this.#ended.delete(sid);
    }
  }

  #arm(): void {
    if (this.#timer !== undefined) return;
    const first = this.#ended.values().next().value as Ended | undefined;
    if (first === undefined) return;
    const { scheduler } = this.#context;
    this.#timer = scheduler.setTimeout(() => {
      this.#timer = undefined;
      this.#prune();
      this.#arm();
    }, Math.max(this.#resolution, first.forgetAt - scheduler.now()));
  }

  #disarm(): void {
    if (this.#timer === undefined) return;
    this.#context.scheduler.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** The default {@link SessionStoreFactory}. */
export const memorySessionStore: SessionStoreFactory = (context) => new MemorySessionStore(context);
