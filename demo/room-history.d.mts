/** Types of ./room-history.mjs (the demo is plain JavaScript; tests import it from TypeScript). */
export declare class RoomHistory<M = object> {
  constructor(limits?: { rooms?: number; perRoom?: number });
  /** Number of rooms remembered. */
  get size(): number;
  /** The last messages of `room`, oldest first. */
  messages(room: string): M[];
  /** Remember `message` as the newest of `room`; the least recently written room goes past the cap. */
  add(room: string, message: M): void;
}
