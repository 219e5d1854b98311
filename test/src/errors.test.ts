import { describe, expect, it } from 'vitest';
import { CloseCodes, isFatalCloseCode, isValidWireCloseCode } from '../../src/close-codes.js';
import { ErrorCodes, ProtocolError, StateError, closeCodeOf, isProtocolError } from '../../src/errors.js';

describe('close codes', () => {
  it('accepts exactly the codes RFC 6455 §7.4 allows on the wire', () => {
    const allowed = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
    const refused = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535, 1000.5];
    for (const code of allowed) expect(isValidWireCloseCode(code), String(code)).toBe(true);
    for (const code of refused) expect(isValidWireCloseCode(code), String(code)).toBe(false);
  });

  it('names the do-not-come-back codes', () => {
    expect(isFatalCloseCode(CloseCodes.PolicyViolation)).toBe(true);
    expect(isFatalCloseCode(4400)).toBe(true);
    expect(isFatalCloseCode(4499)).toBe(true);
    expect(isFatalCloseCode(4500)).toBe(false);
    expect(isFatalCloseCode(CloseCodes.ServiceRestart)).toBe(false);
  });
});

describe('errors', () => {
  it('ProtocolError carries code and closeCode, found without instanceof', () => {
    const err = new ProtocolError(ErrorCodes.InvalidUtf8, 'bad text', CloseCodes.InvalidPayload);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('ProtocolError');
    expect(err.code).toBe('ERR_INVALID_UTF8');
    expect(closeCodeOf(err)).toBe(1007);
    // a structurally identical object from another module copy
    expect(isProtocolError({ isProtocolError: true, closeCode: 1002 })).toBe(true);
    expect(closeCodeOf(new StateError('closed'))).toBeUndefined();
    expect(new StateError('closed').code).toBe('ERR_INVALID_STATE');
  });
});

describe('the error-code tables of the docs', () => {
  it('README lists every ErrorCodes and RequestErrorCodes value; docs/protocol.md every error-envelope code', async () => {
    const { readFileSync } = await import('node:fs');
    const { RequestErrorCodes } = await import('../../src/requests.js');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const protocol = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
    const missing = [...Object.values(ErrorCodes), ...Object.values(RequestErrorCodes)].filter((code) => !readme.includes(`\`${code}\``));
    expect(missing).toEqual([]);
    expect(Object.values(RequestErrorCodes).filter((code) => !protocol.includes(`| \`${code}\` |`))).toEqual([]);
  });
});

describe('every error Tandem throws has a string code', () => {
  it('internal invariants and the CLI usage error too', async () => {
    const { assertNever } = await import('../../src/assert-never.js');
    const { ByteQueue } = await import('../../src/rfc6455/byte-queue.js');
    const { UsageError, parseEchoArgs } = await import('../../server/tools/cli.js');
    expect(() => assertNever('x' as never)).toThrow(expect.objectContaining({ code: 'ERR_UNREACHABLE' }));
    expect(() => new ByteQueue().byteAt(0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => parseEchoArgs([])).toThrow(expect.objectContaining({ code: 'ERR_USAGE' }));
    expect(new UsageError('x').code).toBe('ERR_USAGE');
  });
});
