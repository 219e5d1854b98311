/** The opening handshake's pure rules, both sides, with plain lowercase header records. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/errors.js';
import {
  HandshakeError,
  acceptUpgrade,
  checkUpgradeResponse,
  chooseSubprotocol,
  clientUpgradeHeaders,
  computeAcceptKey,
  headerValue,
  isUpgradeRefusal,
  validateExtendedConnect,
  validateUpgradeRequest,
  checkExtendedConnectResponse,
  extendedConnectHeaders,
} from '../../../src/rfc6455/index.js';
import type { UpgradeRequestHead } from '../../../src/rfc6455/index.js';

const sha1 = (text: string): string => createHash('sha1').update(text).digest('base64');
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

function http1(headers: Record<string, string | undefined> = {}, method = 'GET', minor = 1): UpgradeRequestHead {
  return {
    method,
    httpVersionMajor: 1,
    httpVersionMinor: minor,
    headers: { host: 'x', upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': KEY, 'sec-websocket-version': '13', ...headers },
  };
}

describe('server rules (validateUpgradeRequest, acceptUpgrade)', () => {
  it('accepts a valid HTTP/1.1 request and answers the RFC 6455 §1.3 example', () => {
    const offer = validateUpgradeRequest(http1({ 'sec-websocket-protocol': 'chat, superchat', origin: 'http://a', 'sec-websocket-extensions': 'x' }));
    expect(offer).toEqual({ key: KEY, protocols: ['chat', 'superchat'], extensions: 'x', origin: 'http://a' });
    expect(computeAcceptKey(KEY, sha1)).toBe(ACCEPT);
    expect(acceptUpgrade({ key: KEY }, { protocol: 'chat', extensions: 'permessage-deflate' }, sha1)).toEqual({
      status: 101,
      headers: {
        upgrade: 'websocket',
        connection: 'Upgrade',
        'sec-websocket-accept': ACCEPT,
        'sec-websocket-protocol': 'chat',
        'sec-websocket-extensions': 'permessage-deflate',
      },
      protocol: 'chat',
      extensions: 'permessage-deflate',
    });
  });

  it('refuses each broken rule with its status, reason and headers', () => {
    const cases: [UpgradeRequestHead, number, string][] = [
      [http1({}, 'POST'), 400, 'Invalid HTTP method'],
      [http1({}, 'GET', 0), 400, 'HTTP/1.1 or later required'],
      [http1({ host: undefined }), 400, 'Missing Host header'],
      [http1({ upgrade: 'h2c' }), 400, 'Invalid Upgrade header'],
      [http1({ connection: 'keep-alive' }), 400, 'Invalid Connection header'],
      [http1({ 'sec-websocket-key': 'short' }), 400, 'Invalid Sec-WebSocket-Key header'],
      [http1({ 'sec-websocket-protocol': 'a, a' }), 400, 'Invalid Sec-WebSocket-Protocol header'],
    ];
    for (const [head, status, reason] of cases) expect(validateUpgradeRequest(head)).toEqual({ status, reason, headers: {} });
    expect(validateUpgradeRequest(http1({ 'sec-websocket-version': '8' }))).toEqual({
      status: 426,
      reason: 'Unsupported Sec-WebSocket-Version',
      headers: { 'sec-websocket-version': '13' },
    });
  });

  it('reads repeated fields given as arrays as one list', () => {
    const head = { ...http1(), headers: { ...http1().headers, connection: ['keep-alive', 'Upgrade'], 'sec-websocket-protocol': ['a', 'b'] } };
    expect(validateUpgradeRequest(head)).toMatchObject({ protocols: ['a', 'b'] });
    expect(headerValue({ x: [] }, 'x')).toBeUndefined();
  });

  it('RFC 8441: an extended CONNECT over HTTP/2 needs no key and is answered 200 without an accept', () => {
    const head: UpgradeRequestHead = {
      method: 'CONNECT',
      httpVersionMajor: 2,
      httpVersionMinor: 0,
      headers: {
        ':method': 'CONNECT',
        ':protocol': 'websocket',
        ':scheme': 'https',
        ':path': '/chat',
        ':authority': 'example.com',
        'sec-websocket-version': '13',
        'sec-websocket-protocol': 'chat',
      },
    };
    const offer = validateUpgradeRequest(head);
    expect(offer).toEqual({ key: undefined, protocols: ['chat'], extensions: undefined, origin: undefined });
    expect(acceptUpgrade({ key: undefined }, { protocol: 'chat' }, sha1)).toEqual({
      status: 200,
      headers: { 'sec-websocket-protocol': 'chat' },
      protocol: 'chat',
      extensions: '',
    });
    expect(validateUpgradeRequest({ ...head, method: 'GET' })).toMatchObject({ status: 400, reason: 'Invalid HTTP method' });
    expect(isUpgradeRefusal(validateUpgradeRequest({ ...head, headers: { ':protocol': 'websocket' } }))).toBe(true);
    // The answer carries neither the HTTP/1.1 Upgrade/Connection pair nor an accept key (RFC 8441 §5).
    expect(Object.keys(acceptUpgrade({ key: undefined }, {}, sha1).headers)).toEqual([]);
  });

  it('RFC 8441 §4-5: each fault of an extended CONNECT has its own status and reason', () => {
    const base: Record<string, string> = {
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':scheme': 'https',
      ':path': '/chat',
      ':authority': 'example.com',
      'sec-websocket-version': '13',
    };
    const h2 = (overrides: Record<string, string | undefined>, method = 'CONNECT'): UpgradeRequestHead => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries({ ...base, ...overrides })) if (value !== undefined) headers[name] = value;
      return { method, httpVersionMajor: 2, httpVersionMinor: 0, headers };
    };
    const cases: [UpgradeRequestHead, number, string][] = [
      [h2({}, 'GET'), 400, 'Invalid HTTP method'],
      [h2({ ':protocol': undefined }), 400, 'Missing :protocol pseudo-header'],
      [h2({ ':protocol': '' }), 400, 'Missing :protocol pseudo-header'],
      [h2({ ':protocol': 'connect-udp' }), 501, 'Unsupported :protocol'],
      [h2({ ':scheme': undefined }), 400, 'Missing :scheme pseudo-header'],
      [h2({ ':path': '' }), 400, 'Missing :path pseudo-header'],
      [h2({ ':authority': undefined }), 400, 'Missing :authority pseudo-header'],
    ];
    for (const [head, status, reason] of cases) {
      expect(validateExtendedConnect(head)).toEqual({ status, reason, headers: {} });
      expect(validateUpgradeRequest(head)).toEqual({ status, reason, headers: {} });
    }
    expect(validateUpgradeRequest(h2({ 'sec-websocket-version': '8' }))).toEqual({
      status: 426,
      reason: 'Unsupported Sec-WebSocket-Version',
      headers: { 'sec-websocket-version': '13' },
    });
    expect(validateUpgradeRequest(h2({ ':protocol': 'WebSocket', origin: 'https://a.example' }))).toEqual({
      key: undefined,
      protocols: [],
      extensions: undefined,
      origin: 'https://a.example',
    });
    expect(validateUpgradeRequest(h2({ 'sec-websocket-protocol': 'a, a' }))).toMatchObject({ status: 400 });
  });

  it('RFC 8441 client side: the extended CONNECT\'s WebSocket headers, and a 2xx answer checked without a key', () => {
    expect(extendedConnectHeaders({ protocols: ['a', 'b'], extensions: 'permessage-deflate' })).toEqual({
      'sec-websocket-version': '13',
      'sec-websocket-protocol': 'a, b',
      'sec-websocket-extensions': 'permessage-deflate',
    });
    expect(extendedConnectHeaders({ protocols: [] })).toEqual({ 'sec-websocket-version': '13' });
    expect(() => extendedConnectHeaders({ protocols: ['a a'] })).toThrow(TypeError);
    expect(() => extendedConnectHeaders({ protocols: [], extensions: 'x\r\ny' })).toThrow(TypeError);
    const offer = { protocols: ['a'], extensions: 'permessage-deflate' };
    expect(checkExtendedConnectResponse({ status: 200, headers: { 'sec-websocket-protocol': 'a' } }, offer)).toEqual({ kind: 'accepted', protocol: 'a', extensions: [] });
    const failures: [number, Record<string, string>, string][] = [
      [101, {}, ErrorCodes.HandshakeStatus],
      [403, {}, ErrorCodes.HandshakeStatus],
      [200, { 'sec-websocket-protocol': 'b' }, ErrorCodes.HandshakeProtocol],
      [200, { 'sec-websocket-extensions': 'x-other' }, ErrorCodes.ExtensionNegotiationFailed],
    ];
    for (const [status, headers, code] of failures) {
      const result = checkExtendedConnectResponse({ status, headers }, offer);
      expect(result).toBeInstanceOf(HandshakeError);
      expect([(result as HandshakeError).code, (result as HandshakeError).status]).toEqual([code, status]);
    }
  });

  it('chooses only an offered subprotocol', () => {
    expect(chooseSubprotocol([], 'a')).toBe('');
    expect(chooseSubprotocol(['a', 'b'])).toBe('a');
    expect(chooseSubprotocol(['a', 'b'], 'b')).toBe('b');
    expect(chooseSubprotocol(['a', 'b'], 'c')).toBe('');
    expect(chooseSubprotocol(['a', 'b'], false)).toBe('');
    expect(chooseSubprotocol(['a', 'b'], null)).toBe('');
  });
});

describe('client rules (clientUpgradeHeaders, checkUpgradeResponse)', () => {
  const offer = { key: KEY, protocols: ['chat', 'super'], extensions: 'permessage-deflate; client_max_window_bits' };
  const good = { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': ACCEPT };

  it('builds the request headers of an offer', () => {
    expect(clientUpgradeHeaders(offer)).toEqual({
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-key': KEY,
      'sec-websocket-version': '13',
      'sec-websocket-protocol': 'chat, super',
      'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits',
    });
    expect(clientUpgradeHeaders({ key: KEY, protocols: [] })).not.toHaveProperty('sec-websocket-protocol');
    expect(() => clientUpgradeHeaders({ key: 'x', protocols: [] })).toThrow(TypeError);
    expect(() => clientUpgradeHeaders({ key: KEY, protocols: ['a b'] })).toThrow(TypeError);
    expect(() => clientUpgradeHeaders({ key: KEY, protocols: ['a', 'a'] })).toThrow(TypeError);
    expect(() => clientUpgradeHeaders({ key: KEY, protocols: [], extensions: 'x\r\nInjected: 1' })).toThrow(TypeError);
  });

  it('accepts a right answer with its subprotocol and extensions', () => {
    const result = checkUpgradeResponse(
      { status: 101, headers: { ...good, upgrade: 'WebSocket', connection: 'keep-alive, upgrade', 'sec-websocket-protocol': 'super', 'sec-websocket-extensions': 'permessage-deflate; server_no_context_takeover' } },
      offer,
      sha1,
    );
    expect(result).toEqual({
      kind: 'accepted',
      protocol: 'super',
      extensions: [{ name: 'permessage-deflate', params: [{ name: 'server_no_context_takeover', value: true }] }],
    });
    expect(checkUpgradeResponse({ status: 101, headers: good }, offer, sha1)).toEqual({ kind: 'accepted', protocol: '', extensions: [] });
  });

  it('fails each wrong answer with a specific HandshakeError', () => {
    const cases: [number, Record<string, string | undefined>, string][] = [
      [200, good, ErrorCodes.HandshakeStatus],
      [302, { ...good, location: '/elsewhere' }, ErrorCodes.HandshakeStatus],
      [101, { ...good, upgrade: undefined }, ErrorCodes.HandshakeUpgrade],
      [101, { ...good, upgrade: 'h2c' }, ErrorCodes.HandshakeUpgrade],
      [101, { ...good, connection: 'close' }, ErrorCodes.HandshakeConnection],
      [101, { ...good, 'sec-websocket-accept': undefined }, ErrorCodes.HandshakeAccept],
      [101, { ...good, 'sec-websocket-accept': 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' }, ErrorCodes.HandshakeAccept],
      [101, { ...good, 'sec-websocket-protocol': 'other' }, ErrorCodes.HandshakeProtocol],
      [101, { ...good, 'sec-websocket-extensions': 'x-unoffered' }, ErrorCodes.ExtensionNegotiationFailed],
      [101, { ...good, 'sec-websocket-extensions': 'permessage-deflate, permessage-deflate' }, ErrorCodes.ExtensionNegotiationFailed],
      [101, { ...good, 'sec-websocket-extensions': 'permessage-deflate; =' }, ErrorCodes.InvalidExtensionHeader],
    ];
    for (const [status, headers, code] of cases) {
      const result = checkUpgradeResponse({ status, headers }, offer, sha1);
      expect(result).toBeInstanceOf(HandshakeError);
      expect(result).toMatchObject({ code, status, name: 'HandshakeError' });
    }
    // Without an extension offer, any accepted extension is unoffered.
    const none = checkUpgradeResponse({ status: 101, headers: { ...good, 'sec-websocket-extensions': 'permessage-deflate' } }, { key: KEY, protocols: [] }, sha1);
    expect(none).toMatchObject({ code: ErrorCodes.ExtensionNegotiationFailed });
  });
});
