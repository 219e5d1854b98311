import { describe, expect, it } from 'vitest';
import { ErrorCodes, ProtocolError, StateError, TandemError } from '../../../src/errors.js';
import { Connection } from '../../../src/rfc6455/connection.js';
import { clientFrame, closeBody, frame, serverFrame, toBytes, toHex } from '../../helpers/frames.js';
import { TEST_CLIENT_KEY, record } from './recorder.js';

const server = () => record({ role: 'server' });
const client = () => record({ role: 'client' });
const writeOf = (bytes: Uint8Array) => ({ type: 'write', hex: toHex(bytes) });
const masked = (opcode: number, payload: Uint8Array | string = '', options = {}) =>
  writeOf(frame(opcode, payload, { maskKey: TEST_CLIENT_KEY, ...options }));

describe('Connection state machine', () => {
  it('starts open and can send and receive', () => {
    const { connection } = server();
    expect(connection.state).toBe('open');
    expect(connection.role).toBe('server');
    expect(connection.canSend()).toBe(true);
    expect(connection.canReceive()).toBe(true);
  });

  it('local close: closing-local, still receives, then closed on the reply', () => {
    const { connection, events } = server();
    connection.close(1000, 'done');
    expect(connection.state).toBe('closing-local');
    expect(connection.canSend()).toBe(false);
    expect(connection.canReceive()).toBe(true);
    expect(events).toEqual([writeOf(serverFrame(8, closeBody(1000, 'done')))]);
    connection.receive(clientFrame(1, 'late but delivered'));
    connection.receive(clientFrame(8, closeBody(1000)));
    expect(connection.state).toBe('closed');
    expect(connection.wasClean).toBe(true);
    expect(events.slice(1)).toEqual([
      { type: 'message', binary: false, compressed: false, hex: toHex(toBytes('late but delivered')) },
      { type: 'close', code: 1000, reason: '' },
    ]);
  });

  it('remote close: echoed, then closed (state already final inside the handler)', () => {
    const states: string[] = [];
    const connection = new Connection(
      {
        write: () => states.push(`write:${connection.state}`),
        message: () => {},
        ping: () => {},
        pong: () => {},
        closeFrame: (code) => states.push(`close:${code}:${connection.state}`),
        error: () => {},
      },
      { role: 'server' },
    );
    connection.receive(clientFrame(8, closeBody(4000)));
    expect(states).toEqual(['write:closed', 'close:4000:closed']);
    expect(connection.wasClean).toBe(true);
  });

  it('send, ping and pong after close throw StateError', () => {
    const { connection } = server();
    connection.close();
    for (const call of [() => connection.send(toBytes('x')), () => connection.ping(), () => connection.pong()]) {
      expect(call).toThrow(StateError);
      expect(call).toThrow(expect.objectContaining({ code: ErrorCodes.InvalidState }));
    }
  });

  it('close is idempotent and validates its code', () => {
    const { connection, events } = server();
    expect(() => connection.close(1005)).toThrow(expect.objectContaining({ code: ErrorCodes.InvalidArgument }));
    expect(() => connection.close(1006)).toThrow(TandemError);
    expect(connection.state).toBe('open');
    connection.close();
    connection.close(1000);
    expect(events).toEqual([writeOf(serverFrame(8))]);
  });

  it('a reason without a code is sent with 1000 and truncated to 123 bytes', () => {
    const { connection, events } = server();
    connection.close(undefined, 'é'.repeat(100)); // 200 bytes
    expect(events).toEqual([writeOf(serverFrame(8, closeBody(1000, 'é'.repeat(61))))]);
  });

  it('auto-pongs only while it can send', () => {
    const { connection, events } = server();
    connection.close(1000);
    connection.receive(clientFrame(9, 'p'));
    expect(events).toEqual([writeOf(serverFrame(8, closeBody(1000))), { type: 'ping', hex: toHex(toBytes('p')) }]);
  });

  it('ping payloads over 125 bytes are refused', () => {
    const { connection } = server();
    expect(() => connection.ping(new Uint8Array(126))).toThrow(expect.objectContaining({ code: ErrorCodes.InvalidArgument }));
    connection.ping(new Uint8Array(125));
  });

  it('sends text, binary, fragmented and compressed messages', () => {
    const { connection, events } = server();
    connection.send(toBytes('hi'), { binary: false });
    connection.send(Uint8Array.of(1));
    connection.send(toBytes('a'), { binary: false, fin: false, compress: true });
    connection.ping(toBytes('between'));
    connection.send(toBytes('b'), { fin: false, compress: true });
    connection.send(toBytes('c'));
    expect(events.map((e) => (e.type === 'write' ? e.hex : e.type))).toEqual([
      toHex(serverFrame(1, 'hi')),
      toHex(serverFrame(2, [1])),
      toHex(serverFrame(1, 'a', { fin: false, rsv1: true })),
      toHex(serverFrame(9, 'between')),
      toHex(serverFrame(0, 'b', { fin: false })),
      toHex(serverFrame(0, 'c')),
    ]);
  });

  it('client role masks every frame with the injected key', () => {
    const { connection, events } = client();
    connection.send(toBytes('Hello'), { binary: false });
    connection.ping();
    connection.close(1000);
    expect(events).toEqual([masked(1, 'Hello'), masked(9), masked(8, closeBody(1000))]);
  });

  it('client role draws a fresh key per frame by default', () => {
    const keys: string[] = [];
    const connection = new Connection({ write() {}, message() {}, ping() {}, pong() {}, closeFrame() {}, error() {} }, { role: 'client' });
    for (let i = 0; i < 20; i++) keys.push(toHex(connection.send(toBytes('x'))[0]!.subarray(2, 6)));
    expect(new Set(keys).size).toBe(20);
  });

  it('a protocol error writes one close frame, closes, and reports a ProtocolError', () => {
    const { connection, events } = record({ role: 'server' });
    connection.receive(clientFrame(3, ''));
    expect(connection.state).toBe('closed');
    expect(connection.wasClean).toBe(false);
    expect(events).toEqual([
      writeOf(serverFrame(8, closeBody(1002))),
      { type: 'error', name: 'ProtocolError', code: ErrorCodes.InvalidOpcode, closeCode: 1002 },
    ]);
    connection.receive(clientFrame(1, 'ignored'));
    expect(events.length).toBe(2);
  });

  it('an error after our close does not send a second close frame', () => {
    const { connection, events } = server();
    connection.close(1000);
    connection.receive(clientFrame(1, [0xff]));
    expect(events).toEqual([
      writeOf(serverFrame(8, closeBody(1000))),
      { type: 'error', name: 'ProtocolError', code: ErrorCodes.InvalidUtf8, closeCode: 1007 },
    ]);
  });

  it('the error is a ProtocolError instance with code and closeCode', () => {
    let caught: unknown;
    const connection = new Connection(
      { write() {}, message() {}, ping() {}, pong() {}, closeFrame() {}, error: (e) => (caught = e) },
      { role: 'server', maxPayload: 4 },
    );
    connection.receive(clientFrame(2, [1, 2, 3, 4, 5]));
    expect(caught).toBeInstanceOf(ProtocolError);
    expect(caught).toMatchObject({ code: ErrorCodes.MessageTooBig, closeCode: 1009, isProtocolError: true });
  });

  it('transportClosed ends everything without a close frame', () => {
    const { connection, events } = server();
    connection.receive(clientFrame(1, 'part', { fin: false }));
    connection.transportClosed();
    expect(connection.state).toBe('closed');
    expect(connection.wasClean).toBe(false);
    connection.receive(clientFrame(0, 'rest'));
    expect(events).toEqual([]);
    expect(() => connection.send(toBytes('x'))).toThrow(StateError);
  });

  it('handlers may close or end the transport re-entrantly', () => {
    const seen: string[] = [];
    const connection: Connection = new Connection(
      {
        write: (c) => seen.push(`write ${toHex(c[0]!)}`),
        message: (data) => {
          seen.push(`message ${new TextDecoder().decode(data)}`);
          if (seen.length === 1) seen.push(`write ${toHex(connection.close(1000)[0]!)}`);
          else connection.transportClosed();
        },
        ping() {},
        pong() {},
        closeFrame() {},
        error() {},
      },
      { role: 'server' },
    );
    // Three messages in one chunk: the second handler call ends the transport, the third is never seen.
    connection.receive(Uint8Array.from([...clientFrame(1, 'a'), ...clientFrame(1, 'b'), ...clientFrame(1, 'c')]));
    expect(seen).toEqual(['message a', 'write 8802', 'message b']);
    expect(connection.state).toBe('closed');
  });

  it('the message handler gets a view of the received chunk when a frame sits in one chunk', () => {
    let received: Uint8Array | undefined;
    const connection = new Connection(
      { write() {}, message: (d) => (received = d), ping() {}, pong() {}, closeFrame() {}, error() {} },
      { role: 'server' },
    );
    const chunk = clientFrame(2, new Uint8Array(1000).fill(7));
    connection.receive(chunk);
    expect(received!.buffer).toBe(chunk.buffer);
    expect(received!.byteOffset).toBe(chunk.byteOffset + 8);
    expect(received!.every((b) => b === 7)).toBe(true);
  });

  it('uses an injected isUtf8 for whole text messages and close reasons', () => {
    const calls: number[] = [];
    const { connection, events } = record({ role: 'server', isUtf8: (b) => (calls.push(b.length), true) });
    connection.receive(clientFrame(1, [0xff, 0xfe]));
    connection.receive(clientFrame(8, closeBody(1000, 'ok')));
    expect(calls).toEqual([2, 2]);
    expect(events[0]).toEqual({ type: 'message', binary: false, compressed: false, hex: 'fffe' });
  });
});
