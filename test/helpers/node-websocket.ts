/**
 * Tandem's Node WebSocket (client/node) under test: every event it dispatches recorded in order,
 * awaited with bounded waits, and every socket opened through here terminated by `closeAllNode`.
 */
import { WebSocket } from '../../client/node/websocket.js';
import type { NodeWebSocketOptions } from '../../client/node/options.js';
import type { CloseEvent, ErrorEvent, MessageEvent } from '../../client/node/events.js';

/** What the socket dispatched, as plain data. */
export type NodeEvent =
  | { type: 'open' }
  | { type: 'message'; data: Buffer | string }
  | { type: 'ping' | 'pong'; data: Buffer }
  | { type: 'error'; error: Error & { code?: string; closeCode?: number; status?: number; body?: string; cause?: unknown } }
  | { type: 'close'; code: number; reason: string; wasClean: boolean };

const opened = new Set<WebSocket>();

/** A Node WebSocket with its events recorded (binaryType `nodebuffer`, so data compares as bytes). */
export class Recorded {
  readonly ws: WebSocket;
  readonly events: NodeEvent[] = [];

  constructor(url: string, protocols?: string | string[], options: NodeWebSocketOptions = {}) {
    this.ws = new WebSocket(url, protocols, options);
    opened.add(this.ws);
    this.ws.binaryType = 'nodebuffer';
    this.ws.addEventListener('open', () => this.events.push({ type: 'open' }));
    this.ws.addEventListener('message', (e) => this.events.push({ type: 'message', data: (e as MessageEvent<Buffer | string>).data }));
    for (const type of ['ping', 'pong'] as const) this.ws.addEventListener(type, (e) => this.events.push({ type, data: (e as MessageEvent<Buffer>).data }));
    this.ws.addEventListener('error', (e) => this.events.push({ type: 'error', error: (e as ErrorEvent).error }));
    this.ws.addEventListener('close', (e) => {
      const { code, reason, wasClean } = e as CloseEvent;
      this.events.push({ type: 'close', code, reason, wasClean });
    });
  }

  /** Waits until `check` holds (bounded). */
  async until(check: () => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`condition not met in ${ms} ms; events: ${JSON.stringify(this.events.map((e) => e.type))}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  /** Resolves once open (rejects with the recorded error if it closes first). */
  async open(): Promise<this> {
    await this.until(() => this.events.some((e) => e.type === 'open' || e.type === 'close'));
    const error = this.error();
    if (!this.events.some((e) => e.type === 'open')) throw error ?? new Error('closed before open');
    return this;
  }

  messages(): Array<Buffer | string> {
    return this.events.flatMap((e) => (e.type === 'message' ? [e.data] : []));
  }

  /** The next `n` messages from now on are awaited by count. */
  async nextMessages(n: number, ms = 20_000): Promise<Array<Buffer | string>> {
    const start = this.messages().length;
    await this.until(() => this.messages().length >= start + n, ms);
    return this.messages().slice(start, start + n);
  }

  error(): Extract<NodeEvent, { type: 'error' }>['error'] | undefined {
    const e = this.events.find((x) => x.type === 'error');
    return e?.type === 'error' ? e.error : undefined;
  }

  /** Waits for the close event and returns it. */
  async closed(ms = 5000): Promise<Extract<NodeEvent, { type: 'close' }>> {
    await this.until(() => this.events.some((e) => e.type === 'close'), ms);
    return this.events.find((e) => e.type === 'close') as Extract<NodeEvent, { type: 'close' }>;
  }
}

/** For afterEach: terminate every socket opened through {@link Recorded}. */
export function closeAllNode(): void {
  for (const ws of opened) ws.terminate();
  opened.clear();
}
