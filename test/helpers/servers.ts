/**
 * WebSocketServer fixtures for tests: listen on 127.0.0.1 port 0, and stop everything in
 * afterEach (connections terminated, so no close handshake can hold a test up).
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from '../../server/socket/websocket-server.js';
import type { WebSocketServerOptions } from '../../server/socket/websocket-server.js';
import { echo } from '../../server/tools/cli.js';

const running = new Set<WebSocketServer>();

/** Starts a server on 127.0.0.1:0 and resolves with it and its port. */
export function listen(options: Omit<WebSocketServerOptions, 'port' | 'host' | 'server' | 'noServer'> = {}): Promise<{ wss: WebSocketServer; port: number }> {
  return new Promise((resolve, reject) => {
    const wss = new WebSocketServer({ ...options, port: 0, host: '127.0.0.1' });
    running.add(wss);
    wss.once('error', reject);
    wss.once('listening', () => resolve({ wss, port: (wss.address() as AddressInfo).port }));
  });
}

/** An in-process echo server (the CLI's echo, from source). */
export async function listenEcho(options: Omit<WebSocketServerOptions, 'port' | 'host' | 'server' | 'noServer'> = {}): Promise<{ wss: WebSocketServer; port: number }> {
  const started = await listen(options);
  echo(started.wss);
  return started;
}

/** Remembers a server created elsewhere so {@link stopAll} closes it. */
export function track(wss: WebSocketServer): WebSocketServer {
  running.add(wss);
  return wss;
}

/** Terminates every connection and closes every server started by this module. */
export async function stopAll(): Promise<void> {
  const servers = [...running];
  running.clear();
  await Promise.all(
    servers.map(
      (wss) =>
        new Promise<void>((resolve) => {
          for (const client of wss.clients) client.terminate();
          wss.close(() => resolve());
        }),
    ),
  );
}
