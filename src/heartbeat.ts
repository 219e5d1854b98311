import { envelopeOf } from './envelope.js';
import type { Envelope, PingEnvelope, PongEnvelope } from './envelope.js';
import type { Scheduler, TimerHandle } from './scheduler.js';
import { assertNever } from './assert-never.js';

/**
 * Heartbeat policy. After `interval` ms without inbound traffic the prober sends a `ping`
 * envelope; if nothing at all arrives within `timeout` ms of that ping, the link is dead.
 * A dead link is therefore noticed at most `interval + timeout` after the last inbound traffic.
 */
export interface HeartbeatPolicy {
  /** Quiet time before probing, in ms. @default 25000 */
  interval: number;
  /** Wait for any inbound traffic after a ping, in ms. @default 10000 */
  timeout: number;
}

/** The default {@link HeartbeatPolicy} (below the 30-60 s idle cut-off of common proxies). */
export const HEARTBEAT_DEFAULTS: Readonly<HeartbeatPolicy> = Object.freeze({ interval: 25_000, timeout: 10_000 });

/** What the prober knows, as wall-clock times (Scheduler.now()). */
export interface Liveness {
  /** When the last inbound traffic of any kind arrived. */
  lastInboundAt: number;
  /** When the ping now awaiting an answer was sent; undefined when none is outstanding. */
  pingSentAt: number | undefined;
}

/** What to do now, and when to look again. */
export interface HeartbeatDecision {
  action: 'wait' | 'ping' | 'dead';
  /** Wall-clock time of the next check (meaningless after 'dead'). */
  checkAt: number;
}

/**
 * The pure heartbeat rule. It compares wall-clock times only, never counts timer ticks: a tab
 * whose timers were throttled (fired late) but whose traffic kept arriving is judged by that
 * fresh traffic, and a late tick first sends a ping instead of blaming silence it never probed.
 */
export function heartbeatStep(policy: HeartbeatPolicy, liveness: Liveness, now: number): HeartbeatDecision {
  if (liveness.pingSentAt !== undefined) {
    const deadline = liveness.pingSentAt + policy.timeout;
    return now >= deadline ? { action: 'dead', checkAt: now } : { action: 'wait', checkAt: deadline };
  }
  const probeAt = liveness.lastInboundAt + policy.interval;
  return now >= probeAt ? { action: 'ping', checkAt: now + policy.timeout } : { action: 'wait', checkAt: probeAt };
}

/** Options of a {@link HeartbeatMonitor}. */
export interface HeartbeatMonitorOptions {
  policy: HeartbeatPolicy;
  scheduler: Scheduler;
  /** Send a ping envelope (see {@link pingEnvelope}). */
  sendPing(): void;
  /** The link is dead; the monitor has stopped itself. */
  onDead(): void;
}

type MonitorState = { kind: 'stopped' } | { kind: 'running'; liveness: Liveness; timer: TimerHandle };

/** Drives {@link heartbeatStep} with one timer per link; call `touch()` on every inbound message. */
export class HeartbeatMonitor {
  readonly #options: HeartbeatMonitorOptions;
  #state: MonitorState = { kind: 'stopped' };

  constructor(options: HeartbeatMonitorOptions) {
    this.#options = options;
  }

  /** Is the monitor running? */
  get running(): boolean {
    return this.#state.kind === 'running';
  }

  /** Starts watching; the link counts as alive now. */
  start(): void {
    this.stop();
    const liveness: Liveness = { lastInboundAt: this.#options.scheduler.now(), pingSentAt: undefined };
    this.#state = { kind: 'running', liveness, timer: this.#schedule(liveness.lastInboundAt + this.#options.policy.interval) };
  }

  /** Inbound traffic of any kind arrived: the link is alive. No timer work (cheap per message). */
  touch(): void {
    if (this.#state.kind !== 'running') return;
    this.#state.liveness.lastInboundAt = this.#options.scheduler.now();
    this.#state.liveness.pingSentAt = undefined;
  }

  /** Stops and clears the timer. */
  stop(): void {
    if (this.#state.kind === 'running') this.#options.scheduler.clearTimeout(this.#state.timer);
    this.#state = { kind: 'stopped' };
  }

  #schedule(at: number): TimerHandle {
    const delay = Math.max(0, at - this.#options.scheduler.now());
    return this.#options.scheduler.setTimeout(() => this.#tick(), delay);
  }

  #tick(): void {
    const state = this.#state;
    if (state.kind !== 'running') return;
    const now = this.#options.scheduler.now();
    const decision = heartbeatStep(this.#options.policy, state.liveness, now);
    switch (decision.action) {
      case 'dead':
        this.stop();
        this.#options.onDead();
        return;
      case 'ping':
        state.liveness.pingSentAt = now;
        // Reschedule before sending: sending may stop the monitor, which then clears this timer.
        state.timer = this.#schedule(decision.checkAt);
        return this.#options.sendPing();
      case 'wait':
        state.timer = this.#schedule(decision.checkAt);
        return;
      default: {
        return assertNever(decision.action);
      }
    }
  }
}

/** A heartbeat probe. */
export function pingEnvelope(): PingEnvelope {
  return envelopeOf<PingEnvelope>('ping', {});
}

/** The heartbeat responder both ends use: the answer to `envelope`, if it is a ping. */
export function heartbeatReply(envelope: Envelope): PongEnvelope | undefined {
  return envelope.type === 'ping' ? envelopeOf<PongEnvelope>('pong', {}) : undefined;
}
