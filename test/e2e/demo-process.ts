/**
 * Runs demo/server.mjs as a real child process on a fixed port, so a test can kill it (SIGKILL:
 * no goodbye to the browsers) and start it again on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const DEMO = fileURLToPath(new URL('../../demo/server.mjs', import.meta.url));

/** A free loopback port (bound once, released, then reused by the demo). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** One demo server process. */
export class DemoProcess {
  #child: ChildProcess | undefined;
  output = '';

  /** `args` and `env` go to demo/server.mjs (e.g. `['--h2']`, `{ TANDEM_WS_H2: '0' }`). */
  constructor(
    readonly port: number,
    readonly options: { readonly args?: readonly string[]; readonly env?: Readonly<Record<string, string>> } = {},
  ) {}

  /** Start and wait for its "Tandem demo on …" line. */
  async start(): Promise<void> {
    const child = spawn(process.execPath, [DEMO, ...(this.options.args ?? [])], { env: { ...process.env, ...this.options.env, PORT: String(this.port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`demo did not start:\n${this.output}`)), 10_000);
      const onData = (chunk: Buffer): void => {
        this.output += chunk.toString();
        if (this.output.includes('Tandem demo on')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`demo exited with ${code}:\n${this.output}`));
      });
    });
  }

  /** SIGKILL: the TCP connections die without close frames. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}
