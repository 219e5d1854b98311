/**
 * The short fuzzing pass run by `npm test` (a few seconds): the whole corpus in
 * test/fuzz/corpus/ replayed against the sources, then a fixed-seed mutation run per target.
 * The long run is `npm run fuzz` (test/fuzz/long-fuzz.mjs). Invariants: test/fuzz/harness.mjs.
 */
import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';
import * as rfc6455 from '../../src/rfc6455/index.js';
// @ts-expect-error -- plain .mjs shared with the long runner, no declarations
import { ENVELOPE_TARGET, TARGETS, checkEnvelopeInput, checkFrameInput, fuzzTarget, rng } from './harness.mjs';
// @ts-expect-error -- plain .mjs shared with the long runner, no declarations
import { loadCorpus } from './corpus.mjs';

const modules = { api, rfc6455 };
const closeCodes = new Set(Object.values(api.CloseCodes));
/** Mutations per target: about half a second each on a quiet machine. */
const ITERATIONS: Record<string, number> = { envelopes: 3000 };
const FRAME_ITERATIONS = 800;

describe('fuzz corpus replay', () => {
  for (const target of TARGETS as string[]) {
    it(`${target}: every corpus input keeps the invariants`, () => {
      const corpus = loadCorpus(target) as Uint8Array[];
      expect(corpus.length).toBeGreaterThanOrEqual(10);
      const random = rng(1);
      for (const bytes of corpus) {
        const { violation } = target === ENVELOPE_TARGET ? checkEnvelopeInput(api, closeCodes, bytes) : checkFrameInput(rfc6455, closeCodes, target, bytes, random);
        expect(violation, `${target} ${Buffer.from(bytes).toString('hex')}`).toBeNull();
      }
    });
  }
});

describe('fuzz: fixed-seed mutation run', () => {
  for (const target of TARGETS as string[]) {
    it(`${target}: no exception, no unbounded work, only table close codes, chunking-independent`, () => {
      const iterations = ITERATIONS[target] ?? FRAME_ITERATIONS;
      const result = fuzzTarget({ modules, target, seeds: loadCorpus(target), seed: 14, shouldStop: (n: number) => n >= iterations });
      expect(result.failure).toBeNull();
      expect(result.iterations).toBe(iterations);
      // The mutations reach more than the seeds' outcomes (the run is not idling on one path).
      expect(result.signatures).toBeGreaterThan(loadCorpus(target).length / 2);
    });
  }
});

describe('fuzz harness catches violations (so the passes above mean something)', () => {
  const frame = Uint8Array.of(0x82, 0x81, 1, 2, 3, 4, 5);
  const throwing = {
    Connection: class {
      receive(): void {
        throw new Error('boom');
      }
    },
  };
  it('an exception escaping receive()', () => {
    expect(checkFrameInput(throwing, closeCodes, 'frames-server', frame, rng(1)).violation).toMatch(/^exception escaped receive\(\): Error: boom/);
  });

  it('a failure with a code outside the table, or a code never sent on the wire', () => {
    for (const closeCode of [1006, 3999]) {
      const failing = {
        Connection: class {
          #h: { write(c: Uint8Array[]): void; error(e: unknown): void };
          constructor(h: { write(c: Uint8Array[]): void; error(e: unknown): void }) {
            this.#h = h;
          }
          receive(): void {
            this.#h.write([Uint8Array.of(0x88, 0x02, closeCode >> 8, closeCode & 0xff)]);
            this.#h.error({ closeCode, code: 'ERR_X' });
          }
        },
      };
      expect(checkFrameInput(failing, closeCodes, 'frames-server', frame, rng(1)).violation).toMatch(/is not a sendable code of the table/);
    }
  });

  it('an outcome that depends on chunking', () => {
    const chunky = {
      Connection: class {
        #h: { message(d: Uint8Array, b: boolean, c: boolean): void };
        constructor(h: { message(d: Uint8Array, b: boolean, c: boolean): void }) {
          this.#h = h;
        }
        receive(chunk: Uint8Array): void {
          this.#h.message(chunk, true, false);
        }
      },
    };
    expect(checkFrameInput(chunky, closeCodes, 'frames-server', frame, rng(1)).violation).toMatch(/^chunking changed the outcome|events for/);
  });

  it('an envelope decoder that throws or reports a close code outside the table', () => {
    const throwing = { ...api, decodeEnvelope: () => { throw new Error('boom'); } };
    expect(checkEnvelopeInput(throwing, closeCodes, Uint8Array.of(0x7b)).violation).toMatch(/^exception escaped decodeEnvelope/);
    const badCode = { ...api, decodeEnvelope: () => ({ ok: false, error: { closeCode: 1005, code: 'x' } }) };
    expect(checkEnvelopeInput(badCode, closeCodes, Uint8Array.of(0x7b)).violation).toMatch(/not a sendable code/);
  });
});
