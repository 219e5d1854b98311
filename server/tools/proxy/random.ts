/**
 * A small seeded PRNG, so a run of the proxy can be repeated: the same seed gives the same cut
 * and black-hole times per connection (in accept order), whatever the traffic does. Each use
 * draws from its own stream, so turning on jitter does not shift the cut times.
 */
import type { TimeRange } from './units.js';

/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

/** Independent streams derived from one seed. */
export const RandomStreams = Object.freeze({ cut: 1, blackhole: 2, jitter: 3 });

/**
 * mulberry32: 32 bits of state, fast, and good enough for fault schedules (not for secrets).
 * The same seed always yields the same sequence.
 */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Derives the seed of a sub-stream (`stream`, e.g. a connection number) from `seed` with
 * murmur3's finaliser, so neighbouring streams are unrelated sequences.
 */
export function deriveSeed(seed: number, stream: number): number {
  let h = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A fresh random seed (an integer from 0 to 2^32 - 1), for runs that did not pass one. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 32);
}

/** A fixed time as is, or a whole number of ms drawn uniformly from `[min, max]` (both included). */
export function drawTime(range: TimeRange, random: Random): number {
  if (typeof range === 'number') return range;
  const [min, max] = range;
  return Math.min(max, min + Math.floor(random() * (Math.floor(max - min) + 1)));
}

/**
 * Draws the next time of a schedule for each new connection: the n-th call gives the n-th
 * connection's time. The proxy uses one per stream (cuts, black holes).
 */
export function createSchedule(seed: number, stream: number, range: TimeRange): () => number {
  const random = createRandom(deriveSeed(seed, stream));
  return () => drawTime(range, random);
}

/**
 * The first `count` cut times (ms after accept) that a proxy with this `seed` and `cutAfter`
 * gives its connections, in accept order. Pure: use it to predict or log a run.
 */
export function cutSchedule(seed: number, cutAfter: TimeRange, count: number): number[] {
  const next = createSchedule(seed, RandomStreams.cut, cutAfter);
  return Array.from({ length: count }, next);
}
