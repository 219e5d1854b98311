/**
 * The free names the documentation's code examples use without defining them (the page's own
 * helpers, an app's session store, an existing http.Server…), declared with plausible types so
 * each example compiles against Tandem's real types (test/docs/examples.test.ts). Only the docs
 * project sees this file.
 */
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { TandemClient } from '../../client/index.js';
import type { WebSocketServer } from '../../server/index.js';

declare global {
  function render(from: string, text: string): void;
  function badge(label: string): void;
  function refetch(): void;
  function notice(text: string): void;
  function reload(): Promise<void>;
  function getToken(): Promise<string>;
  function authorised(req: IncomingMessage): boolean;
  const sessions: { lookup(sid: string | undefined): Promise<string | undefined> };
  const url: string;
  const token: string;
  const peerId: string;
  /** A client created earlier on the page (its contract does not matter to the lifecycle API). */
  const client: TandemClient;
  const httpServer: HttpServer;
  const wss: WebSocketServer;
  const localStorage: { token: string };
}
