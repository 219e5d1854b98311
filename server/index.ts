/** `tandem/server`: the Node server. */
export * from '../src/index.js';
