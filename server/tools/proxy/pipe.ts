/**
 * One direction of a proxied connection: reads the source socket and writes the destination,
 * applying that direction's faults (latency and jitter, a bandwidth limit, a byte budget, a
 * black hole). Memory stays bounded: past `maxBuffered` queued bytes, or while the destination
 * is full, the source is paused and TCP flow control pushes back on the sender.
 */
import type { Socket } from 'node:net';
import type { ResolvedFaults } from './options.js';
import type { Random } from './random.js';

/**
 * `flowing`: bytes pass (with the faults). `blackholed`: bytes are read and dropped, nothing
 * reaches the destination, not even the end. `spent`: the byte budget was used up and the link
 * is about to be cut; the source is paused.
 */
export type PipeMode = 'flowing' | 'blackholed' | 'spent';

/** What a pipe tells its link. */
export interface PipeOwner {
  /** The last byte of the `cutEveryBytes` budget was handed to the destination's kernel. */
  budgetSpent(pipe: Pipe): void;
}

interface Piece {
  readonly data: Buffer;
  /** When to write it (performance.now() time). */
  readonly due: number;
  /** The budget's last piece: cut once it is written. */
  readonly last: boolean;
}

/** A throttled chunk is written in slices of at most 1/50 s worth, so the rate stays smooth. */
const SLICES_PER_SECOND = 50;
const MAX_SLICE = 16 * 1024;

/** One direction (source → destination) of a link. */
export class Pipe {
  /** Bytes written to the destination. */
  forwarded = 0;
  /** Bytes read and dropped by a black hole. */
  swallowed = 0;
  private mode: PipeMode = 'flowing';
  private started = false;
  private readonly queue: Piece[] = [];
  private queuedBytes = 0;
  /** Budget bytes accepted so far (for `cutEveryBytes`). */
  private accepted = 0;
  /** Due time of the last queued chunk: a later chunk never overtakes it. */
  private lastDue = 0;
  /** When the throttled "wire" is free again. */
  private wireFreeAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private awaitingDrain = false;
  private sourceEnded = false;
  /** No delay and no throttle: chunks are written as they come. */
  private readonly immediate: boolean;

  constructor(
    private readonly source: Socket,
    private readonly destination: Socket,
    private readonly faults: ResolvedFaults,
    private readonly maxBuffered: number,
    private readonly random: Random,
    private readonly owner: PipeOwner,
  ) {
    this.immediate = faults.latency === 0 && faults.jitter === 0 && faults.bandwidth === 0;
  }

  /** The current mode. */
  get state(): PipeMode {
    return this.mode;
  }

  /** Bytes read but not yet handed to the destination's kernel: the queue plus the socket's buffer. */
  get buffered(): number {
    return this.queuedBytes + (this.destination.destroyed ? 0 : this.destination.writableLength);
  }

  /** Starts reading the source (once both sockets are connected). */
  start(): void {
    this.started = true;
    this.source.on('data', (chunk: Buffer) => this.onData(chunk));
    this.source.on('end', () => this.onEnd());
    this.updateFlow();
  }

  /** From now on, read and drop everything, including what is still queued. */
  blackhole(): void {
    if (this.mode !== 'flowing') return;
    this.mode = 'blackholed';
    this.swallowed += this.queuedBytes;
    this.dropQueue();
    this.updateFlow();
  }

  /** Drops what is queued and stops the timer (the link is closing). */
  stop(): void {
    this.dropQueue();
  }

  /**
   * The source closed cleanly: `done` runs once everything queued reached the destination and
   * it was ended (at once when nothing will be delivered).
   */
  whenDelivered(done: () => void): void {
    if (this.mode !== 'flowing' || !this.sourceEnded || this.destination.writableFinished) return done();
    this.destination.once('finish', done);
  }

  private onData(chunk: Buffer): void {
    if (this.mode === 'blackholed') {
      this.swallowed += chunk.length;
      return;
    }
    if (this.mode === 'spent') return; // read before the pause took effect; the link is being cut
    let data = chunk;
    let last = false;
    const budget = this.faults.cutEveryBytes;
    if (budget > 0 && this.accepted + chunk.length >= budget) {
      data = chunk.subarray(0, budget - this.accepted);
      last = true;
      this.mode = 'spent';
    }
    this.accepted += data.length;
    if (this.immediate && !last && this.queue.length === 0) this.write(data, false);
    else this.enqueue(data, last);
    if (this.timer === undefined) this.flush();
    else this.updateFlow();
  }

  private onEnd(): void {
    // A black hole swallows the FIN too; a spent pipe is about to be cut.
    if (this.mode !== 'flowing') return;
    this.sourceEnded = true;
    if (this.queue.length === 0) this.destination.end();
  }

  private enqueue(data: Buffer, last: boolean): void {
    const { latency, jitter, bandwidth } = this.faults;
    const due = Math.max(performance.now() + latency + (jitter > 0 ? this.random() * jitter : 0), this.lastDue);
    this.lastDue = due;
    this.queuedBytes += data.length;
    if (bandwidth === 0) {
      this.queue.push({ data, due, last });
      return;
    }
    // Each slice leaves when the wire has carried the previous ones at `bandwidth` bytes/s, so
    // bytes delivered by any time t never exceed bandwidth × t.
    const slice = Math.max(1, Math.min(MAX_SLICE, Math.floor(bandwidth / SLICES_PER_SECOND)));
    for (let offset = 0; offset < data.length; offset += slice) {
      const piece = data.subarray(offset, offset + slice);
      this.wireFreeAt = Math.max(due, this.wireFreeAt) + (piece.length * 1000) / bandwidth;
      this.queue.push({ data: piece, due: this.wireFreeAt, last: last && offset + slice >= data.length });
    }
  }

  private flush(): void {
    this.timer = undefined;
    const now = performance.now();
    while (this.queue.length > 0 && !this.awaitingDrain && this.queue[0]!.due <= now) {
      const piece = this.queue.shift()!;
      this.queuedBytes -= piece.data.length;
      this.write(piece.data, piece.last);
    }
    if (this.queue.length === 0 && this.sourceEnded) this.destination.end();
    this.updateFlow();
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined || this.awaitingDrain || this.queue.length === 0) return;
    // Rounded up, and re-checked in flush(): a piece never leaves before its due time.
    this.timer = setTimeout(() => this.flush(), Math.max(0, Math.ceil(this.queue[0]!.due - performance.now())));
  }

  private write(data: Buffer, last: boolean): void {
    if (this.destination.destroyed) return;
    this.forwarded += data.length;
    const flushed = last ? this.destination.write(data, () => this.owner.budgetSpent(this)) : this.destination.write(data);
    if (!flushed && !this.awaitingDrain) {
      this.awaitingDrain = true;
      this.destination.once('drain', () => {
        this.awaitingDrain = false;
        if (this.mode === 'flowing') this.flush();
      });
    }
  }

  /** Pauses the source while this direction holds too much, resumes it when it drained. */
  private updateFlow(): void {
    const hold =
      !this.started || this.mode === 'spent' || (this.mode === 'flowing' && (this.awaitingDrain || this.queuedBytes >= this.maxBuffered));
    if (hold) this.source.pause();
    else if (this.source.isPaused()) this.source.resume();
  }

  private dropQueue(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }
}
