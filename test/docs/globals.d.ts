/**
 * The free names the documentation's code examples use without defining them (the page's own
 * helpers, an app's session store, an existing http.Server…), declared with plausible types so
 * each example compiles against Tandem's real types (test/docs/examples.test.ts). Only the docs
 * project sees this file.
 */
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { WebSocketServer } from '../../server/index.js';

declare global {
  function render(from: string, text: string): void;
  function badge(state: 'connecting' | 'open' | 'reconnecting' | 'closed'): void;
  function getToken(): Promise<string>;
  function authorised(req: IncomingMessage): boolean;
  const sessions: { lookup(sid: string | undefined): Promise<string | undefined> };
  const url: string;
  const httpServer: HttpServer;
  const wss: WebSocketServer;
  const localStorage: { token: string };
}
