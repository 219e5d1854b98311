/** The whole conformance suite against the echo server started in-process from server/ source. */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { listenEcho, stopAll } from '../helpers/servers.js';
import { runCase } from './cases.js';
import { ALL_SECTIONS } from './sections/index.js';

let port = 0;
beforeAll(async () => {
  ({ port } = await listenEcho());
});
afterAll(stopAll);

for (const [name, cases] of ALL_SECTIONS) {
  describe(`Autobahn section ${name}`, () => {
    for (const testCase of cases) it(`${testCase.id} ${testCase.title}`, { timeout: 30_000 }, () => runCase(port, testCase));
  });
}
