/**
 * Every vector is fed whole, cut at every split point (sampled for the few vectors over 600 bytes),
 * and one byte at a time; the recorded events must be identical each time.
 */
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../helpers/frames.js';
import { FRAME_VECTORS } from '../../vectors/frame-vectors.js';
import { feed } from './recorder.js';

const ALL_SPLITS_MAX_BYTES = 600;

/** Split points to try: all of them for short inputs; for long ones the header region, the end and a stride. */
function splitPoints(length: number): number[] {
  if (length <= ALL_SPLITS_MAX_BYTES) return Array.from({ length: Math.max(0, length - 1) }, (_, i) => i + 1);
  const points = new Set<number>();
  for (let i = 1; i < 40; i++) points.add(i);
  for (let i = length - 40; i < length; i++) points.add(i);
  for (let i = 1; i < length; i += 997) points.add(i);
  return [...points].filter((p) => p > 0 && p < length);
}

describe('RFC 6455 frame vectors', () => {
  for (const vector of FRAME_VECTORS) {
    describe(vector.name, () => {
      const bytes = fromHex(vector.hex);
      const options = { role: vector.role, ...vector.options };

      it('fed whole', () => {
        expect(feed(options, bytes, [])).toEqual(vector.expect);
      });

      it('cut at every split point', () => {
        for (const split of splitPoints(bytes.length)) {
          expect(feed(options, bytes, [split]), `split at ${split}`).toEqual(vector.expect);
        }
      });

      it('one byte at a time', () => {
        const cuts = Array.from({ length: Math.max(0, bytes.length - 1) }, (_, i) => i + 1);
        expect(feed(options, bytes, cuts)).toEqual(vector.expect);
      });
    });
  }

  it('has unique names', () => {
    const names = FRAME_VECTORS.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
