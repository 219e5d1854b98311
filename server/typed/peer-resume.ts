/**
 * A Peer's session across connections (docs/protocol.md §10): a new session at the welcome, the
 * suspend when its connection drops, the hand-over of a resuming connection (welcome
 * `resumed: true`, the log after the client's ack, then anything new), and the end the session
 * registry decides (window passed, overflow, eviction, shutdown).
 */
import type { HeldMessage, PeerSocket } from './peer-lifecycle.js';
import type { PeerFacade, PeerInternals, PeerSessionHolder } from './peer-internals.js';
import type { LogEntry } from './session/log-entry.js';
import type { ServerSession } from './session/server-session.js';
import type { ForeignClaim, SessionManager } from './session/session-manager.js';
import type { PeerWriterOptions } from './peer-writer.js';
import type { CaughtUpBroadcast, SessionEndReason } from './session/session-store.js';
import { tagBroadcast } from './broadcast-ids.js';
import { welcomeEnvelope } from '../../src/envelope.js';
import type { ResumeFailure, WelcomeEnvelope } from '../../src/envelope.js';
import { CloseCodes } from '../../src/close-codes.js';
import { callListener } from '../../src/call-listener.js';

/** How long live broadcasts are checked against what an adopted session caught up on, in ms. */
const CAUGHT_FILTER = 10_000;

/** A new session for the peer (docs/protocol.md §10.1); returns its welcome. */
export function startSession<P extends PeerFacade>(inside: PeerInternals<P>, reason: ResumeFailure | undefined): WelcomeEnvelope {
  const sessions = inside.host.sessions!;
  const session = sessions.create((seq) => inside.writer.ack(seq));
  inside.writer.session = session;
  inside.conversation.useSession(session);
  sessions.adopt(session, holderOf(inside));
  return welcomeEnvelope(session.sid, { resumed: false, ack: 0, reason });
}

/** With a store shared between nodes, the writer hands it every numbered envelope (write-ahead). */
export function sharedLogging(sessions: SessionManager<PeerSessionHolder> | undefined): Pick<PeerWriterOptions, 'logged'> {
  return sessions?.shared === true ? { logged: (session, seq, data, id) => sessions.logged(session, seq, data, id) } : {};
}

/** The hello resumed another node's session: open, carry it (see {@link adoptSession}), then the messages held meanwhile. */
export function adoptFrom<P extends PeerFacade>(inside: PeerInternals<P>, claim: Extract<ForeignClaim, { kind: 'adopt' }>): void {
  const life = inside.life;
  if (life.kind !== 'handshake' && life.kind !== 'admitting') return;
  inside.transition({ kind: 'open', socket: life.socket, liveness: inside.track() });
  inside.conversation.ready();
  adoptSession(inside, claim, () => inside.host.opened(inside.peer));
  if (life.kind === 'admitting') for (const [data, bytes] of life.held) inside.receive(data, bytes);
}

/**
 * The hello resumed a session another node held (docs/cluster.md "Resume across nodes"): this
 * peer carries it from now on. The welcome says `resumed: true`, the envelopes the old node logged
 * after the client's ack are re-sent as they were, the session's data and rooms are restored
 * (`'connection'` tells the application: the session is new to this node), then what its rooms
 * got while no node held it is delivered as new envelopes, before any live broadcast.
 */
function adoptSession<P extends PeerFacade>(inside: PeerInternals<P>, claim: Extract<ForeignClaim, { kind: 'adopt' }>, onOpen: () => void): void {
  const sessions = inside.host.sessions!;
  const { record, catchUp, seen } = claim.adopted;
  const { session, replay } = sessions.restore(claim, (seq) => inside.writer.ack(seq));
  const writer = inside.writer;
  writer.session = session;
  inside.conversation.useSession(session);
  const peer = inside.peer;
  if (typeof record.data === 'object' && record.data !== null && typeof peer.data === 'object' && peer.data !== null) Object.assign(peer.data, record.data);
  sessions.adopt(session, holderOf(inside), peer.id);
  writer.send(welcomeEnvelope(session.sid, { resumed: true, ack: session.positions.received }), false);
  writer.replay(replay);
  writer.hold();
  for (const room of record.rooms) inside.host.rooms.join(peer.id, room);
  if (record.rooms.length > 0) sessions.update(session, { rooms: [...peer.rooms] });
  onOpen();
  const caught = new Set(seen);
  const deliver = (list: readonly CaughtUpBroadcast[]): void => {
    for (const { id, message } of list) {
      if (caught.has(id)) continue;
      caught.add(id);
      tagBroadcast(message, id);
      writer.catchUp(message);
    }
  };
  deliver(catchUp);
  claim.adopted
    .topUp()
    .then(deliver, (err: unknown) => inside.report(err, 'session store'))
    .finally(() => {
      writer.release(caught);
      // Pub/sub lags the logs by far less: after this, no live copy of a caught-up one comes.
      inside.host.scheduler.setTimeout(() => writer.forgetCaught(), CAUGHT_FILTER);
    })
    .catch((err: unknown) => inside.report(err, 'session store'));
}

/** What the session registry sees of the peer. */
function holderOf<P extends PeerFacade>(inside: PeerInternals<P>): PeerSessionHolder {
  return {
    // All peers of one server share one facade type: the registry hands this back to a peer of it.
    inside: inside as unknown as PeerInternals<PeerFacade>,
    get identity() {
      return inside.identity;
    },
    get data() {
      return inside.peer.data;
    },
    get rooms() {
      return inside.peer.rooms;
    },
    get attached() {
      return inside.life.kind !== 'suspended';
    },
    endSession: (reason) => sessionEnded(inside, reason),
    persisted: (seq) => inside.writer.persisted(seq),
  };
}

/**
 * docs/protocol.md §10.3: the claimant's new connection carries `target`'s session from now on.
 * An older connection still carrying it (half-open) is closed with 4409 first.
 */
export function resumeFrom<P extends PeerFacade>(target: PeerInternals<P>, claimant: PeerInternals<P>, session: ServerSession, replay: readonly LogEntry[]): void {
  const { socket, held } = handOver(claimant);
  const life = target.life;
  if (life.kind === 'open' || life.kind === 'closing') {
    target.detach();
    life.socket.close(CloseCodes.SessionTakenOver, 'session taken over');
    target.host.closed(CloseCodes.SessionTakenOver);
  }
  target.forgetCloseReason();
  target.peer.auth = claimant.peer.auth;
  target.identity = claimant.identity;
  target.attach(socket);
  target.transition({ kind: 'open', socket, liveness: target.track() });
  target.conversation.ready();
  target.writer.send(welcomeEnvelope(session.sid, { resumed: true, ack: session.positions.received }), false);
  target.writer.replay(replay);
  target.host.sessions!.resumed(session);
  const peer = target.peer;
  callListener((err) => target.report(err, "'resume' listener"), () => peer.lifecycle.emit('resume'));
  target.host.resumed(peer);
  for (const [data, bytes] of held) target.receive(data, bytes);
}

/** The claimant resumed another peer's session: its socket goes there, it leaves without a trace. */
function handOver<P extends PeerFacade>(claimant: PeerInternals<P>): { socket: PeerSocket; held: readonly HeldMessage[] } {
  const life = claimant.life;
  if (life.kind !== 'handshake' && life.kind !== 'admitting') throw new Error(`hand-over from a ${life.kind} peer`);
  claimant.detach();
  claimant.transition({ kind: 'closed', code: CloseCodes.NormalClosure, reason: 'resumed another session' });
  claimant.host.discard(claimant.peer);
  claimant.peer.lifecycle.removeAllListeners();
  claimant.forget();
  return { socket: life.socket, held: life.kind === 'admitting' ? life.held : [] };
}

/** The connection dropped and the session lives on: wait for the client (`'suspend'`). */
export function suspend<P extends PeerFacade>(inside: PeerInternals<P>, session: ServerSession, code: number, reason: string): void {
  inside.forgetCloseReason();
  inside.detach();
  inside.transition({ kind: 'suspended', code, reason });
  inside.conversation.suspend();
  // The registry may end it at once (its log overflowed, no room): then it is closed already.
  inside.host.sessions!.suspend(session);
  if (inside.life.kind !== 'suspended') return;
  const peer = inside.peer;
  callListener((err) => inside.report(err, "'suspend' listener"), () => peer.lifecycle.emit('suspend', reason, code));
  inside.host.suspended(peer, reason, code);
}

/** The session registry ended the peer's session. */
function sessionEnded<P extends PeerFacade>(inside: PeerInternals<P>, reason: SessionEndReason): void {
  const life = inside.life;
  if (life.kind === 'suspended') return inside.end(life.code, `session ${reason}`);
  // Still on a connection (a shutdown race): the session is over, so is the connection.
  if (life.kind === 'open') inside.close(CloseCodes.GoingAway, `session ${reason}`);
}
