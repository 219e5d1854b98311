/**
 * Cluster-wide ids of broadcasts, for resume across nodes. A multi-process adapter gives every
 * broadcast an id when it is published (and the same id where it is received); a session that
 * moves to another node is re-sent what it missed from the room logs, and the id is how that node
 * tells what the session already has. Kept beside the message, not in it: the message object is
 * the application's encoded envelope, shared by every recipient.
 */
import type { BroadcastMessage } from './adapter.js';

const ids = new WeakMap<BroadcastMessage, string>();

/** Records `id` as the cluster-wide id of `message` (the adapter does, before local delivery). */
export function tagBroadcast(message: BroadcastMessage, id: string): void {
  ids.set(message, id);
}

/** The cluster-wide id of `message`, if an adapter gave it one. */
export function broadcastIdOf(message: BroadcastMessage): string | undefined {
  return ids.get(message);
}
