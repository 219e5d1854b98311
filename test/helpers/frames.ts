/**
 * Test-side frame builder, written independently of src/rfc6455/frame-writer.ts so that the
 * writer and the parser are each checked against a second implementation. Every knob a hostile
 * peer controls is exposed: RSV bits, the declared length, the length encoding, the mask key.
 */

/** The RFC 6455 §5.7 example key. */
export const RFC_MASK_KEY = [0x37, 0xfa, 0x21, 0x3d] as const;

export interface FrameOptions {
  fin?: boolean;
  rsv1?: boolean;
  rsv2?: boolean;
  rsv3?: boolean;
  /** Mask the payload with this key (client frames). Omit for an unmasked frame. */
  maskKey?: readonly number[];
  /** Force the length encoding: 0 (7-bit), 2 (16-bit) or 8 (64-bit), minimal or not. */
  lengthBytes?: 0 | 2 | 8;
  /** Declare this length instead of the payload's (to build lying headers). */
  declaredLength?: number;
  /** Set the most significant bit of a 64-bit length. */
  lengthMsb?: boolean;
}

/** Build one frame's bytes. */
export function frame(opcode: number, payload: Uint8Array | string | readonly number[] = [], options: FrameOptions = {}): Uint8Array {
  const data = toBytes(payload);
  const length = options.declaredLength ?? data.length;
  const lengthBytes = options.lengthBytes ?? (length < 126 ? 0 : length < 65536 ? 2 : 8);
  const header: number[] = [
    ((options.fin ?? true) ? 0x80 : 0) |
      (options.rsv1 ? 0x40 : 0) |
      (options.rsv2 ? 0x20 : 0) |
      (options.rsv3 ? 0x10 : 0) |
      opcode,
  ];
  const maskBit = options.maskKey ? 0x80 : 0;
  if (lengthBytes === 0) {
    header.push(maskBit | length);
  } else if (lengthBytes === 2) {
    header.push(maskBit | 126, (length >> 8) & 0xff, length & 0xff);
  } else {
    const high = Math.floor(length / 2 ** 32) | (options.lengthMsb ? 0x80000000 : 0);
    const low = length % 2 ** 32;
    header.push(maskBit | 127);
    for (const word of [high, low]) header.push((word >>> 24) & 0xff, (word >>> 16) & 0xff, (word >>> 8) & 0xff, word & 0xff);
  }
  const body = Uint8Array.from(data);
  if (options.maskKey) {
    header.push(...options.maskKey);
    for (let i = 0; i < body.length; i++) body[i] = body[i]! ^ options.maskKey[i % 4]!;
  }
  return concat([Uint8Array.from(header), body]);
}

/** A client→server frame: masked with the RFC key unless another is given. */
export function clientFrame(opcode: number, payload?: Uint8Array | string | readonly number[], options: FrameOptions = {}): Uint8Array {
  return frame(opcode, payload, { maskKey: RFC_MASK_KEY, ...options });
}

/** A server→client frame: unmasked. */
export function serverFrame(opcode: number, payload?: Uint8Array | string | readonly number[], options: FrameOptions = {}): Uint8Array {
  return frame(opcode, payload, options);
}

/** A close frame payload: code + UTF-8 reason (or raw reason bytes). */
export function closeBody(code: number, reason: string | readonly number[] = ''): Uint8Array {
  return concat([Uint8Array.of(code >> 8, code & 0xff), toBytes(reason)]);
}

export function toBytes(data: Uint8Array | string | readonly number[]): Uint8Array {
  if (typeof data === 'string') return new TextEncoder().encode(data);
  return data instanceof Uint8Array ? data : Uint8Array.from(data);
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** `n` bytes of a repeating, position-dependent pattern (so misplaced bytes show). */
export function pattern(n: number, seed = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}
