/**
 * Worker thread entry: loads and compiles a lexicon directory off the main thread (compiling the
 * bundled lexicons takes seconds; the event loop must keep serving meanwhile) and posts the
 * compiled lexicon back. It goes through the artifact store: a fresh artifact is loaded instead of
 * compiling, and a compile refreshes the artifact. The result is plain data (typed arrays, numbers,
 * strings), so a structured clone carries it whole; `reviveCompiled` gives the automaton its
 * prototype back. What happened to the artifact travels with the reply, for the server's log.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LexiconError } from '../errors.js';
import { openCompiledLexicon, type ArtifactEvent } from './artifact-store.js';

export interface CompileRequest {
  lexiconDir: string | undefined;
  artifact: string | false | undefined;
}

const { lexiconDir, artifact } = workerData as CompileRequest;
const events: ArtifactEvent[] = [];
try {
  const { lexicon: compiled } = await openCompiledLexicon({ lexiconDir, artifact, log: (e) => events.push(e) });
  parentPort!.postMessage({ ok: true, compiled, events });
} catch (err) {
  const problems = err instanceof LexiconError ? err.problems.slice(0, 20) : [];
  parentPort!.postMessage({ ok: false, message: (err as Error).message, problems, events });
}
