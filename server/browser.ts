/** The `browser` condition of `tandem/server`: the server needs Node, so importing it in a bundle fails loudly. */
throw Object.assign(new Error('tandem/server runs on Node.js only; in the browser import "tandem/client".'), { code: 'ERR_NODE_ONLY' });
