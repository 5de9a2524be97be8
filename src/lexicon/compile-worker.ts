/**
 * Worker thread entry: loads and compiles a lexicon directory off the main thread (compiling the
 * bundled lexicons takes seconds; the event loop must keep serving meanwhile) and posts the
 * compiled lexicon back. It is plain data (typed arrays, numbers, strings), so a structured clone
 * carries it whole; `reviveCompiled` gives the automaton its prototype back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LexiconError } from '../errors.js';
import { compileLexicon } from './compile.js';
import { loadLexiconDir } from './load.js';

export interface CompileRequest {
  lexiconDir: string | undefined;
}

const { lexiconDir } = workerData as CompileRequest;
try {
  const compiled = compileLexicon(loadLexiconDir(lexiconDir));
  parentPort!.postMessage({ ok: true, compiled });
} catch (err) {
  const problems = err instanceof LexiconError ? err.problems.slice(0, 20) : [];
  parentPort!.postMessage({ ok: false, message: (err as Error).message, problems });
}
