import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/errors.js';
import {
  ExtensionHeaderError,
  ExtensionNegotiationError,
  acceptPerMessageDeflate,
  formatExtension,
  offerPerMessageDeflate,
  parseExtensionHeader,
  validatePerMessageDeflateResponse,
  type PerMessageDeflateConfig,
} from '../../../src/rfc6455/index.js';

const PMD = 'permessage-deflate';

describe('parseExtensionHeader', () => {
  const vectors: { header: string | string[] | undefined; expect: unknown }[] = [
    { header: undefined, expect: [] },
    { header: '', expect: [] },
    { header: '  \t ', expect: [] },
    { header: PMD, expect: [{ name: PMD, params: [] }] },
    {
      header: 'permessage-deflate; client_max_window_bits',
      expect: [{ name: PMD, params: [{ name: 'client_max_window_bits', value: true }] }],
    },
    {
      header: 'foo, bar; baz=2;qux ,  permessage-deflate ;a= 1 ; b ="x_y"',
      expect: [
        { name: 'foo', params: [] },
        { name: 'bar', params: [{ name: 'baz', value: '2' }, { name: 'qux', value: true }] },
        { name: PMD, params: [{ name: 'a', value: '1' }, { name: 'b', value: 'x_y' }] },
      ],
    },
    { header: 'a; b="\\1\\0"', expect: [{ name: 'a', params: [{ name: 'b', value: '10' }] }] },
    { header: ',, a ,\t, b,', expect: [{ name: 'a', params: [] }, { name: 'b', params: [] }] },
    { header: 'Permessage-Deflate; Server_No_Context_Takeover', expect: [{ name: PMD, params: [{ name: 'server_no_context_takeover', value: true }] }] },
    { header: ['a; x=1', 'b'], expect: [{ name: 'a', params: [{ name: 'x', value: '1' }] }, { name: 'b', params: [] }] },
    // duplicates are kept: refusing them is negotiation's business
    { header: 'a; x; x', expect: [{ name: 'a', params: [{ name: 'x', value: true }, { name: 'x', value: true }] }] },
  ];
  for (const v of vectors) {
    it(`parses ${JSON.stringify(v.header)}`, () => {
      expect(parseExtensionHeader(v.header)).toEqual(v.expect);
    });
  }

  const malformed: { header: string; index: number }[] = [
    { header: ';', index: 0 },
    { header: 'a;', index: 2 },
    { header: 'a; ;b', index: 3 },
    { header: 'a b', index: 2 },
    { header: 'a; b=', index: 5 },
    { header: 'a; b==1', index: 5 },
    { header: 'a; b=1 2', index: 7 },
    { header: 'a; b="1', index: 7 },
    { header: 'a; b="1 2"', index: 5 },
    { header: 'a; b=""', index: 5 },
    { header: 'a; b="\\', index: 7 },
    { header: 'a; b="x\u0001"', index: 7 },
    { header: 'a; b=x,;', index: 7 },
    { header: 'a=1', index: 1 },
    { header: 'pérmessage', index: 1 },
    { header: 'a; b=1"', index: 6 },
    { header: '"a"', index: 0 },
  ];
  for (const m of malformed) {
    it(`rejects ${JSON.stringify(m.header)} at ${m.index}`, () => {
      let caught: unknown;
      try {
        parseExtensionHeader(m.header);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ExtensionHeaderError);
      expect((caught as ExtensionHeaderError).code).toBe(ErrorCodes.InvalidExtensionHeader);
      expect((caught as ExtensionHeaderError).index).toBe(m.index);
    });
  }

  it('scans a long hostile header in linear time (no backtracking)', () => {
    const header = `a; b="${'\\x'.repeat(50_000)}`;
    expect(() => parseExtensionHeader(header)).toThrow(ExtensionHeaderError);
    const many = Array.from({ length: 2000 }, (_, i) => `e${i}; p${i}=${i}`).join(', ');
    expect(parseExtensionHeader(many)).toHaveLength(2000);
  });

  it('formats what it parses', () => {
    const [ext] = parseExtensionHeader('permessage-deflate;server_no_context_takeover;  client_max_window_bits="10"');
    expect(ext && formatExtension(ext)).toBe('permessage-deflate; server_no_context_takeover; client_max_window_bits=10');
  });
});

/** Server negotiation: offer header in, response header out (`null` = declined). */
function answer(offer: string, config?: PerMessageDeflateConfig): string | null {
  return acceptPerMessageDeflate(parseExtensionHeader(offer), config)?.header ?? null;
}

describe('acceptPerMessageDeflate (server role)', () => {
  const CHROMIUM = 'permessage-deflate; client_max_window_bits';
  const FIREFOX = 'permessage-deflate';
  const vectors: { name: string; offer: string; config?: PerMessageDeflateConfig; expect: string | null }[] = [
    { name: 'Chromium, defaults', offer: CHROMIUM, expect: PMD },
    { name: 'Firefox, defaults', offer: FIREFOX, expect: PMD },
    { name: 'Chromium, server limits the client window', offer: CHROMIUM, config: { clientMaxWindowBits: 10 }, expect: `${PMD}; client_max_window_bits=10` },
    { name: 'Chromium, client window 8 is fine (we inflate with 9+)', offer: CHROMIUM, config: { clientMaxWindowBits: 8 }, expect: `${PMD}; client_max_window_bits=8` },
    { name: 'Firefox cannot be given a client window limit → declined', offer: FIREFOX, config: { clientMaxWindowBits: 10 }, expect: null },
    { name: 'client window limit 15 needs no answer', offer: FIREFOX, config: { clientMaxWindowBits: 15 }, expect: PMD },
    { name: 'Chromium, all server options', offer: CHROMIUM, config: { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 12, clientMaxWindowBits: 11 }, expect: `${PMD}; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=11` },
    { name: 'server_no_context_takeover offered → answered', offer: `${PMD}; server_no_context_takeover`, expect: `${PMD}; server_no_context_takeover` },
    { name: 'client_no_context_takeover offered → echoed', offer: `${PMD}; client_no_context_takeover`, expect: `${PMD}; client_no_context_takeover` },
    { name: 'both no_context_takeover offered', offer: `${PMD}; client_no_context_takeover; server_no_context_takeover`, expect: `${PMD}; server_no_context_takeover; client_no_context_takeover` },
    { name: 'server imposes client_no_context_takeover', offer: FIREFOX, config: { clientNoContextTakeover: true }, expect: `${PMD}; client_no_context_takeover` },
    { name: 'server imposes server_no_context_takeover', offer: FIREFOX, config: { serverNoContextTakeover: true }, expect: `${PMD}; server_no_context_takeover` },
    { name: 'server_max_window_bits offered → same value', offer: `${PMD}; server_max_window_bits=10`, expect: `${PMD}; server_max_window_bits=10` },
    { name: 'server_max_window_bits offered, config smaller → smaller', offer: `${PMD}; server_max_window_bits=12`, config: { serverMaxWindowBits: 10 }, expect: `${PMD}; server_max_window_bits=10` },
    { name: 'server_max_window_bits offered, config larger → offered', offer: `${PMD}; server_max_window_bits=10`, config: { serverMaxWindowBits: 13 }, expect: `${PMD}; server_max_window_bits=10` },
    { name: 'server_max_window_bits not offered, config sets it', offer: FIREFOX, config: { serverMaxWindowBits: 11 }, expect: `${PMD}; server_max_window_bits=11` },
    { name: 'config serverMaxWindowBits 8 is treated as 9', offer: FIREFOX, config: { serverMaxWindowBits: 8 }, expect: `${PMD}; server_max_window_bits=9` },
    { name: 'config serverMaxWindowBits 15 needs no answer', offer: FIREFOX, config: { serverMaxWindowBits: 15 }, expect: PMD },
    { name: 'server_max_window_bits=8 cannot be honoured by zlib → declined', offer: `${PMD}; server_max_window_bits=8`, expect: null },
    { name: 'quoted window value', offer: `${PMD}; server_max_window_bits="9"`, expect: `${PMD}; server_max_window_bits=9` },
    { name: 'client_max_window_bits with value is echoed', offer: `${PMD}; client_max_window_bits=12`, expect: `${PMD}; client_max_window_bits=12` },
    { name: 'client_max_window_bits with value, config smaller', offer: `${PMD}; client_max_window_bits=12`, config: { clientMaxWindowBits: 9 }, expect: `${PMD}; client_max_window_bits=9` },
    { name: 'client_max_window_bits with value, config larger', offer: `${PMD}; client_max_window_bits=9`, config: { clientMaxWindowBits: 14 }, expect: `${PMD}; client_max_window_bits=9` },
    { name: 'every parameter offered', offer: `${PMD}; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=11; client_max_window_bits=13`, expect: `${PMD}; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=11; client_max_window_bits=13` },
    { name: 'unknown parameter → declined', offer: `${PMD}; foo`, expect: null },
    { name: 'duplicated parameter → declined', offer: `${PMD}; server_no_context_takeover; server_no_context_takeover`, expect: null },
    { name: 'duplicated window parameter → declined', offer: `${PMD}; client_max_window_bits; client_max_window_bits=10`, expect: null },
    { name: 'no_context_takeover with a value → declined', offer: `${PMD}; server_no_context_takeover=1`, expect: null },
    { name: 'server_max_window_bits without value → declined', offer: `${PMD}; server_max_window_bits`, expect: null },
    { name: 'window bits 7 → declined', offer: `${PMD}; server_max_window_bits=7`, expect: null },
    { name: 'window bits 16 → declined', offer: `${PMD}; client_max_window_bits=16`, expect: null },
    { name: 'window bits with leading zero → declined', offer: `${PMD}; server_max_window_bits=010`, expect: null },
    { name: 'window bits not a number → declined', offer: `${PMD}; server_max_window_bits=abc`, expect: null },
    { name: 'invalid first offer, valid second → second', offer: `${PMD}; server_max_window_bits=16, ${PMD}; client_max_window_bits`, expect: PMD },
    { name: 'unhonourable first offer, second → second', offer: `${PMD}; server_max_window_bits=8, ${PMD}`, expect: PMD },
    { name: 'first acceptable offer wins', offer: `${PMD}; server_max_window_bits=10, ${PMD}`, expect: `${PMD}; server_max_window_bits=10` },
    { name: 'other extensions are never accepted', offer: `x-webkit-deflate-frame, foo; bar, ${PMD}`, expect: PMD },
    { name: 'no permessage-deflate offer', offer: 'x-webkit-deflate-frame', expect: null },
    { name: 'no offer at all', offer: '', expect: null },
  ];
  for (const v of vectors) {
    it(v.name, () => {
      expect(answer(v.offer, v.config)).toBe(v.expect);
    });
  }

  it('returns the agreed parameters with defaults filled in', () => {
    expect(acceptPerMessageDeflate(parseExtensionHeader(CHROMIUM))?.params).toEqual({
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    });
    expect(acceptPerMessageDeflate(parseExtensionHeader(`${PMD}; server_max_window_bits=10; client_max_window_bits=11; server_no_context_takeover`))?.params).toEqual({
      serverNoContextTakeover: true,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 11,
    });
  });

  it('rejects an out-of-range configuration as local misuse', () => {
    for (const config of [{ serverMaxWindowBits: 7 }, { clientMaxWindowBits: 16 }, { serverMaxWindowBits: 10.5 }]) {
      expect(() => acceptPerMessageDeflate([], config)).toThrow(expect.objectContaining({ code: ErrorCodes.InvalidArgument }));
    }
  });
});

describe('offerPerMessageDeflate (client role)', () => {
  it('offers what browsers offer by default', () => {
    expect(offerPerMessageDeflate()).toBe('permessage-deflate; client_max_window_bits');
  });
  it('offers every configured parameter', () => {
    expect(offerPerMessageDeflate({ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 8, clientMaxWindowBits: 10 })).toBe(
      `${PMD}; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8; client_max_window_bits=10`,
    );
  });
  it('never offers to compress with an 8-bit window', () => {
    expect(offerPerMessageDeflate({ clientMaxWindowBits: 8 })).toBe(`${PMD}; client_max_window_bits=9`);
  });
  it('is understood by our own server', () => {
    const offer = offerPerMessageDeflate({ serverMaxWindowBits: 12, clientMaxWindowBits: 11 });
    expect(answer(offer)).toBe(`${PMD}; server_max_window_bits=12; client_max_window_bits=11`);
  });
});

/** Client validation: response header in, agreed parameters out (or a thrown error). */
function validate(response: string, config?: PerMessageDeflateConfig) {
  return validatePerMessageDeflateResponse(parseExtensionHeader(response), config);
}

describe('validatePerMessageDeflateResponse (client role)', () => {
  const defaults = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
  const accepted: { name: string; response: string; config?: PerMessageDeflateConfig; expect: unknown }[] = [
    { name: 'server declined', response: '', expect: undefined },
    { name: 'plain acceptance', response: PMD, expect: defaults },
    { name: 'server_no_context_takeover not asked for is fine', response: `${PMD}; server_no_context_takeover`, expect: { ...defaults, serverNoContextTakeover: true } },
    { name: 'client_no_context_takeover imposed', response: `${PMD}; client_no_context_takeover`, expect: { ...defaults, clientNoContextTakeover: true } },
    { name: 'server_max_window_bits not asked for is fine', response: `${PMD}; server_max_window_bits=8`, expect: { ...defaults, serverMaxWindowBits: 8 } },
    { name: 'server_max_window_bits smaller than asked', response: `${PMD}; server_max_window_bits=9`, config: { serverMaxWindowBits: 12 }, expect: { ...defaults, serverMaxWindowBits: 9 } },
    { name: 'server ignored our server_max_window_bits wish', response: PMD, config: { serverMaxWindowBits: 12 }, expect: defaults },
    { name: 'server ignored our server_no_context_takeover wish', response: PMD, config: { serverNoContextTakeover: true }, expect: defaults },
    { name: 'client_max_window_bits answered', response: `${PMD}; client_max_window_bits=10`, expect: { ...defaults, clientMaxWindowBits: 10 } },
    { name: 'client_max_window_bits not answered → our offered limit', response: PMD, config: { clientMaxWindowBits: 11 }, expect: { ...defaults, clientMaxWindowBits: 11 } },
    { name: 'our client_no_context_takeover promise is kept', response: PMD, config: { clientNoContextTakeover: true }, expect: { ...defaults, clientNoContextTakeover: true } },
    { name: 'quoted values', response: `${PMD}; server_max_window_bits="10"`, expect: { ...defaults, serverMaxWindowBits: 10 } },
  ];
  for (const v of accepted) {
    it(`accepts: ${v.name}`, () => {
      expect(validate(v.response, v.config)).toEqual(v.expect);
    });
  }

  const failing: { name: string; response: string; config?: PerMessageDeflateConfig }[] = [
    { name: 'an extension we did not offer', response: 'x-foo' },
    { name: 'an extension we did not offer, next to ours', response: `${PMD}, x-foo` },
    { name: 'permessage-deflate twice', response: `${PMD}, ${PMD}` },
    { name: 'unknown parameter', response: `${PMD}; foo=1` },
    { name: 'duplicated parameter', response: `${PMD}; client_no_context_takeover; client_no_context_takeover` },
    { name: 'client_max_window_bits without value', response: `${PMD}; client_max_window_bits` },
    { name: 'client_max_window_bits larger than offered', response: `${PMD}; client_max_window_bits=12`, config: { clientMaxWindowBits: 11 } },
    { name: 'client_max_window_bits=8 (zlib cannot compress with it)', response: `${PMD}; client_max_window_bits=8` },
    { name: 'server_max_window_bits larger than offered', response: `${PMD}; server_max_window_bits=13`, config: { serverMaxWindowBits: 12 } },
    { name: 'server_max_window_bits without value', response: `${PMD}; server_max_window_bits` },
    { name: 'server_max_window_bits out of range', response: `${PMD}; server_max_window_bits=16` },
    { name: 'no_context_takeover with value', response: `${PMD}; server_no_context_takeover="x"` },
  ];
  for (const v of failing) {
    it(`fails: ${v.name}`, () => {
      let caught: unknown;
      try {
        validate(v.response, v.config);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ExtensionNegotiationError);
      expect((caught as ExtensionNegotiationError).code).toBe(ErrorCodes.ExtensionNegotiationFailed);
    });
  }

  it('round-trips with our own server for every config combination', () => {
    const bits = [undefined, 9, 12, 15];
    for (const serverNoContextTakeover of [false, true])
      for (const clientNoContextTakeover of [false, true])
        for (const serverMaxWindowBits of bits)
          for (const clientMaxWindowBits of bits) {
            const config = { serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits, clientMaxWindowBits };
            const accepted = acceptPerMessageDeflate(parseExtensionHeader(offerPerMessageDeflate(config)));
            expect(accepted).toBeDefined();
            const agreed = validate(accepted?.header ?? '', config);
            expect(agreed).toEqual(accepted?.params);
            expect(agreed).toMatchObject({ serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits: serverMaxWindowBits ?? 15, clientMaxWindowBits: clientMaxWindowBits ?? 15 });
          }
  });
});
