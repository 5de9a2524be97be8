/**
 * Compiles a lexicon directory in a worker thread, for hot reload: the running scanner keeps
 * serving with its current lexicon until the new one is complete, then swaps it in one assignment.
 */
import { Worker } from 'node:worker_threads';
import { LexiconError, PkguardError, type LexiconProblem } from '../errors.js';
import { Automaton } from '../match/automaton.js';
import type { ArtifactEvent } from './artifact-store.js';
import type { CompiledLexicon } from './compile.js';

type WorkerReply = ({ ok: true; compiled: CompiledLexicon } | { ok: false; message: string; problems: LexiconProblem[] }) & { events?: ArtifactEvent[] };

export interface CompileInWorkerOptions {
  /** The artifact to load when fresh and refresh otherwise (see artifact-store.ts); default the cache folder's, false none. */
  artifact?: string | false;
  /** What happened to the artifact (loaded, rejected and why, written). */
  onArtifact?: (event: ArtifactEvent) => void;
}

export function compileInWorker(lexiconDir: string | undefined, options: CompileInWorkerOptions = {}): Promise<CompiledLexicon> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./compile-worker.js', import.meta.url), { workerData: { lexiconDir, artifact: options.artifact } });
    let settled = false;
    worker.once('message', (reply: WorkerReply) => {
      settled = true;
      for (const e of reply.events ?? []) options.onArtifact?.(e);
      if (reply.ok) resolve(reviveCompiled(reply.compiled));
      else reject(reply.problems.length > 0 ? new LexiconError(reply.problems) : new PkguardError('PKG_ERR_LEXICON_COMPILE', reply.message));
      void worker.terminate();
    });
    worker.once('error', (err) => {
      if (!settled) reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new PkguardError('PKG_ERR_LEXICON_COMPILE', `compile worker exited with code ${code}`));
    });
  });
}

/** A structured-cloned compiled lexicon, with its automaton made an `Automaton` again. */
export function reviveCompiled(data: CompiledLexicon): CompiledLexicon {
  Object.setPrototypeOf(data.automaton, Automaton.prototype);
  Object.freeze(data.automaton);
  return data;
}
