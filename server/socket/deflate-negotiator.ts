/**
 * The `perMessageDeflate` server option, built on the handshake's `negotiateExtensions` seam:
 * it parses the client's `Sec-WebSocket-Extensions` offers, accepts the first permessage-deflate
 * offer the configuration can honour (RFC 7692 §5) and gives the connection its
 * {@link PerMessageDeflate} codec. One {@link ConcurrencyLimiter} serves every connection of the
 * server, so a crowd compressing at once queues instead of exhausting libuv's thread pool.
 */
import { ErrorCodes } from '../../src/errors.js';
import { parseExtensionHeader } from '../../src/rfc6455/extension-header.js';
import type { Extension } from '../../src/rfc6455/extension-header.js';
import { acceptPerMessageDeflate } from '../../src/rfc6455/permessage-deflate-params.js';
import { refusal } from './handshake.js';
import type { ExtensionAgreement, HandshakeRefusal, NegotiateExtensions } from './handshake.js';
import { ConcurrencyLimiter, PerMessageDeflate, resolvePerMessageDeflateOptions } from '../../node/permessage-deflate.js';
import type { PerMessageDeflateOptions, ResolvedPerMessageDeflateOptions } from '../../node/permessage-deflate.js';
import type { MessageCodec } from '../../node/message-codec-queue.js';

/** An enabled `perMessageDeflate` option: the handshake hook and the limiter it shares. */
export interface DeflateNegotiator {
  /** Plug into `HandshakeOptions.negotiateExtensions`. */
  readonly negotiate: NegotiateExtensions;
  /** The zlib job limiter shared by every connection of this server (`active`/`pending` for metrics). */
  readonly limiter: ConcurrencyLimiter;
  /** The options with every default applied. */
  readonly options: ResolvedPerMessageDeflateOptions;
  /** Bytes in and out of every connection's compressor and decompressor (metrics). */
  readonly totals: DeflateTotals;
}

/** Byte totals of permessage-deflate over every connection of a server. */
export interface DeflateTotals {
  deflatedIn: number;
  deflatedOut: number;
  inflatedIn: number;
  inflatedOut: number;
}

/** `codec` counting its bytes into `totals` (one shared object: no per-connection bookkeeping). */
function counted(codec: PerMessageDeflate, totals: DeflateTotals): MessageCodec {
  return {
    threshold: codec.threshold,
    compress: (data, fin) =>
      codec.compress(data, fin).then((out) => {
        totals.deflatedIn += data.byteLength;
        totals.deflatedOut += out.byteLength;
        return out;
      }),
    decompress: (data, fin) =>
      codec.decompress(data, fin).then((out) => {
        totals.inflatedIn += data.byteLength;
        totals.inflatedOut += out.byteLength;
        return out;
      }),
    close: () => codec.close(),
  };
}

/**
 * Builds the server's permessage-deflate negotiation from its `perMessageDeflate` option;
 * `undefined` when the option is off (`false` or absent, the default). `maxPayload` is the
 * server's message limit, enforced on the inflated size.
 *
 * @throws {TandemError} `ERR_INVALID_ARGUMENT` on an out-of-range option.
 */
export function createDeflateNegotiator(
  option: boolean | PerMessageDeflateOptions | undefined,
  maxPayload: number,
): DeflateNegotiator | undefined {
  const options = resolvePerMessageDeflateOptions(option);
  if (options === undefined) return undefined;
  const limiter = new ConcurrencyLimiter(options.concurrency);
  const totals: DeflateTotals = { deflatedIn: 0, deflatedOut: 0, inflatedIn: 0, inflatedOut: 0 };
  const negotiate = (offer: string): ExtensionAgreement | HandshakeRefusal | undefined => {
    const offers = parseOffers(offer);
    // RFC 6455 §4.2.1 / §9.1: a header that is not a valid extension list is a bad request.
    if (offers === undefined) return refusal(400, 'Invalid Sec-WebSocket-Extensions header');
    const accepted = acceptPerMessageDeflate(offers, options);
    if (accepted === undefined) return undefined;
    const codec = new PerMessageDeflate({
      role: 'server',
      params: accepted.params,
      maxPayload,
      level: options.level,
      memLevel: options.memLevel,
      limiter,
      threshold: options.threshold,
    });
    return { header: accepted.header, codec: counted(codec, totals) };
  };
  return { negotiate, limiter, options, totals };
}

function parseOffers(offer: string): Extension[] | undefined {
  try {
    return parseExtensionHeader(offer);
  } catch (err) {
    if ((err as { code?: unknown }).code === ErrorCodes.InvalidExtensionHeader) return undefined;
    throw err;
  }
}
