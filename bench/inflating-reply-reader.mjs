/**
 * The reply reader of the permessage-deflate workload: it parses the frames coming back on one
 * connection, inflates each compressed message (RSV1 on its first frame, RFC 7692 §6) through the
 * connection's single `InflateRaw` context — the server keeps its compression context across
 * messages, so replies must be inflated in order — and compares the result byte for byte with
 * the message that was sent. A reply sent uncompressed (RSV1 clear) is allowed by RFC 7692 and
 * compared as is, but counted, so the report can show that both servers compressed.
 */
import zlib from 'node:zlib';
import { TRAILER } from './deflate-wire.mjs';
import { EchoMismatchError } from './reply-reader.mjs';

/** @typedef {{ opcode: number, plain: Buffer }} Expected */

/** Reads, inflates and verifies the replies of one connection, in order. */
export class InflatingReplyReader {
  /**
   * @param {() => Expected} expectNext called at the start of every reply message
   * @param {() => void} onReply called once a reply has been inflated and verified
   * @param {(err: Error) => void} onError
   */
  constructor(expectNext, onReply, onError) {
    this.expectNext = expectNext;
    this.onReply = onReply;
    this.onError = onError;
    this.stats = { compressed: 0, uncompressed: 0, wireBytes: 0 };
    /** Bytes not parsed yet: a partial header or payload (the read buffer is shared, so copied). */
    this.pending = Buffer.alloc(0);
    /** @type {Buffer[]} payload pieces of the message being received */
    this.parts = [];
    this.expected = /** @type {Expected | null} */ (null);
    this.compressed = false;
    /** @type {Array<{ data: Buffer, compressed: boolean, expected: Expected }>} */
    this.queue = [];
    this.busy = false;
    /** @type {Buffer[]} */
    this.out = [];
    this.inflate = zlib.createInflateRaw({ windowBits: 15 });
    this.inflate.on('data', (d) => this.out.push(d));
    this.inflate.on('error', (err) => this.onError(err));
  }

  /** @param {Buffer} chunk valid only during the call */
  feed(chunk) {
    let buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let off = 0;
    for (;;) {
      const used = this.#frame(buf, off);
      if (used === 0) break;
      off += used;
    }
    this.pending = off === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(off));
  }

  /** One whole frame at `off`, or 0 when it has not fully arrived. */
  #frame(buf, off) {
    const avail = buf.length - off;
    if (avail < 2) return 0;
    const b0 = buf[off];
    const b1 = buf[off + 1];
    const len7 = b1 & 0x7f;
    const headerLength = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0);
    if (avail < headerLength) return 0;
    const length = len7 === 126 ? buf.readUInt16BE(off + 2) : len7 === 127 ? Number(buf.readBigUInt64BE(off + 2)) : len7;
    if (avail < headerLength + length) return 0;
    // RFC 6455 §5.1: a server never masks.
    if ((b1 & 0x80) !== 0) throw new EchoMismatchError('reply is masked');
    const opcode = b0 & 0x0f;
    const rsv1 = (b0 & 0x40) !== 0;
    if ((b0 & 0x30) !== 0) throw new EchoMismatchError('reply has RSV2/RSV3 set');
    if (this.expected === null) {
      this.expected = this.expectNext();
      if (opcode !== this.expected.opcode) throw new EchoMismatchError(`reply opcode ${opcode}, expected ${this.expected.opcode}`);
      this.compressed = rsv1;
    } else if (opcode !== 0 || rsv1) {
      // RFC 7692 §6.1: only the first frame of a message carries RSV1; the rest are continuations.
      throw new EchoMismatchError(`opcode ${opcode} (rsv1 ${rsv1}) inside a fragmented reply`);
    }
    this.parts.push(Buffer.from(buf.subarray(off + headerLength, off + headerLength + length)));
    this.stats.wireBytes += length;
    if ((b0 & 0x80) !== 0) this.#endMessage();
    return headerLength + length;
  }

  #endMessage() {
    const data = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
    this.queue.push({ data, compressed: this.compressed, expected: this.expected });
    this.parts = [];
    this.expected = null;
    this.#pump();
  }

  /** Inflate one message at a time so the context sees them in order. */
  #pump() {
    if (this.busy || this.queue.length === 0) return;
    const { data, compressed, expected } = this.queue.shift();
    if (!compressed) {
      this.stats.uncompressed++;
      this.#verify(data, expected);
      this.#pump();
      return;
    }
    this.busy = true;
    this.stats.compressed++;
    // RFC 7692 §7.2.2: append 0x00 0x00 0xff 0xff, then inflate.
    this.inflate.write(data);
    this.inflate.write(TRAILER);
    this.inflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      const out = this.out.length === 1 ? this.out[0] : Buffer.concat(this.out);
      this.out = [];
      this.busy = false;
      this.#verify(out, expected);
      this.#pump();
    });
  }

  #verify(plain, expected) {
    if (!plain.equals(expected.plain)) {
      this.onError(new EchoMismatchError(`inflated reply of ${plain.length} bytes differs from the ${expected.plain.length} bytes sent`));
      return;
    }
    this.onReply();
  }

  close() {
    this.inflate.close();
  }
}
