/**
 * Test-only scripted server that speaks session resume (docs/protocol.md §10) over the `ws`
 * package on 127.0.0.1, built from the same src/ pieces a real server uses (SessionChannel,
 * Conversation with useSession/suspend). A session outlives its connections: its Conversation,
 * log and pending requests stay while the test cuts TCP connections under it. Lets the client's
 * resume be proven end to end independently of Tandem's own server.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { jsonCodec } from '../../src/codec.js';
import { Conversation } from '../../src/conversation.js';
import { ackEnvelope, parseEnvelope, welcomeEnvelope } from '../../src/envelope.js';
import type { Envelope } from '../../src/envelope.js';
import { systemScheduler } from '../../src/scheduler.js';
import { isSequenced } from '../../src/session/inbound-sequence.js';
import { SessionChannel } from '../../src/session/session-channel.js';

/** One session, seen from the scripted server. */
export interface ScriptedSession {
  readonly sid: string;
  readonly channel: SessionChannel<string>;
  readonly conversation: Conversation<ScriptedSession>;
  /** Every client event delivered to the application, in order. */
  readonly events: Array<{ name: string; payload: unknown }>;
  /** Problems the conversation reported (an answer to no request, a handler failure…). */
  readonly errors: unknown[];
  /** How many connections carried this session (1 + resumes). */
  connections: number;
  /** Sends an event in the session: numbered, logged, written if a connection is attached. */
  emit(name: string, payload?: unknown): void;
  /** Destroys the attached TCP connection without a close frame (a cut cable). */
  cut(): void;
}

/** Options of {@link startResumeServer}. */
export interface ResumeServerOptions {
  /** Request handlers of the client's requests (may be async). */
  handlers?: Record<string, (payload: unknown) => unknown>;
  /** Bound of each session's log. @default 100000 */
  maxMessages?: number;
}

/** A running scripted server. */
export interface ResumeServer {
  readonly url: string;
  readonly sessions: ScriptedSession[];
  /** Welcomes whose hello named a sid, with the outcome. */
  readonly resumes: Array<{ sid: string; resumed: boolean; reason?: string }>;
  /** Forgets a session (as after its window): a later resume of it is refused as `unknown`. */
  forget(session: ScriptedSession): void;
  close(): Promise<void>;
}

/** Starts the scripted §10 server on 127.0.0.1, port 0. */
export async function startResumeServer(options: ResumeServerOptions = {}): Promise<ResumeServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const sessions = new Map<string, ScriptedSession & { ws: WebSocket | undefined }>();
  const resumes: ResumeServer['resumes'] = [];

  function createSession(): ScriptedSession & { ws: WebSocket | undefined } {
    const write = (envelope: Envelope): void => {
      const ws = session.ws;
      if (ws !== undefined && ws.readyState === ws.OPEN) ws.send(jsonCodec.encode(envelope));
    };
    const transmit = (envelope: Envelope): void => {
      if (!isSequenced(envelope)) return write(envelope);
      session.channel.stamp(envelope);
      const data = jsonCodec.encode(envelope) as string;
      session.channel.record(data, data.length);
      const ws = session.ws;
      if (ws !== undefined && ws.readyState === ws.OPEN && session.conversation.isReady) ws.send(data);
    };
    const session: ScriptedSession & { ws: WebSocket | undefined } = {
      sid: randomBytes(16).toString('base64url'),
      channel: undefined as unknown as SessionChannel<string>,
      conversation: undefined as unknown as Conversation<ScriptedSession>,
      events: [],
      errors: [],
      connections: 0,
      ws: undefined,
      emit: (name, payload) => transmit(payload === undefined ? { v: 1, type: 'event', name } : { v: 1, type: 'event', name, payload }),
      cut: () => (session.ws as unknown as { _socket?: { destroy(): void } } | undefined)?._socket?.destroy(),
    };
    (session as { channel: SessionChannel<string> }).channel = new SessionChannel<string>({
      sid: session.sid,
      limits: { maxMessages: options.maxMessages ?? 100_000, maxBytes: Infinity },
      scheduler: systemScheduler,
      sendAck: (seq) => write(ackEnvelope(seq)),
    });
    (session as { conversation: Conversation<ScriptedSession> }).conversation = new Conversation<ScriptedSession>({
      side: 'server',
      context: session,
      transmit,
      onEvent: (name, payload) => session.events.push({ name, payload }),
      onError: (error) => session.errors.push(error),
    });
    for (const [name, handler] of Object.entries(options.handlers ?? {})) session.conversation.handle(name, handler);
    session.conversation.useSession(session.channel);
    sessions.set(session.sid, session);
    return session;
  }

  // docs/protocol.md §10.3: resume a known session (closing an older connection with 4409), or start one.
  function welcome(ws: WebSocket, hello: Extract<Envelope, { type: 'hello' }>): ScriptedSession & { ws: WebSocket | undefined } {
    const known = hello.sid === undefined ? undefined : sessions.get(hello.sid);
    const plan = known?.channel.replayAfter(hello.ack ?? 0);
    if (known !== undefined && plan?.ok) {
      if (known.ws !== undefined && known.ws !== ws) known.ws.close(4409, 'session taken over');
      known.ws = ws;
      known.connections++;
      resumes.push({ sid: known.sid, resumed: true });
      ws.send(jsonCodec.encode(welcomeEnvelope(known.sid, { resumed: true, ack: known.channel.received })));
      for (const data of plan.entries) ws.send(data);
      known.conversation.ready();
      return known;
    }
    const reason = known === undefined ? 'unknown' : 'invalid';
    if (hello.sid !== undefined) resumes.push({ sid: hello.sid, resumed: false, reason });
    const fresh = createSession();
    fresh.ws = ws;
    fresh.connections++;
    ws.send(jsonCodec.encode(welcomeEnvelope(fresh.sid, { resumed: false, ack: 0, reason: hello.sid === undefined ? undefined : reason })));
    fresh.conversation.ready();
    return fresh;
  }

  wss.on('connection', (ws) => {
    let session: (ScriptedSession & { ws: WebSocket | undefined }) | undefined;
    ws.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      if (session === undefined) {
        const hello = parseEnvelope(JSON.parse(text));
        if (hello.type !== 'hello' || hello.resume !== true) return void ws.close(1008, 'expected a resuming hello');
        session = welcome(ws, hello);
        return;
      }
      if (session.ws !== ws) return; // a stale connection of a session that moved on
      const outcome = session.conversation.receive(text);
      if (outcome.kind === 'fatal') {
        session.errors.push(outcome.error);
        ws.close(outcome.error.closeCode, outcome.error.code);
      }
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      if (session === undefined || session.ws !== ws) return;
      session.ws = undefined;
      session.channel.suspend();
      session.conversation.suspend();
    });
  });

  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    get sessions() {
      return [...sessions.values()];
    },
    resumes,
    forget: (session) => {
      sessions.delete(session.sid);
      session.channel.end();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}
