/**
 * A proxied connection: the accepted client socket, the socket to the target, and one
 * {@link Pipe} per direction. A cut resets both sockets at once (TCP RST), the way a dropped link
 * looks to an application: no FIN, no WebSocket close frame, the next read or write fails.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { BlackholeDirection, Direction, ResolvedProxyOptions } from './options.js';
import { Pipe } from './pipe.js';
import type { PipeOwner } from './pipe.js';
import type { Random } from './random.js';

/** Why a connection was cut. */
export type CutReason = 'timer' | 'bytes' | 'manual';

/** `connecting` to the target, `open`, `closing` (cut or one end gone), `closed` (both sockets closed). */
export type LinkState = 'connecting' | 'open' | 'closing' | 'closed';

/** The times drawn for one connection (ms after accept; undefined: never). */
export interface LinkPlan {
  readonly cutAfter: number | undefined;
  readonly blackholeAfter: number | undefined;
}

/** What a link tells the proxy. */
export interface LinkOwner {
  linkCut(link: Link, reason: CutReason, direction: Direction | undefined): void;
  linkClosed(link: Link, error: Error | undefined): void;
}

/** One proxied connection. */
export class Link implements PipeOwner {
  /** When it was accepted (performance.now() time). */
  readonly acceptedAt = performance.now();
  readonly up: Pipe;
  readonly down: Pipe;
  private current: LinkState = 'connecting';
  private readonly target: Socket;
  private readonly timers: NodeJS.Timeout[] = [];
  private openSockets = 2;
  /** The first socket error, reported with the close (e.g. the target refused). */
  private error: Error | undefined;
  private opened = false;
  private targetFailed = false;

  constructor(
    readonly id: number,
    private readonly client: Socket,
    options: ResolvedProxyOptions,
    readonly plan: LinkPlan,
    random: { readonly up: Random; readonly down: Random },
    private readonly owner: LinkOwner,
  ) {
    this.target = connect({ host: options.target.host, port: options.target.port, allowHalfOpen: true });
    this.up = new Pipe(client, this.target, options.up, options.maxBuffered, random.up, this);
    this.down = new Pipe(this.target, client, options.down, options.maxBuffered, random.down, this);
    this.target.once('connect', () => this.onConnect());
    this.watch(client, this.target, this.down);
    this.watch(this.target, client, this.up);
    if (plan.cutAfter !== undefined) this.timers.push(setTimeout(() => this.cut('timer'), plan.cutAfter));
    if (plan.blackholeAfter !== undefined) {
      const direction = options.blackhole!;
      if (plan.blackholeAfter === 0) this.blackhole(direction);
      else this.timers.push(setTimeout(() => this.blackhole(direction), plan.blackholeAfter));
    }
  }

  /** The current state. */
  get state(): LinkState {
    return this.current;
  }

  /** True when the target could not be reached (it failed before connecting). */
  get unreachable(): boolean {
    return this.targetFailed;
  }

  /** Resets both sockets now. Returns false when the link was already closing. */
  cut(reason: CutReason, direction?: Direction): boolean {
    if (this.current === 'closing' || this.current === 'closed') return false;
    this.current = 'closing';
    this.clearTimers();
    this.up.stop();
    this.down.stop();
    reset(this.client);
    reset(this.target);
    this.owner.linkCut(this, reason, direction);
    return true;
  }

  /** Swallows one or both directions from now on; the sockets stay open. */
  blackhole(direction: BlackholeDirection): void {
    if (direction !== 'down') this.up.blackhole();
    if (direction !== 'up') this.down.blackhole();
  }

  /** Closes both sockets without a cut (the proxy is closing). */
  destroy(): void {
    if (this.current === 'closed') return;
    this.current = 'closing';
    this.clearTimers();
    this.up.stop();
    this.down.stop();
    this.client.destroy();
    this.target.destroy();
  }

  /** A pipe spent its `cutEveryBytes` budget. */
  budgetSpent(pipe: Pipe): void {
    this.cut('bytes', pipe === this.up ? 'up' : 'down');
  }

  private onConnect(): void {
    this.opened = true;
    if (this.current !== 'connecting') return;
    this.current = 'open';
    // Small WebSocket frames should leave at once; the proxy adds delay only where asked.
    this.client.setNoDelay(true);
    this.target.setNoDelay(true);
    this.up.start();
    this.down.start();
  }

  /**
   * When `socket` closes, its partner follows: at once after an error (passing the reset on),
   * after the bytes still queued towards it otherwise (`into` is the pipe writing to it).
   */
  private watch(socket: Socket, partner: Socket, into: Pipe): void {
    socket.on('error', (err) => {
      this.error ??= err;
      if (socket === this.target && !this.opened) this.targetFailed = true;
    });
    socket.once('close', (hadError) => {
      if (hadError) {
        if (this.current !== 'closed') this.current = 'closing';
        reset(partner);
      } else {
        into.whenDelivered(() => partner.destroy());
      }
      if (--this.openSockets === 0) this.onClosed();
    });
  }

  private onClosed(): void {
    this.current = 'closed';
    this.clearTimers();
    this.up.stop();
    this.down.stop();
    this.owner.linkClosed(this, this.error);
  }

  private clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.length = 0;
  }
}

/** Sends a TCP RST and destroys the socket (a plain destroy while still connecting). */
function reset(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.connecting) socket.destroy();
  else socket.resetAndDestroy();
}
