import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Utf8Validator, isValidUtf8, truncateUtf8 } from '../../../src/rfc6455/utf8.js';

const VALID: readonly (readonly number[])[] = [
  [],
  [0x41],
  [0xc2, 0x80],
  [0xdf, 0xbf],
  [0xe0, 0xa0, 0x80],
  [0xed, 0x9f, 0xbf], // U+D7FF, last before the surrogates
  [0xee, 0x80, 0x80], // U+E000, first after them
  [0xef, 0xbf, 0xbf],
  [0xf0, 0x90, 0x80, 0x80],
  [0xf4, 0x8f, 0xbf, 0xbf], // U+10FFFF
  [0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5],
];

const INVALID: readonly (readonly number[])[] = [
  [0x80],
  [0xbf],
  [0xc0, 0x80],
  [0xc1, 0xbf],
  [0xe0, 0x9f, 0xbf],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xf0, 0x8f, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf5, 0x80, 0x80, 0x80],
  [0xff],
  [0xc2],
  [0xe2, 0x82],
  [0xf0, 0x90, 0x80],
  [0xc2, 0x41],
  [0x41, 0xe2, 0x28, 0xa1],
];

describe('isValidUtf8', () => {
  it('accepts the valid vectors and rejects the invalid ones', () => {
    for (const bytes of VALID) expect(isValidUtf8(Uint8Array.from(bytes)), bytes.join(',')).toBe(true);
    for (const bytes of INVALID) expect(isValidUtf8(Uint8Array.from(bytes)), bytes.join(',')).toBe(false);
  });

  it('agrees with node:buffer isUtf8 on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => isValidUtf8(bytes) === isUtf8(bytes)),
      { numRuns: 3000 },
    );
  });

  it('agrees with node:buffer isUtf8 on mutated valid strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 20 }), fc.nat(), fc.nat(255), (text, at, byte) => {
        const bytes = new TextEncoder().encode(text);
        if (bytes.length > 0) bytes[at % bytes.length] = byte;
        return isValidUtf8(bytes) === isUtf8(bytes);
      }),
      { numRuns: 3000 },
    );
  });

  it('accepts every code point boundary and every encoded string', () => {
    for (const cp of [0, 0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x10ffff]) {
      expect(isValidUtf8(new TextEncoder().encode(String.fromCodePoint(cp)))).toBe(true);
    }
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (text) => isValidUtf8(new TextEncoder().encode(text))));
  });
});

describe('Utf8Validator', () => {
  it('gives the whole-buffer answer for every split of every vector', () => {
    for (const bytes of [...VALID, ...INVALID]) {
      const data = Uint8Array.from(bytes);
      for (let split = 0; split <= data.length; split++) {
        const validator = new Utf8Validator();
        const ok = validator.push(data.subarray(0, split), false) && validator.push(data.subarray(split), true);
        expect(ok, `${bytes.join(',')} split ${split}`).toBe(isValidUtf8(data));
      }
    }
  });

  it('fails on the first invalid byte, before the end', () => {
    const validator = new Utf8Validator();
    expect(validator.push(Uint8Array.of(0xce, 0xba, 0xf4), false)).toBe(true);
    expect(validator.push(Uint8Array.of(0x90), false)).toBe(false);
    expect(validator.push(Uint8Array.of(0x41), true)).toBe(false); // latched
    validator.reset();
    expect(validator.push(Uint8Array.of(0x41), true)).toBe(true);
  });

  it('matches node:buffer isUtf8 under random chunking', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), fc.array(fc.nat(48), { maxLength: 6 }), (bytes, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const validator = new Utf8Validator();
        let start = 0;
        let ok = true;
        for (const point of points) {
          ok = validator.push(bytes.subarray(start, point), false) && ok;
          start = point;
        }
        ok = validator.push(bytes.subarray(start), true) && ok;
        return ok === isUtf8(bytes);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('Utf8Validator with a fast whole-string check', () => {
  // Long valid text (multi-byte heavy), sometimes with one byte changed, cut at random places.
  const longText = fc
    .tuple(fc.string({ unit: 'grapheme', minLength: 100, maxLength: 600 }), fc.option(fc.tuple(fc.nat(), fc.nat(255))))
    .map(([text, change]) => {
      const bytes = new TextEncoder().encode(text);
      if (change && bytes.length > 0) bytes[change[0] % bytes.length] = change[1];
      return bytes;
    });

  it('matches node:buffer isUtf8 for every chunking', () => {
    fc.assert(
      fc.property(longText, fc.array(fc.nat(4000), { maxLength: 5 }), (bytes, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        for (const validator of [new Utf8Validator(isUtf8), new Utf8Validator()]) {
          let start = 0;
          let ok = true;
          for (const point of points) {
            ok = validator.push(bytes.subarray(start, point), false) && ok;
            start = point;
          }
          ok = validator.push(bytes.subarray(start), true) && ok;
          if (ok !== isUtf8(bytes)) return false;
        }
        return true;
      }),
      { numRuns: 1500 },
    );
  });

  it('hands the bulk of long pieces to the fast check, never a split sequence', () => {
    const seen: number[] = [];
    const validator = new Utf8Validator((b) => (seen.push(b.length), isUtf8(b)));
    const euro = new TextEncoder().encode('€'.repeat(200)); // 600 bytes
    expect(validator.push(euro.subarray(0, 301), false)).toBe(true); // ends 1 byte into a €
    expect(validator.push(euro.subarray(301), true)).toBe(true);
    // The second piece: 2 bytes finish the pending €, the last € (from its lead) goes to the automaton.
    expect(seen).toEqual([300, 294]);
  });
});

describe('truncateUtf8', () => {
  it('cuts on a sequence boundary', () => {
    const euro = new TextEncoder().encode('a€€'); // 61 e2 82 ac e2 82 ac
    expect([...truncateUtf8(euro, 7)]).toEqual([...euro]);
    expect([...truncateUtf8(euro, 6)]).toEqual([0x61, 0xe2, 0x82, 0xac]);
    expect([...truncateUtf8(euro, 4)]).toEqual([0x61, 0xe2, 0x82, 0xac]);
    expect([...truncateUtf8(euro, 3)]).toEqual([0x61]);
    expect([...truncateUtf8(euro, 0)]).toEqual([]);
  });
});
