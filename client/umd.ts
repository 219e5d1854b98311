/**
 * The UMD bundle's entry (global `Tandem`): what a `<script>`-tag user needs, and nothing that
 * would keep unused code alive. Everything exported here survives tree-shaking, so the full
 * `tandem/client` entry (type helpers, `ErrorCodes`, codecs, defaults) stays an npm-only import.
 */
export { createClient } from './client.js';
export { QueueFullError } from './queue.js';
export { CloseCodes, isFatalCloseCode } from '../src/close-codes.js';
export { ProtocolError, StateError, TandemError, closeCodeOf, isProtocolError } from '../src/errors.js';
export { DisconnectedError, RequestError, isRequestError } from '../src/requests.js';
export { PayloadValidationError } from '../src/validate.js';
