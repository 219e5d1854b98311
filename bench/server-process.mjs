/**
 * Child processes of a benchmark run: each server under test in its own process (started fresh
 * for every measurement), and the load generator in another.
 */
import { fork, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

/**
 * The servers compared. `protocol` says how the load generator talks to it: `ws` (upgrade and
 * frames) or `raw` (the same frame bytes over plain TCP, echoed unchanged).
 * @type {ReadonlyArray<{ id: string, label: string, protocol: 'ws' | 'raw', argv: string[] }>}
 */
export const SERVERS = Object.freeze([
  { id: 'tandem', label: 'Tandem', protocol: 'ws', argv: ['bin/tandem.mjs', 'echo', '--port', '0', '--host', '127.0.0.1'] },
  { id: 'ws', label: 'ws 8 + native helpers', protocol: 'ws', argv: ['bench/servers/ws-echo.mjs', '--port', '0'] },
  { id: 'raw', label: 'raw TCP echo', protocol: 'raw', argv: ['bench/servers/raw-tcp-echo.mjs', '--port', '0'] },
]);

/** Why Tandem's echo server cannot run yet, or null when its files are in place. */
export function tandemMissing() {
  for (const file of ['bin/tandem.mjs', 'dist/cli.js']) {
    if (!existsSync(new URL(file, `file://${ROOT}`))) return `${file} missing`;
  }
  return null;
}

/**
 * Start a server and wait for its `listening <port>` line.
 * @param {(typeof SERVERS)[number]} server
 * @returns {Promise<{ pid: number, port: number, stop: () => Promise<void> }>}
 */
export function startServer(server) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, server.argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let stderr = '';
    const timer = setTimeout(() => fail(new Error(`${server.id}: no "listening <port>" in ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    const fail = (err) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.stderr.on('data', (d) => {
      stderr = (stderr + d).slice(-2000);
    });
    child.on('error', fail);
    child.on('exit', (code, signal) => fail(new Error(`${server.id} exited (${code ?? signal}): ${errorLine(stderr)}`)));
    child.stdout.on('data', (d) => {
      output += d;
      const match = /^listening (\d+)\s*$/m.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.stdout.removeAllListeners('data');
      child.stdout.resume();
      resolve({ pid: child.pid, port: Number(match[1]), stop: () => stopChild(child) });
    });
  });
}

/** The line of a crashed child's stderr that names the error (Node prints the stack after it). */
function errorLine(stderr) {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^(\w*Error|tandem:)/.test(l)) ?? lines.at(-1) ?? 'no output';
}

/** SIGTERM, then SIGKILL if the child has not exited in time. */
function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Run one job in a fresh load-generator process.
 * @param {object} job see bench/loadgen.mjs
 * @param {number} timeoutMs
 */
export function runLoad(job, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('loadgen.mjs', import.meta.url), [], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`load generator timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('message', (reply) => {
      clearTimeout(timer);
      if (reply.ok) resolve(reply.result);
      else reject(new Error(reply.error));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`load generator exited (${code}) without an answer`));
    });
    child.send(job);
  });
}
