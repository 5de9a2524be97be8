/**
 * Where the matched span sits in a message, cut to a window around it so a one-line row always
 * shows the match. Offsets are UTF-16 (as in every Flag); cuts never split a surrogate pair.
 */
export interface Snippet {
  /** Text before the match; starts with '…' when cut. */
  before: string;
  match: string;
  /** Text after the match; ends with '…' when cut. */
  after: string;
}

const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** Moves a cut point off the second half of a surrogate pair. */
function safeCut(text: string, i: number): number {
  return i > 0 && i < text.length && isLow(text.charCodeAt(i)) ? i - 1 : i;
}

/** The match `text.slice(start, end)` with up to `radius` units of context either side. */
export function snippet(text: string, start: number, end: number, radius = 48): Snippet {
  const s = Math.max(0, Math.min(start, text.length));
  const e = Math.max(s, Math.min(end, text.length));
  const from = safeCut(text, Math.max(0, s - radius));
  const to = safeCut(text, Math.min(text.length, e + radius));
  return {
    before: (from > 0 ? '…' : '') + text.slice(from, s),
    match: text.slice(s, e),
    after: text.slice(e, to) + (to < text.length ? '…' : ''),
  };
}

/**
 * The earlier part of a phrase split across chunks: `carried` is the end of `prev` (the stream's
 * text before this chunk). When `prev` is missing or does not end with it, the part is shown alone.
 */
export function carriedSnippet(prev: string | undefined, carried: string, radius = 24): Snippet {
  if (prev !== undefined && prev.endsWith(carried)) return snippet(prev, prev.length - carried.length, prev.length, radius);
  return { before: '', match: carried, after: '' };
}
