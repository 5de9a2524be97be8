/**
 * A count of the steps taken by the scan's loops whose length is not simply the units being read
 * (chain walks, look-backs, span reads, window visits). Tests read it to check that the scan stays
 * linear on hostile input by a measure no noisy machine can blur; nothing in the scan reads it.
 * A plain module-level counter: one add per step, cheaper than any opt-in check.
 */
export const work = { steps: 0 };
