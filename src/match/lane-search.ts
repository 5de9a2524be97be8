/**
 * What the scan kernel (Normalizer.normalize, normalizer.ts) searches with while it folds: the
 * automaton, the composed fold/class tables, where each lane's matches go and each lane's search
 * state. A stream passes its carried states; a single message gets scratch states owned here, so
 * scanning allocates nothing per message.
 */
import { foldClasses } from '../normalize/fold-classes.js';
import type { FoldTables } from '../normalize/tables.js';
import type { Automaton } from './automaton.js';
import { MatchBuffer, SearchState } from './search.js';

export class LaneSearch {
  automaton!: Automaton;
  /** Composed tables (fold-classes.ts) for `automaton`. */
  text!: Uint32Array;
  sounds!: Uint32Array;
  textOut!: MatchBuffer;
  soundOut!: MatchBuffer;
  textState!: SearchState;
  soundState!: SearchState;
  #tables: FoldTables | undefined;
  #scratchFor: Automaton | undefined;
  #scratchText: SearchState | undefined;
  #scratchSounds: SearchState | undefined;

  /**
   * Prepares a search of the next text with `automaton`: text-lane matches are appended to
   * `textOut`, pinyin-lane ones to `soundOut`; without states, both lanes start fresh at position 0.
   */
  begin(automaton: Automaton, tables: FoldTables, textOut: MatchBuffer, soundOut: MatchBuffer, textState?: SearchState, soundState?: SearchState): this {
    if (this.automaton !== automaton || this.#tables !== tables) {
      const classes = foldClasses(automaton, tables);
      this.automaton = automaton;
      this.#tables = tables;
      this.text = classes.text;
      this.sounds = classes.sounds;
    }
    this.textOut = textOut;
    this.soundOut = soundOut;
    if (textState === undefined || soundState === undefined) {
      if (this.#scratchFor !== automaton) {
        this.#scratchFor = automaton;
        this.#scratchText = new SearchState(automaton);
        this.#scratchSounds = new SearchState(automaton);
      }
      this.#scratchText!.reset();
      this.#scratchSounds!.reset();
    }
    this.textState = textState ?? this.#scratchText!;
    this.soundState = soundState ?? this.#scratchSounds!;
    return this;
  }
}
