/** Limits and buffering behaviour of the parser that byte vectors cannot show. */
import { describe, expect, it } from 'vitest';
import { ErrorCodes, ProtocolError } from '../../../src/errors.js';
import { FrameParser, type FrameParserOptions } from '../../../src/rfc6455/frame-parser.js';
import { clientFrame, concat, pattern } from '../../helpers/frames.js';

interface Sink {
  messages: { data: Uint8Array; isBinary: boolean }[];
  errors: ProtocolError[];
  controls: number[];
}

function parser(options: Partial<FrameParserOptions> = {}): { parser: FrameParser; sink: Sink } {
  const sink: Sink = { messages: [], errors: [], controls: [] };
  const p = new FrameParser(
    { role: 'server', ...options },
    {
      onMessage: (data, isBinary) => sink.messages.push({ data, isBinary }),
      onControl: (opcode) => sink.controls.push(opcode),
      onError: (err) => sink.errors.push(err),
    },
  );
  return { parser: p, sink };
}

/** A fragmented binary message, every fragment masked (with a key that varies by index). */
function fragmented(count: number, size: number): { stream: Uint8Array; payload: Uint8Array } {
  const payload = pattern(count * size, 3);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    frames.push(
      clientFrame(i === 0 ? 2 : 0, payload.subarray(i * size, (i + 1) * size), {
        fin: i === count - 1,
        maskKey: [i & 0xff, 0x5a, (i >> 8) & 0xff, 0xa5],
      }),
    );
  }
  return { stream: concat(frames), payload };
}

function feedInChunks(p: FrameParser, stream: Uint8Array, size: number, check?: () => void): void {
  for (let offset = 0; offset < stream.length; offset += size) {
    p.push(stream.slice(offset, offset + size));
    check?.();
  }
}

describe('FrameParser limits', () => {
  it('accepts 16 MiB as 65,536 fragments of 256 bytes with the defaults (Autobahn 9.x)', () => {
    const { stream, payload } = fragmented(65_536, 256);
    const { parser: p, sink } = parser();
    feedInChunks(p, stream, 64 * 1024);
    expect(sink.errors).toEqual([]);
    expect(sink.messages.length).toBe(1);
    const data = sink.messages[0]!.data;
    expect(data.length).toBe(16 * 1024 * 1024);
    expect(Buffer.compare(Buffer.from(data), Buffer.from(payload))).toBe(0);
  });

  it('ends a flood of 1-byte fragments at maxFragments (default 100,000) with 1009', () => {
    const { stream } = fragmented(100_002, 1);
    const { parser: p, sink } = parser();
    feedInChunks(p, stream, 64 * 1024);
    expect(sink.messages).toEqual([]);
    expect(sink.errors.length).toBe(1);
    expect(sink.errors[0]).toMatchObject({ code: ErrorCodes.TooManyFragments, closeCode: 1009 });
    expect(p.bufferedBytes).toBe(0);
  });

  it('assembles a million 1-byte fragments in bounded memory when allowed', () => {
    const { stream, payload } = fragmented(1_000_000, 1);
    const { parser: p, sink } = parser({ maxFragments: 1_000_000 });
    let maxChunks = 0;
    feedInChunks(p, stream, 64 * 1024, () => (maxChunks = Math.max(maxChunks, p.bufferedChunks)));
    expect(sink.errors).toEqual([]);
    expect(Buffer.compare(Buffer.from(sink.messages[0]!.data), Buffer.from(payload))).toBe(0);
    expect(maxChunks).toBeLessThanOrEqual(1);
  });

  it('rejects a message over maxPayload as soon as the fragment header arrives', () => {
    const { parser: p, sink } = parser({ maxPayload: 1000 });
    p.push(clientFrame(2, pattern(600), { fin: false }));
    const second = clientFrame(0, pattern(600));
    p.push(second.subarray(0, 4)); // 2-byte header + 16-bit length: no mask key, no payload yet
    expect(sink.errors.map((e) => [e.code, e.closeCode])).toEqual([[ErrorCodes.MessageTooBig, 1009]]);
  });

  it('rejects a huge declared length without allocating or waiting for it', () => {
    const { parser: p, sink } = parser();
    p.push(Uint8Array.of(0x82, 0xff, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff));
    expect(sink.errors[0]).toMatchObject({ code: ErrorCodes.MessageTooBig, closeCode: 1009 });
  });
});

describe('FrameParser buffering', () => {
  it('keeps a spanning payload in at most 64 queued chunks, then in one growing buffer', () => {
    const payload = pattern(300_000, 9);
    const stream = clientFrame(2, payload);
    const { parser: p, sink } = parser();
    let maxChunks = 0;
    let maxBytes = 0;
    feedInChunks(p, stream, 1000, () => {
      maxChunks = Math.max(maxChunks, p.bufferedChunks);
      maxBytes = Math.max(maxBytes, p.bufferedBytes);
    });
    expect(maxChunks).toBe(64);
    expect(maxBytes).toBeLessThanOrEqual(64 * 1000);
    expect(p.bufferedBytes).toBe(0);
    expect(Buffer.compare(Buffer.from(sink.messages[0]!.data), Buffer.from(payload))).toBe(0);
  });

  it('takes a payload spanning a few chunks with one copy, unmasked in place as it arrived', () => {
    const payload = pattern(200_000, 4);
    const stream = clientFrame(2, payload);
    const { parser: p, sink } = parser();
    feedInChunks(p, stream, 65536);
    expect(sink.messages[0]!.data.buffer.byteLength).toBe(200_000);
    expect(Buffer.compare(Buffer.from(sink.messages[0]!.data), Buffer.from(payload))).toBe(0);
  });

  it('holds a bounded number of chunks when fed one byte at a time', () => {
    const stream = concat([clientFrame(2, pattern(70_000)), clientFrame(1, 'ok')]);
    const { parser: p, sink } = parser();
    let maxChunks = 0;
    feedInChunks(p, stream, 1, () => (maxChunks = Math.max(maxChunks, p.bufferedChunks)));
    expect(maxChunks).toBeLessThanOrEqual(64);
    expect(sink.messages.map((m) => m.data.length)).toEqual([70_000, 2]);
    expect(Buffer.compare(Buffer.from(sink.messages[0]!.data), Buffer.from(pattern(70_000)))).toBe(0);
  });

  it('fails a text frame at the first invalid UTF-8 byte, before the frame is complete', () => {
    const stream = clientFrame(1, concat([new Uint8Array(5000).fill(0x61), Uint8Array.of(0xed, 0xa0, 0x80), new Uint8Array(5000).fill(0x61)]));
    const { parser: p, sink } = parser();
    p.push(stream.slice(0, 3000));
    expect(sink.errors).toEqual([]);
    p.push(stream.slice(3000, 6000));
    expect(sink.errors.map((e) => [e.code, e.closeCode])).toEqual([[ErrorCodes.InvalidUtf8, 1007]]);
    p.push(stream.slice(6000));
    expect(sink.messages).toEqual([]);
  });

  it('latches after an error and ignores all later input', () => {
    const { parser: p, sink } = parser();
    p.push(Uint8Array.of(0x83, 0x80, 0, 0, 0, 0));
    expect(p.hasErrored).toBe(true);
    expect(p.isDone).toBe(true);
    p.push(clientFrame(1, 'x'));
    expect(sink.errors.length).toBe(1);
    expect(sink.messages).toEqual([]);
    expect(p.bufferedBytes).toBe(0);
  });

  it('joins a fragmented message into a buffer of exactly its size', () => {
    const { stream, payload } = fragmented(5, 1000);
    const { parser: p, sink } = parser();
    p.push(stream);
    const data = sink.messages[0]!.data;
    expect(data.byteLength).toBe(5000);
    expect(data.buffer.byteLength).toBe(5000);
    expect(Buffer.compare(Buffer.from(data), Buffer.from(payload))).toBe(0);
  });
});
