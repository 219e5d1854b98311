/** `tandem/client`: the browser client. */
export * from '../src/index.js';
