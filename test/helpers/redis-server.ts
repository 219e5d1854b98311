/**
 * A real `redis-server` for the cluster tests: on a free loopback port, no persistence
 * (`--save "" --appendonly no`), started and stopped by PID. `restart()` kills it and starts a
 * fresh one on the same port (all data lost, as after a crash without persistence); `pause()` /
 * `resume()` send SIGSTOP / SIGCONT (a Redis that accepts connections but answers nothing).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

const REDIS_BIN = process.env.TANDEM_REDIS_SERVER ?? 'redis-server';
const START_TIMEOUT_MS = 10_000;
const running = new Set<RedisServer>();

/** A free TCP port on 127.0.0.1 (bound and released; redis-server takes it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** One redis-server process (and its successors after restarts) on a fixed port. */
export class RedisServer {
  #child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  /** Start a redis-server on a free port. */
  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    running.add(server);
    await server.#spawn();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Kill -9 and start again on the same port: Redis comes back empty. */
  async restart(downMs = 0): Promise<void> {
    await this.#kill();
    if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.#spawn();
  }

  /** SIGSTOP: connections stay open, nothing is answered. */
  pause(): void {
    this.#child?.kill('SIGSTOP');
  }

  /** SIGCONT after {@link RedisServer.pause}. */
  resume(): void {
    this.#child?.kill('SIGCONT');
  }

  /** Stop it for good. */
  async stop(): Promise<void> {
    running.delete(this);
    await this.#kill();
  }

  async #kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGCONT'); // a paused process cannot act on anything else
    child.kill('SIGKILL');
    await exited;
  }

  #spawn(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'];
    const child = spawn(REDIS_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    return new Promise((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => fail(new Error(`redis-server: not ready within ${START_TIMEOUT_MS} ms: ${output.slice(-500)}`)), START_TIMEOUT_MS);
      const fail = (err: Error) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(err);
      };
      child.once('error', (err) => fail(new Error(`cannot run ${REDIS_BIN} (apt-get install -y redis-server): ${err.message}`)));
      child.once('exit', (code, signal) => fail(new Error(`redis-server exited (${code ?? signal}): ${output.slice(-500)}`)));
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (!output.includes('Ready to accept connections')) return;
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume();
        resolve();
      });
      child.stderr!.resume();
    });
  }
}

/** Stop every redis-server this module started (afterAll). */
export async function stopAllRedis(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()));
}
