/**
 * The demo chat's contract: one type that both ends follow. The demo itself is plain JavaScript
 * (server.mjs, page/app.js) so it runs without a build step; a TypeScript app would write
 * `createServer<ChatContract>(…)` on the server and `createClient<ChatContract>(…)` in the page.
 */

/** Sent by the client in its hello envelope (`auth` option), on every (re)connection. */
export interface ChatAuth {
  name: string;
  room: string;
}

/** One chat message as the server relays it. */
export interface ChatMessage {
  /** Unique id, so a page can drop a message it already shows (history after a reconnect). */
  id: string;
  from: string;
  text: string;
  /** Server time, ms since the epoch. */
  at: number;
}

export interface ChatContract {
  client: {
    events: {
      /** Say something in the current room. */
      say: { text: string };
    };
    requests: {
      /** Move to another room; fails with `invalid_room` for a bad name. */
      join: { request: { room: string }; response: { room: string; users: string[] } };
      /** The server's clock; the page times this round trip to show the latency. */
      clock: { request: undefined; response: { now: number } };
    };
  };
  server: {
    events: {
      message: ChatMessage;
      /** The last messages of a room, sent on joining it. */
      history: { room: string; messages: ChatMessage[] };
      /** Who is in the room now. */
      presence: { room: string; users: string[] };
      /** How this connection's WebSocket reached the server (RFC 8441 extended CONNECT or the HTTP/1.1 Upgrade). */
      transport: { protocol: 'HTTP/2' | 'HTTP/1.1' };
    };
  };
}
