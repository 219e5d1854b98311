/** A scripted WebSocket for fake-timer client tests: the test plays the server. */
export class FakeWebSocket {
  static instances: FakeWebSocket[] = [];
  static reset(): void {
    FakeWebSocket.instances = [];
  }
  static get last(): FakeWebSocket {
    const socket = FakeWebSocket.instances.at(-1);
    if (!socket) throw new Error('no socket created');
    return socket;
  }

  readyState = 0;
  binaryType = 'blob';
  readonly sent: Array<string | Uint8Array> = [];
  closedWith: { code: number | undefined; reason: string | undefined } | undefined;
  readonly #listeners = new Map<string, Array<(event: unknown) => void>>();

  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {
    FakeWebSocket.instances.push(this);
  }

  addEventListener(type: string, listener: (event: unknown) => void): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }

  send(data: string | Uint8Array): void {
    if (this.readyState !== 1) throw new Error('InvalidStateError: not open');
    this.sent.push(data);
  }

  close(code?: number, reason?: string): void {
    if (this.readyState >= 2) return;
    this.closedWith = { code, reason };
    this.readyState = 2;
  }

  /** Sent envelopes, parsed (text frames only). */
  get envelopes(): Array<Record<string, unknown>> {
    return this.sent.filter((d): d is string => typeof d === 'string').map((d) => JSON.parse(d) as Record<string, unknown>);
  }

  // ——— the test's side ———
  #fire(type: string, event: unknown): void {
    for (const listener of this.#listeners.get(type) ?? []) listener(event);
  }
  open(): void {
    this.readyState = 1;
    this.#fire('open', {});
  }
  /** Opens and welcomes (the server accepted the hello). */
  accept(): void {
    this.open();
    this.message('{"v":1,"type":"welcome"}');
  }
  message(data: string | ArrayBuffer): void {
    this.#fire('message', { data });
  }
  serverClose(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.#fire('error', {});
    this.#fire('close', { code, reason });
  }
}
