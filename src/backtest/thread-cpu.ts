/**
 * CPU seconds the calling thread has used, where the platform tells (Linux: /proc/thread-self/stat,
 * 10 ms ticks); undefined elsewhere. A backtest reports it per thread, so a run on a busy machine
 * still shows how the work was split and how long each thread would take on free cores
 * (process.cpuUsage() sums every thread; Node 20 has no per-thread call).
 */
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

export function threadCpuSeconds(): number | undefined {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'latin1');
    // Fields after the command name (which may hold spaces, in parentheses): state is field 3, utime 14, stime 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]);
    return Number.isFinite(ticks) ? ticks / TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}
