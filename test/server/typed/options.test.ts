import { describe, expect, it } from 'vitest';
import { WebSocketServer } from '../../../server/socket/websocket-server.js';
import { createServer } from '../../../server/typed/server.js';

// Every option is checked before anything listens, with a TypeError (code ERR_INVALID_ARGUMENT)
// naming it; a missing options object is one of them, not a crash deep inside.
const invalid = (message: string) => expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARGUMENT', message });

describe('createServer validates its options', () => {
  it('no argument at all', () => {
    expect(() => (createServer as (o?: unknown) => unknown)()).toThrow(
      invalid('createServer: options must be an object with one of port, server or noServer, got undefined'),
    );
  });

  it.each([
    [{ port: 'eighty' }, 'port must be an integer 0-65535, got "eighty"'],
    [{ port: 70_000 }, 'port must be an integer 0-65535, got 70000'],
    [{ noServer: true, requestTimeout: 'soon' }, 'requestTimeout must be a positive number of milliseconds, got "soon"'],
    [{ noServer: true, helloTimeout: -1 }, 'helloTimeout must be a positive number of milliseconds, got -1'],
    [{ noServer: true, maxConnections: -1 }, 'maxConnections must be an integer ≥ 0 or Infinity, got -1'],
    [{ noServer: true, maxMessageBytes: 0 }, 'maxMessageBytes must be an integer ≥ 1, got 0'],
    [{ noServer: true, maxPendingRequests: 0.5 }, 'maxPendingRequests must be an integer ≥ 1, got 0.5'],
    [{ noServer: true, heartbeat: { interval: 'often' } }, 'heartbeat.interval must be a positive number of milliseconds, got "often"'],
    [{ noServer: true, backpressure: { policy: 'drop' } }, 'backpressure.policy must be one of "close", "drop-volatile", got "drop"'],
    [{ noServer: true, authenticate: true }, 'authenticate must be a function, got true'],
    [{ noServer: true, origins: 'https://a.example' }, 'origins must be an array of strings, got "https://a.example"'],
    [{ noServer: true, path: 'chat' }, 'path must be a path starting with "/", got "chat"'],
    [{ noServer: true, closeTimeout: Number.NaN }, 'closeTimeout must be a positive number of milliseconds, got NaN'],
    [{ noServer: true, adapter: {} }, 'adapter must be a function, got an object'],
  ])('%j', (options, message) => {
    expect(() => createServer(options as never)).toThrow(invalid(`createServer: ${message}`));
  });
});

describe('new WebSocketServer validates its options', () => {
  it.each([
    [undefined, 'options must be an object with one of port, server or noServer, got undefined'],
    [{ noServer: true, maxPayload: -5 }, 'maxPayload must be an integer ≥ 1, got -5'],
    [{ noServer: true, handshakeTimeoutMs: '10s' }, 'handshakeTimeoutMs must be a positive number of milliseconds, got "10s"'],
    [{ noServer: true, verifyClient: 'yes' }, 'verifyClient must be a function, got "yes"'],
    [{ noServer: true, perMessageDeflate: 'on' }, 'perMessageDeflate must be a boolean or an object, got "on"'],
    [{ server: {} }, 'server must be an object with on, off, got an object'],
  ])('%j', (options, message) => {
    expect(() => new WebSocketServer(options as never)).toThrow(invalid(`WebSocketServer: ${message}`));
  });
});
