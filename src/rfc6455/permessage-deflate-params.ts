/**
 * permessage-deflate negotiation (RFC 7692 §5, §7) over parsed extension lists: the server's
 * acceptance of an offer, the client's offer, and the client's check of the server's answer.
 *
 * Pure: values in, values out; window-bit limits follow what zlib can honour.
 */
import { ErrorCodes, TandemError } from '../errors.js';
import { formatExtension } from './extension-header.js';
import type { Extension, ExtensionParam } from './extension-header.js';

/** The extension token of RFC 7692 §7. */
export const PERMESSAGE_DEFLATE = 'permessage-deflate';

/**
 * What this end wants from permessage-deflate. Names are from the server's point of view in
 * both roles, as on the wire: `server*` governs the server's compressor, `client*` the client's.
 */
export interface PerMessageDeflateConfig {
  /** Ask for (server role: impose) no LZ77 context across the server's messages. @default false */
  readonly serverNoContextTakeover?: boolean | undefined;
  /** Ask for (server role: impose) no LZ77 context across the client's messages. @default false */
  readonly clientNoContextTakeover?: boolean | undefined;
  /** Largest LZ77 window (log2, 8-15) the server may compress with. @default 15 */
  readonly serverMaxWindowBits?: number | undefined;
  /** Largest LZ77 window (log2, 8-15) the client may compress with. @default 15 */
  readonly clientMaxWindowBits?: number | undefined;
}

/** The agreed parameters, with RFC 7692 defaults filled in (window bits 15 when not negotiated). */
export interface PerMessageDeflateParams {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  readonly serverMaxWindowBits: number;
  readonly clientMaxWindowBits: number;
}

/** A server's acceptance: the agreed parameters and the exact response header value. */
export interface PerMessageDeflateAcceptance {
  readonly params: PerMessageDeflateParams;
  /** Value for the response's `Sec-WebSocket-Extensions` header. */
  readonly header: string;
}

/** The server's response breaks RFC 7692 §7.1 or asks for something this end cannot do: fail the connection. */
export class ExtensionNegotiationError extends TandemError {
  constructor(message: string) {
    super(ErrorCodes.ExtensionNegotiationFailed, message);
  }
}

const MAX_WINDOW_BITS = 15;
/**
 * zlib's raw deflate has no 256-byte window (a request for 8 silently becomes 9), so this end
 * never promises to *compress* with 8 bits: such a request is declined (server) or fails
 * (client), and a configured 8 for our own compressor is treated as 9. Inflating is unaffected:
 * a larger window always decodes data made with a smaller one.
 */
const MIN_DEFLATE_WINDOW_BITS = 9;

// RFC 7692 §7.1.2.1: the value is a decimal integer 8-15 without leading zeros.
const WINDOW_BITS_VALUES: ReadonlyMap<string, number> = new Map(
  [8, 9, 10, 11, 12, 13, 14, 15].map((bits) => [String(bits), bits] as const),
);

/** Parameters of one permessage-deflate element, or `undefined` if they break RFC 7692 §7.1. */
interface DeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | undefined;
  /** `true`: offered without a value ("I support the parameter"). */
  clientMaxWindowBits: number | true | undefined;
}

/** Reads parameters; unknown, duplicated or ill-valued ones make the whole element invalid. */
function readDeflateParams(params: readonly ExtensionParam[], role: 'offer' | 'response'): DeflateParams | undefined {
  const out: DeflateParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: undefined,
    clientMaxWindowBits: undefined,
  };
  const seen = new Set<string>();
  for (const { name, value } of params) {
    // RFC 7692 §7.1: an element with two parameters of the same name is invalid.
    if (seen.has(name)) return undefined;
    seen.add(name);
    switch (name) {
      case 'server_no_context_takeover':
      case 'client_no_context_takeover':
        // RFC 7692 §7.1.1: these parameters have no value.
        if (value !== true) return undefined;
        if (name === 'server_no_context_takeover') out.serverNoContextTakeover = true;
        else out.clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits':
      case 'client_max_window_bits': {
        // RFC 7692 §7.1.2: a value 8-15; only client_max_window_bits in an offer may be bare.
        if (value === true && name === 'client_max_window_bits' && role === 'offer') {
          out.clientMaxWindowBits = true;
          break;
        }
        const bits = value === true ? undefined : WINDOW_BITS_VALUES.get(value);
        if (bits === undefined) return undefined;
        if (name === 'server_max_window_bits') out.serverMaxWindowBits = bits;
        else out.clientMaxWindowBits = bits;
        break;
      }
      default:
        // RFC 7692 §7.1: a parameter not defined for this extension.
        return undefined;
    }
  }
  return out;
}

/** Throws on a configuration value outside RFC 7692's range (local misuse, not a peer's fault). */
export function validatePerMessageDeflateConfig(config: PerMessageDeflateConfig): void {
  for (const key of ['serverMaxWindowBits', 'clientMaxWindowBits'] as const) {
    const bits = config[key];
    if (bits !== undefined && !(Number.isInteger(bits) && bits >= 8 && bits <= MAX_WINDOW_BITS)) {
      throw new TandemError(ErrorCodes.InvalidArgument, `perMessageDeflate.${key} must be an integer 8-15, got ${String(bits)}`);
    }
  }
}

function windowParam(name: string, bits: number): ExtensionParam {
  return { name, value: String(bits) };
}

/** Builds the response element (fixed parameter order, so the header is predictable). */
function acceptance(params: PerMessageDeflateParams, serverBits: number | undefined, clientBits: number | undefined): PerMessageDeflateAcceptance {
  const out: ExtensionParam[] = [];
  if (params.serverNoContextTakeover) out.push({ name: 'server_no_context_takeover', value: true });
  if (params.clientNoContextTakeover) out.push({ name: 'client_no_context_takeover', value: true });
  if (serverBits !== undefined) out.push(windowParam('server_max_window_bits', serverBits));
  if (clientBits !== undefined) out.push(windowParam('client_max_window_bits', clientBits));
  return { params, header: formatExtension({ name: PERMESSAGE_DEFLATE, params: out }) };
}

/** Server role: the answer to one valid offer, or `undefined` when the config cannot honour it. */
function acceptOffer(offer: DeflateParams, config: PerMessageDeflateConfig): PerMessageDeflateAcceptance | undefined {
  const ownBits = Math.max(config.serverMaxWindowBits ?? MAX_WINDOW_BITS, MIN_DEFLATE_WINDOW_BITS);
  let serverBits: number | undefined;
  if (offer.serverMaxWindowBits !== undefined) {
    // RFC 7692 §7.1.2.1: accepted by answering the same or a smaller value; zlib cannot do 8.
    if (offer.serverMaxWindowBits < MIN_DEFLATE_WINDOW_BITS) return undefined;
    serverBits = Math.min(offer.serverMaxWindowBits, ownBits);
  } else if (ownBits < MAX_WINDOW_BITS) {
    serverBits = ownBits;
  }
  let clientBits: number | undefined;
  const wanted = config.clientMaxWindowBits;
  if (offer.clientMaxWindowBits === undefined) {
    // RFC 7692 §7.1.2.2: client_max_window_bits may only be answered if offered, so a
    // configured limit below the default cannot be imposed on this offer.
    if (wanted !== undefined && wanted < MAX_WINDOW_BITS) return undefined;
  } else if (offer.clientMaxWindowBits === true) {
    clientBits = wanted;
  } else {
    // The client already limits itself; echoing (or lowering) lets our inflater use less memory.
    clientBits = Math.min(offer.clientMaxWindowBits, wanted ?? MAX_WINDOW_BITS);
  }
  const params: PerMessageDeflateParams = {
    // RFC 7692 §7.1.1: a server may always add either no_context_takeover parameter.
    serverNoContextTakeover: offer.serverNoContextTakeover || config.serverNoContextTakeover === true,
    clientNoContextTakeover: offer.clientNoContextTakeover || config.clientNoContextTakeover === true,
    serverMaxWindowBits: serverBits ?? MAX_WINDOW_BITS,
    clientMaxWindowBits: clientBits ?? MAX_WINDOW_BITS,
  };
  return acceptance(params, serverBits, clientBits);
}

/**
 * Server role (RFC 7692 §5): accepts the first permessage-deflate offer that is valid and that
 * `config` can honour; invalid offers (unknown or duplicated parameter, bad value) are declined
 * and the next one is tried. Other extensions are never accepted. `undefined`: no compression.
 */
export function acceptPerMessageDeflate(
  offers: readonly Extension[],
  config: PerMessageDeflateConfig = {},
): PerMessageDeflateAcceptance | undefined {
  validatePerMessageDeflateConfig(config);
  for (const offer of offers) {
    if (offer.name !== PERMESSAGE_DEFLATE) continue;
    const params = readDeflateParams(offer.params, 'offer');
    if (params === undefined) continue;
    const accepted = acceptOffer(params, config);
    if (accepted !== undefined) return accepted;
  }
  return undefined;
}

/** Client role: the `Sec-WebSocket-Extensions` request value offering permessage-deflate. */
export function offerPerMessageDeflate(config: PerMessageDeflateConfig = {}): string {
  validatePerMessageDeflateConfig(config);
  const params: ExtensionParam[] = [];
  if (config.serverNoContextTakeover === true) params.push({ name: 'server_no_context_takeover', value: true });
  if (config.clientNoContextTakeover === true) params.push({ name: 'client_no_context_takeover', value: true });
  if (config.serverMaxWindowBits !== undefined) params.push(windowParam('server_max_window_bits', config.serverMaxWindowBits));
  // Always offered: it tells the server we can honour any window limit it picks (RFC 7692 §7.1.2.2).
  const ownBits = config.clientMaxWindowBits;
  params.push(
    ownBits === undefined
      ? { name: 'client_max_window_bits', value: true }
      : windowParam('client_max_window_bits', Math.max(ownBits, MIN_DEFLATE_WINDOW_BITS)),
  );
  return formatExtension({ name: PERMESSAGE_DEFLATE, params });
}

/**
 * Client role (RFC 7692 §5, §7.1): checks the server's response to {@link offerPerMessageDeflate}
 * with the same `config`. `undefined`: the server declined, no compression. A server ignoring
 * one of our wishes about *its* compressor is accepted (we can inflate anything); a response we
 * did not offer or cannot honour throws.
 *
 * @throws {ExtensionNegotiationError}
 */
export function validatePerMessageDeflateResponse(
  response: readonly Extension[],
  config: PerMessageDeflateConfig = {},
): PerMessageDeflateParams | undefined {
  validatePerMessageDeflateConfig(config);
  // RFC 6455 §4.1: the server may only use extensions the client offered.
  const unknown = response.find((ext) => ext.name !== PERMESSAGE_DEFLATE);
  if (unknown !== undefined) throw new ExtensionNegotiationError(`Server accepted extension "${unknown.name}" that was not offered`);
  const [accepted, ...extra] = response;
  if (accepted === undefined) return undefined;
  // RFC 7692 §5: we made one offer, so at most one element can answer it.
  if (extra.length > 0) throw new ExtensionNegotiationError('Server accepted permessage-deflate more than once');
  const params = readDeflateParams(accepted.params, 'response');
  if (params === undefined) throw new ExtensionNegotiationError('Invalid permessage-deflate response parameters');
  const offeredServerBits = config.serverMaxWindowBits;
  if (offeredServerBits !== undefined && params.serverMaxWindowBits !== undefined && params.serverMaxWindowBits > offeredServerBits) {
    throw new ExtensionNegotiationError('server_max_window_bits is larger than offered');
  }
  const offeredClientBits = config.clientMaxWindowBits === undefined ? MAX_WINDOW_BITS : Math.max(config.clientMaxWindowBits, MIN_DEFLATE_WINDOW_BITS);
  const clientBits = params.clientMaxWindowBits === true ? undefined : params.clientMaxWindowBits;
  if (clientBits !== undefined && clientBits > offeredClientBits) {
    throw new ExtensionNegotiationError('client_max_window_bits is larger than offered');
  }
  if (clientBits !== undefined && clientBits < MIN_DEFLATE_WINDOW_BITS) {
    throw new ExtensionNegotiationError('client_max_window_bits=8 cannot be honoured (zlib has no 256-byte deflate window)');
  }
  return {
    serverNoContextTakeover: params.serverNoContextTakeover,
    // We promised it in the offer, so keep it even if the server did not echo it.
    clientNoContextTakeover: params.clientNoContextTakeover || config.clientNoContextTakeover === true,
    serverMaxWindowBits: params.serverMaxWindowBits ?? MAX_WINDOW_BITS,
    clientMaxWindowBits: clientBits ?? offeredClientBits,
  };
}
