/**
 * The load generator's minimal frame reader: it parses the frames coming back on one connection
 * and checks each reply, byte for byte, against the frame that was sent — so a server that drops,
 * reorders or corrupts data fails the run instead of winning it.
 *
 * It compares payload bytes in place (`Buffer#compare` over ranges), never copying or
 * concatenating them, so a 1 MiB echo costs one memcmp per arriving chunk.
 */

const EMPTY = Buffer.alloc(0);

/** Thrown when a reply is not the exact echo of what was sent. */
export class EchoMismatchError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'EchoMismatchError';
    this.code = 'ERR_ECHO_MISMATCH';
  }
}

/**
 * @typedef {{ opcode: number, plain: Buffer, masked: Buffer, maskKey: Buffer }} Expected
 * What one reply must be: for a WebSocket server an unmasked frame carrying `plain`; for the raw
 * TCP echo the very bytes sent, that is a masked frame with `maskKey` carrying `masked`.
 */

/** Reads replies on one connection; `expectNext()` says what the next message must be. */
export class ReplyReader {
  /**
   * @param {boolean} rawEcho replies are our own masked frames coming back (raw TCP echo)
   * @param {() => Expected} expectNext called once at the start of every reply message
   * @param {() => void} onReply called once each reply message has been fully verified
   */
  constructor(rawEcho, expectNext, onReply) {
    this.rawEcho = rawEcho;
    this.expectNext = expectNext;
    this.onReply = onReply;
    /** Bytes of a header split across chunks (rare: at most 13 bytes). */
    this.carry = EMPTY;
    /** Payload bytes left in the current frame, or -1 while waiting for a header. */
    this.left = -1;
    /** @type {Buffer} what the current message's payload must equal */
    this.expect = EMPTY;
    this.pos = 0;
    this.fin = true;
    this.inMessage = false;
  }

  /** @param {Buffer} chunk */
  feed(chunk) {
    if (this.carry.length > 0) {
      chunk = Buffer.concat([this.carry, chunk]);
      this.carry = EMPTY;
    }
    const end = chunk.length;
    let off = 0;
    while (off < end) {
      if (this.left === -1) {
        const used = this.readHeader(chunk, off, end);
        if (used === 0) {
          this.carry = Buffer.from(chunk.subarray(off));
          return;
        }
        off += used;
      } else {
        const n = Math.min(this.left, end - off);
        if (chunk.compare(this.expect, this.pos, this.pos + n, off, off + n) !== 0) {
          throw new EchoMismatchError(`payload differs within bytes ${this.pos}..${this.pos + n}`);
        }
        this.pos += n;
        this.left -= n;
        off += n;
      }
      if (this.left === 0) this.endFrame();
    }
  }

  /** @returns {number} bytes consumed, 0 when the header is not complete yet */
  readHeader(buf, off, end) {
    if (end - off < 2) return 0;
    const b0 = buf[off];
    const b1 = buf[off + 1];
    const masked = (b1 & 0x80) !== 0;
    const len7 = b1 & 0x7f;
    const headerLength = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (masked ? 4 : 0);
    if (end - off < headerLength) return 0;
    let length = len7;
    if (len7 === 126) length = buf.readUInt16BE(off + 2);
    else if (len7 === 127) length = buf.readUInt32BE(off + 2) * 2 ** 32 + buf.readUInt32BE(off + 6);
    const opcode = b0 & 0x0f;
    if ((b0 & 0x70) !== 0) throw new EchoMismatchError('reply has RSV bits set');
    if (!this.inMessage) {
      const expected = this.expectNext();
      if (opcode !== expected.opcode) {
        throw new EchoMismatchError(`reply opcode ${opcode}, expected ${expected.opcode}`);
      }
      this.expect = this.rawEcho ? expected.masked : expected.plain;
      this.maskKey = expected.maskKey;
      this.pos = 0;
      this.inMessage = true;
    } else if (opcode !== 0) {
      // RFC 6455 §5.4: a fragmented message continues with continuation frames only.
      throw new EchoMismatchError(`opcode ${opcode} inside a fragmented reply`);
    }
    // RFC 6455 §5.1: a server never masks; the raw echo returns our masked bytes unchanged.
    if (masked !== this.rawEcho) throw new EchoMismatchError(`reply masked=${masked}`);
    if (masked && buf.compare(this.maskKey, 0, 4, off + headerLength - 4, off + headerLength) !== 0) {
      throw new EchoMismatchError('raw echo changed the mask key');
    }
    if (this.pos + length > this.expect.length) {
      throw new EchoMismatchError(`reply longer than ${this.expect.length} bytes`);
    }
    this.fin = (b0 & 0x80) !== 0;
    this.left = length;
    return headerLength;
  }

  endFrame() {
    this.left = -1;
    if (!this.fin) return;
    if (this.pos !== this.expect.length) {
      throw new EchoMismatchError(`reply of ${this.pos} bytes, expected ${this.expect.length}`);
    }
    this.inMessage = false;
    this.onReply();
  }
}
