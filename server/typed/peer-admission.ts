/**
 * From a hello to a decision (docs/protocol.md §4 and §10.3): the `authenticateHello` check, then
 * a plain welcome, a new session, or the resume of the session the hello names. Anything
 * asynchronous (the hook, a session store lookup) holds the peer's incoming messages meanwhile,
 * and a decision that comes after the peer left its waiting state is dropped.
 */
import { helloVerdict } from './admission.js';
import type { PeerFacade, PeerInternals, PeerSessionHolder } from './peer-internals.js';
import type { ForeignClaim, LocalClaim } from './session/session-manager.js';
import type { HelloEnvelope, ResumeFailure } from '../../src/envelope.js';

/** What a hello led to. */
export type HelloOutcome =
  /** Welcome it: plainly (`resume` undefined), or with a new session (`reason`: why the named one was not resumed). */
  | { readonly kind: 'open'; readonly resume: { readonly reason: ResumeFailure | undefined } | undefined }
  /** It resumes a session held by a peer of this server. */
  | { readonly kind: 'resume'; readonly claim: Extract<LocalClaim<PeerSessionHolder>, { kind: 'resume' }> }
  /** It resumes a session another node held (a store shared between nodes), taken over for this one. */
  | { readonly kind: 'adopt'; readonly claim: Extract<ForeignClaim, { kind: 'adopt' }> }
  /** `authenticateHello` refused it: close with `code`. */
  | { readonly kind: 'refuse'; readonly code: number; readonly reason: string };

/** Decides what `hello` leads to and hands it to `decided` (at once, or later). */
export function admitHello<P extends PeerFacade>(inside: PeerInternals<P>, hello: HelloEnvelope, decided: (outcome: HelloOutcome) => void): void {
  inside.peer.auth = hello.auth;
  const check = inside.host.authenticateHello;
  if (check === undefined) return welcome(inside, hello, decided);
  // The hello deadline keeps running: a hook that hangs is cut off by it.
  const admitting = inside.hold();
  helloVerdict(() => check(hello.auth, inside.peer))
    .then((verdict) => {
      if (inside.life !== admitting) return;
      if (verdict.kind === 'admit') {
        inside.identity = verdict.identity;
        return welcome(inside, hello, decided);
      }
      if (verdict.error !== undefined) inside.report(verdict.error, 'authenticateHello');
      decided({ kind: 'refuse', code: verdict.code, reason: verdict.reason });
    })
    // Listeners are guarded, so this is a last resort: never an unhandled rejection.
    .catch((err: unknown) => inside.report(err, 'authenticateHello'));
}

/** The hello is authenticated: which welcome. */
function welcome<P extends PeerFacade>(inside: PeerInternals<P>, hello: HelloEnvelope, decided: (outcome: HelloOutcome) => void): void {
  const sessions = inside.host.sessions;
  // docs/protocol.md §10.1: only a hello that speaks resume, to a server that does, gets a session.
  if (sessions === undefined || hello.resume !== true) return decided({ kind: 'open', resume: undefined });
  if (hello.sid === undefined) return decided({ kind: 'open', resume: { reason: undefined } });
  // Synchronous: a resume is carried out in this tick, before the session logs anything more.
  const claim = sessions.claim(hello, inside.identity);
  if (claim?.kind === 'resume') return decided({ kind: 'resume', claim });
  if (claim !== undefined) return decided({ kind: 'open', resume: { reason: claim.reason } });
  // Not held here: another node's session to adopt (a shared store), or the store says why not.
  const waiting = inside.hold();
  const answer = (claim: ForeignClaim): void => {
    if (inside.life === waiting) decided(claim.kind === 'adopt' ? { kind: 'adopt', claim } : { kind: 'open', resume: { reason: claim.reason } });
  };
  sessions
    .claimForeign(hello, inside.identity)
    .then(answer, (err: unknown) => {
      inside.report(err, 'session store');
      answer({ kind: 'refuse', reason: 'unknown' });
    })
    // Listeners are guarded, so this is a last resort: never an unhandled rejection.
    .catch((err: unknown) => inside.report(err, 'session store'));
}
