/**
 * `pkguard serve [--config FILE]`. Exit codes: 0 stopped cleanly (SIGTERM/SIGINT), 2 bad config or
 * usage, 69 the port cannot be bound (EX_UNAVAILABLE), 74 the journal cannot be opened (EX_IOERR),
 * 1 the lexicons were refused.
 */
import { pino } from 'pino';
import { LexiconError } from '../errors.js';
import { JournalError } from '../journal/journal.js';
import { ConfigError, loadConfig, resolveTokens } from '../config.js';
import { startServer } from '../service.js';

export async function runServe(configFile: string | undefined): Promise<number> {
  let config;
  let tokens;
  try {
    config = loadConfig(configFile);
    tokens = resolveTokens(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`pkguard serve: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const log = pino({ level: config.logLevel, base: { pid: process.pid } }, pino.destination({ sync: false }));
  let server;
  try {
    server = await startServer(config, tokens.tokens, log);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const exit = err instanceof LexiconError ? 1 : err instanceof JournalError ? 74 : code === 'EADDRINUSE' || code === 'EACCES' ? 69 : 70;
    log.fatal({ event: 'start_failed', err: (err as Error).message, code }, 'pkguard serve could not start');
    log.flush();
    process.stderr.write(`pkguard serve: ${(err as Error).message}\n`);
    return exit;
  }
  if (tokens.generated) {
    const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    process.stderr.write(
      [
        '',
        `pkguard: generated access tokens (kept in ${tokens.file}; shown only this once):`,
        `  ingest     ${tokens.tokens.ingest[0]}`,
        `  moderator  ${tokens.tokens.moderator[0]}`,
        `  control    ${tokens.tokens.control[0]}`,
        `  console    http://${host}:${server.port}/?token=${tokens.tokens.moderator[0]}`,
        '',
      ].join('\n') + '\n',
    );
  }
  process.on('SIGHUP', () => void server.reload('SIGHUP'));
  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      log.info({ event: 'signal', signal }, 'draining');
      server.close().then(
        () => {
          log.flush();
          resolve(0);
        },
        (err: unknown) => {
          log.error({ event: 'close_failed', err: (err as Error).message }, 'close failed');
          log.flush();
          resolve(70);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
