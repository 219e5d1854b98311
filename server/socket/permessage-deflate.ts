/**
 * The server's permessage-deflate, as `tandem/server` exports it. The codec itself lives in
 * node/ (node:zlib code shared with the Node client, which may not import server/).
 */
export {
  ConcurrencyLimiter,
  DEFAULTS,
  PerMessageDeflate,
  defaultLimiter,
  resolvePerMessageDeflateOptions,
} from '../../node/permessage-deflate.js';
export type {
  PerMessageDeflateInit,
  PerMessageDeflateOptions,
  PerMessageDeflateStats,
  ResolvedPerMessageDeflateOptions,
} from '../../node/permessage-deflate.js';
