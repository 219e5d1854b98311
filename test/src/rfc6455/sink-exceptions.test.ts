/**
 * A sink callback (ultimately a user listener) that throws must not wedge the parser: the
 * exception leaves push(), and the next push() parses what was queued and what arrives.
 */
import { describe, expect, it } from 'vitest';
import { FrameParser } from '../../../src/rfc6455/frame-parser.js';
import type { FrameParserSink } from '../../../src/rfc6455/frame-parser.js';
import { RFC_MASK_KEY, frame } from '../../helpers/frames.js';

function text(s: string): Uint8Array {
  return frame(0x1, s, { maskKey: RFC_MASK_KEY });
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function throwingSink(throwOn: string): { sink: FrameParserSink; got: string[] } {
  const got: string[] = [];
  const sink: FrameParserSink = {
    onMessage(data) {
      const s = new TextDecoder().decode(data);
      got.push(s);
      if (s === throwOn) throw new Error('listener failed');
    },
    onControl(opcode, payload) {
      got.push(`control ${opcode} ${payload.length}`);
      if (throwOn === 'ping') throw new Error('listener failed');
    },
    onError(err) {
      got.push(`error ${err.code}`);
    },
  };
  return { sink, got };
}

describe('FrameParser with a throwing sink', () => {
  it('keeps parsing later chunks after onMessage threw', () => {
    const { sink, got } = throwingSink('one');
    const parser = new FrameParser({ role: 'server' }, sink);
    expect(() => parser.push(text('one'))).toThrow('listener failed');
    parser.push(text('two'));
    parser.push(text('three'));
    expect(got).toEqual(['one', 'two', 'three']);
    expect(parser.bufferedBytes).toBe(0);
  });

  it('parses the rest of the chunk that held the failing message on the next push', () => {
    const { sink, got } = throwingSink('one');
    const parser = new FrameParser({ role: 'server' }, sink);
    expect(() => parser.push(concat(text('one'), text('two')))).toThrow('listener failed');
    expect(got).toEqual(['one']);
    parser.push(text('three'));
    expect(got).toEqual(['one', 'two', 'three']);
  });

  it('keeps a fragmented message consistent after a control-frame callback threw in its middle', () => {
    const { sink, got } = throwingSink('ping');
    const parser = new FrameParser({ role: 'server' }, sink);
    parser.push(frame(0x1, 'frag', { fin: false, maskKey: RFC_MASK_KEY }));
    expect(() => parser.push(frame(0x9, 'p', { maskKey: RFC_MASK_KEY }))).toThrow('listener failed');
    parser.push(frame(0x0, 'mented', { maskKey: RFC_MASK_KEY }));
    expect(got).toEqual(['control 9 1', 'fragmented']);
  });
});
