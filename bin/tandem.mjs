#!/usr/bin/env node
// Thin launcher of the built CLI (server/tools/cli.ts → dist/cli.js); `npm run build` creates it.
let cli;
try {
  cli = await import('../dist/cli.js');
} catch (err) {
  process.stderr.write(`tandem: cannot load dist/cli.js (${err.message}); run "npm run build" first\n`);
  process.exit(1);
}
await cli.run(process.argv.slice(2));
