/**
 * The CLI's help text: one summary of every command (`pkguard --help`, and on stderr after a usage
 * error) and a page per command (`pkguard <command> --help`, `pkguard help <command>`). Kept apart
 * from main.ts so the summary and the pages are written side by side and cannot disagree.
 */

/** Every command with its flags, one line each; `pkguard --help` prints it. */
export const USAGE = `usage: pkguard <command> [options]

commands:
  pkguard scan [FILE] [--lexicons DIR] [--artifact FILE] [--workers N]
      NDJSON {"id","text","kind"?,"stream"?} per line (FILE or stdin) -> {"id","flags"} per line
  pkguard serve [--config FILE]
      the live server: WebSocket /ingest and /feed, console at /, /healthz, /metrics (port 8080)
  pkguard lexicon check [DIR] [--json]
      validate lexicons and explain mistakes with file:line (default: the bundled lexicons)
  pkguard lexicon compile [--lexicons DIR] [--out FILE]
      compile lexicons into the artifact that scan and serve load at start (default: the cache folder)
  pkguard replay FILE [--speed N|max] [--url ws://HOST:PORT] [--token TOKEN] [--batch N]
      send a recorded NDJSON session to a running server
  pkguard backtest --journal DIR --lexicons DIR [--report FILE.html] [--json FILE] [--workers N]
      what a candidate lexicon would have flagged on a server's recorded messages
  pkguard ingest [FILE] [--url ws://HOST:PORT] [--token TOKEN] [--window N] [--batch N] [--timeout S] [--quiet]
      send NDJSON ingest messages (FILE or stdin) to a running server; exit 0 only if all were acked
  pkguard help [COMMAND]
      this text, or one command's details (same as pkguard COMMAND --help)`;

const PAGES: Record<string, string> = {
  scan: `usage: pkguard scan [FILE] [--lexicons DIR] [--artifact FILE] [--workers N]

Reads NDJSON from FILE (or stdin, or "-"), one {"id","text","kind"?,"stream"?} per line, and writes
exactly one line per input line, in order: {"id","flags":[...]} or {"id","error"}.
Lines with the same "stream" are consecutive chunks of one stream; chat lines stand alone.

options:
  --lexicons DIR   lexicon folder to use instead of the bundled lexicons
  --artifact FILE  compiled lexicon artifact to load when fresh (else compile and rewrite it);
                   default: one per lexicon folder in $PKGUARD_CACHE_DIR, else ~/.cache/pkguard
  --workers N      scan on N worker threads (default 0: on the main thread); the same bytes out

exit: 0 input read (even with error lines), 1 input unreadable or lexicons refused, 2 usage`,
  serve: `usage: pkguard serve [--config FILE]

Runs the live server on one HTTP port: WebSocket /ingest and /feed, the moderator console at /,
GET /healthz and GET /metrics. Without a config: port 8080, bundled lexicons, a journal in ./data
and access tokens generated into ./data/tokens.json (printed on the first start that succeeds).
SIGHUP reloads the lexicons; SIGTERM or SIGINT drains and stops.

options:
  --config FILE    JSON config (port, host, tokens, journal, lexicons, escalation, limits, cluster)

environment:
  PKGUARD_PORT     overrides the port

exit: 0 stopped cleanly, 1 lexicons refused, 2 bad config or usage, 69 port unavailable,
      74 journal unusable, 70 a bug`,
  lexicon: `usage: pkguard lexicon check [DIR] [--json]
       pkguard lexicon compile [--lexicons DIR] [--out FILE]

Validates every *.tsv lexicon in DIR (default: the bundled lexicons) and explains each mistake
with file:line; warns about duplicates, single-character terms and allow phrases that shadow a term.

options:
  --json           print the report as JSON

compile writes the compiled lexicon (automaton, fold tables) as a versioned, checksummed artifact,
keyed by the lexicon files' contents and the pkguard build. scan and serve load it at start when it
matches (else they compile and rewrite it); a stale or damaged artifact is never used.
  --lexicons DIR   lexicon folder (default: the bundled lexicons)
  --out FILE       where to write it (default: one per lexicon folder in $PKGUARD_CACHE_DIR,
                   else $XDG_CACHE_HOME/pkguard or ~/.cache/pkguard, else the temp dir)

exit: 0 valid (warnings allowed) / written, 1 refused, 73 the artifact could not be written`,
  backtest: `usage: pkguard backtest --journal DIR --lexicons DIR [--report FILE.html] [--json FILE]
                        [--examples N] [--workers N] [--progress|--no-progress]

Replays the messages a server journaled (journal.dir) through a candidate lexicon folder, each
stream's final transcript chunks in order with their cross-chunk carry and chat on its own, and
compares with the flags the live lexicon raised: flags gained and lost per category and per term,
with examples, and how many flags moderators dismissed (known false positives) the candidate drops
or keeps. The journal is only read; a running server's journal can be backtested.
Unless the server ran with journal.keepChatText, the journal keeps unflagged chat without its
text: the summary says "chat not replayable: N messages" (counted, not rescanned). The candidate
is compiled once and its artifact cached; later runs on the same folder load it.

options:
  --journal DIR      the journal directory to read
  --lexicons DIR     the candidate lexicon folder
  --report FILE      also write an HTML report (chart, terms with examples)
  --json FILE        also write the full result as JSON
  --examples N       examples kept per term and direction (default 3)
  --workers N|auto   threads the streams are sharded across (default auto: the cores, at most 4,
                     for a journal of 32 MB or more, else 1)
  --progress         a progress bar on stderr (default when stderr is a terminal)

exit: 0 compared, 1 journal unreadable or lexicons refused, 2 usage`,
  replay: `usage: pkguard replay FILE [--speed N|max] [--url ws://HOST:PORT] [--token TOKEN] [--batch N]

Sends a recorded NDJSON session (ingest messages with event-time "ts") to a running server at the
recorded pace, and prints a JSON summary line (plus a line per shutdown signal).

options:
  --speed N|max    N times the recorded pace, or as fast as acks allow (default 1)
  --url URL        the server (default ws://127.0.0.1:$PKGUARD_PORT, else ws://127.0.0.1:8080)
  --token TOKEN    an ingest token (default $PKGUARD_TOKEN, else the ingest token in ./data/tokens.json)
  --batch N        most messages per frame (default 500; frames fill as acks allow)
  --window N       messages unacked at once (default 1000)
  --timeout S      how long to wait for the last acks (default 30)
  --progress       a progress line on stderr

It runs on the same client as pkguard ingest: a lost connection is reopened and every unacked
message sent again (the server dedupes); stdout also gets a line per refused or unacked message.

exit: 0 every message acked, 1 some refused or unanswered, 2 usage or an unreadable file,
      3 no connection (token refused, server unreachable)`,
  ingest: `usage: pkguard ingest [FILE] [--url ws://HOST:PORT] [--token TOKEN] [--window N] [--batch N] [--timeout S] [--quiet]

Sends NDJSON ingest messages (DESIGN.md's wire shapes, one per line) from FILE (or stdin, or "-")
to a running server's /ingest, as fast as acks allow, through the reconnecting IngestClient: a
lost connection is reopened with backoff and every unacked message sent again (the server dedupes).

stdout, one JSON line each:
  {"type":"shutdown","stream","reason","epoch","flagIds"}   a stream was shut down
  {"type":"refused","line","stream","seq","code","error"}   a line refused for good (bad JSON, bad field)
  {"type":"unacked","line","stream","seq","reason"}        a line given up without an ack
  {"type":"summary","sent","acked","duplicates","refused","unanswered","shutdowns","reconnects","resent","seconds"}
stderr: a progress line (sent, acked, rate, refused, unacked, reconnects).

options:
  --url URL        the server (default ws://127.0.0.1:$PKGUARD_PORT, else ws://127.0.0.1:8080)
  --token TOKEN    an ingest token (default $PKGUARD_TOKEN, else the ingest token in ./data/tokens.json)
  --window N       messages unacked at once (default 1000)
  --batch N        most messages per frame (default 500)
  --timeout S      how long to wait for the last acks at the end (default 30)
  --quiet          no progress line

exit: 0 every message acked, 1 some refused or not acked, 2 usage or unreadable input,
      3 no connection (token refused, server unreachable)`,
};
PAGES.help = USAGE;

/** The help page of `command` (`lexicon check` is under `lexicon`), or undefined for an unknown one. */
export function commandHelp(command: string): string | undefined {
  return Object.hasOwn(PAGES, command) ? PAGES[command] : undefined;
}

/** `-h` or `--help` anywhere in a command's arguments asks for its page. */
export function wantsHelp(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}
