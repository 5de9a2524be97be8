/**
 * The core's events as pino log lines (one schema for the embedded node and every cluster
 * partition; `extra` adds e.g. the partition). Flags and levels at info, shutdowns and drops at warn.
 */
import type { Logger } from 'pino';
import type { CoreLog } from './message-step.js';

export function pinoCoreLog(log: Logger, extra: Record<string, unknown> = {}, on: Partial<Pick<CoreLog, 'journalFailed' | 'journalRecovered'>> = {}): CoreLog {
  return {
    flag: (f) => log.info({ event: 'flag', id: f.id, stream: f.stream, seq: f.seq, category: f.category, term: f.term, severity: f.severity, evasion: f.evasion, ...extra }, 'flag'),
    shutdown: (e) => log.warn({ event: 'shutdown', stream: e.stream, epoch: e.epoch, manual: e.manual, reason: e.reason, flagIds: e.flagIds, ...extra }, 'stream shutdown signal'),
    level: (e) => log.info({ event: 'level', stream: e.stream, level: e.level, risk: e.risk, ...extra }, 'stream level changed'),
    dropped: (stream, seq, dropped) => log.warn({ event: 'flags_dropped', stream, seq, dropped, ...extra }, 'flags over the per-message cap dropped'),
    journalFailed: (err) => {
      log.error({ event: 'log_write_failed', err: err.message, ...extra }, 'log write failed; refusing messages and rebuilding state from the log');
      on.journalFailed?.(err);
    },
    journalRecovered: () => {
      log.warn({ event: 'log_writable', ...extra }, 'log takes writes again; messages accepted');
      on.journalRecovered?.();
    },
  };
}
