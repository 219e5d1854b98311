/**
 * Time, injected. Nothing in src/ reads the clock or starts a timer directly: it takes a
 * Scheduler, so tests can drive time deterministically and each platform supplies its own.
 */
export interface Scheduler {
  /** Milliseconds on a wall clock (Date.now()-like: keeps running while a tab sleeps). */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Opaque timer handle. */
export type TimerHandle = unknown;

// The host's timer functions: ECMAScript does not define them, every target platform does.
declare const setTimeout: (callback: () => void, delayMs: number) => unknown;
declare const clearTimeout: (handle: unknown) => void;

/** The platform's own clock and timers (browser or Node). */
export const systemScheduler: Scheduler = Object.freeze({
  now: () => Date.now(),
  setTimeout: (callback: () => void, delayMs: number) => setTimeout(callback, delayMs),
  clearTimeout: (handle: TimerHandle) => clearTimeout(handle),
});
