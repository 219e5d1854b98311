// What the demo remembers: the last messages of each room, for people who join or come back.
// Bounded twice, so a long-running demo cannot grow without end: `perRoom` messages per room,
// and at most `rooms` rooms — the room written to least recently is forgotten first. (A Map
// iterates in insertion order, so moving a room to the end on every write keeps it in order.)

export class RoomHistory {
  /** @type {Map<string, object[]>} room → its last messages, least recently written first */
  #rooms = new Map();
  #maxRooms;
  #perRoom;

  /** @param {{ rooms?: number, perRoom?: number }} [limits] */
  constructor({ rooms = 100, perRoom = 50 } = {}) {
    this.#maxRooms = rooms;
    this.#perRoom = perRoom;
  }

  /** Number of rooms remembered. */
  get size() {
    return this.#rooms.size;
  }

  /** The last messages of `room`, oldest first (empty for a room we do not remember). */
  messages(room) {
    return this.#rooms.get(room) ?? [];
  }

  /** Remember `message` as the newest of `room`. */
  add(room, message) {
    const kept = this.#rooms.get(room) ?? [];
    this.#rooms.delete(room);
    kept.push(message);
    if (kept.length > this.#perRoom) kept.splice(0, kept.length - this.#perRoom);
    this.#rooms.set(room, kept);
    if (this.#rooms.size > this.#maxRooms) this.#rooms.delete(this.#rooms.keys().next().value);
  }
}
