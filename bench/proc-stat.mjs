/**
 * Reading a process's CPU time and memory from Linux /proc.
 *
 * The benchmark's fair figure on a 2-core machine is server CPU per message, so it is read
 * from the kernel's own accounting rather than estimated from wall time.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second for utime/stime in /proc/<pid>/stat (`getconf CLK_TCK`, usually 100). */
export const CLK_TCK = readClockTicks();

function readClockTicks() {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

/**
 * CPU time of a whole process (all its threads: JS, GC helpers, libuv pool), in clock ticks.
 * @param {number | 'self'} pid
 * @returns {number} utime + stime
 */
export function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // proc(5): field 2 (comm) is parenthesised and may contain spaces, so count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After comm, field 3 (state) is index 0, so utime (14) is index 11 and stime (15) index 12.
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * Resident set size of a process, in bytes (VmRSS from /proc/<pid>/status).
 * @param {number | 'self'} pid
 * @returns {number}
 */
export function rssBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/**
 * Soft limit on open files of a process (from /proc/<pid>/limits).
 * @param {number | 'self'} pid
 * @returns {number} Infinity when unlimited
 */
export function openFilesLimit(pid) {
  const limits = readFileSync(`/proc/${pid}/limits`, 'latin1');
  const match = /^Max open files\s+(\S+)/m.exec(limits);
  if (!match || match[1] === 'unlimited') return Infinity;
  return Number(match[1]);
}
