/**
 * `pkguard lexicon check [DIR] [--json]`: validates every lexicon file and explains each problem
 * with `file:line`. Errors (exit 1) refuse the lexicon; warnings (exit 0) point at entries that
 * load but will not behave as their author expects.
 */
import { LexiconError } from '../errors.js';
import { compileLexicon } from '../lexicon/compile.js';
import { loadLexiconDir } from '../lexicon/load.js';

export interface CheckReport {
  dir: string;
  terms: number;
  allow: number;
  errors: { file: string; line: number; entry: string; reason: string }[];
  warnings: { file: string; line: number; entry: string; reason: string }[];
}

export function checkLexicons(dir: string): CheckReport {
  const report: CheckReport = { dir, terms: 0, allow: 0, errors: [], warnings: [] };
  let compiled;
  try {
    compiled = compileLexicon(loadLexiconDir(dir));
  } catch (err) {
    if (err instanceof LexiconError) {
      report.errors.push(...err.problems);
      return report;
    }
    throw err;
  }
  const { entries, forms } = compiled;
  const at = (i: number) => ({ file: entries[i]!.file, line: entries[i]!.line, entry: entries[i]!.phrase });
  const firstByKey = new Map<string, number>();
  const termByForm = new Map<string, number[]>();
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const form = forms[i]!;
    if (e.category === null) report.allow++;
    else report.terms++;
    const key = `${e.category ?? 'allow'}\u0000${form}`;
    const first = firstByKey.get(key);
    if (first !== undefined) {
      const f = entries[first]!;
      const same = f.phrase === e.phrase;
      report.warnings.push({
        ...at(i),
        reason: same
          ? `duplicate of ${f.file}:${f.line}`
          : `normalizes to "${form}", the same as "${f.phrase}" (${f.file}:${f.line}); one of them is redundant`,
      });
    } else firstByKey.set(key, i);
    if (e.category !== null) {
      if (form.length === 1) report.warnings.push({ ...at(i), reason: `matches a single character ("${form}"): expect many false positives` });
      const list = termByForm.get(form) ?? [];
      list.push(i);
      termByForm.set(form, list);
    }
  }
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.category !== null) continue;
    for (const t of termByForm.get(forms[i]!) ?? []) {
      const term = entries[t]!;
      if (e.allowMask & categoryBit(term.category!)) {
        report.warnings.push({ ...at(i), reason: `allow phrase shadows banned term "${term.phrase}" (${term.file}:${term.line}): it can never be flagged` });
      }
    }
  }
  return report;
}

function categoryBit(c: string): number {
  return ({ extreme: 1, exclusive: 2, medical: 4, contact: 8 } as Record<string, number>)[c] ?? 0;
}

export function formatReport(r: CheckReport): string {
  const lines: string[] = [];
  for (const e of r.errors) lines.push(`error   ${e.file}:${e.line}: ${e.reason}${e.entry ? `  [${e.entry.trim()}]` : ''}`);
  for (const w of r.warnings) lines.push(`warning ${w.file}:${w.line}: ${w.reason}`);
  lines.push(
    r.errors.length > 0
      ? `${r.errors.length} error(s): lexicons in ${r.dir} refused`
      : `ok: ${r.terms} terms, ${r.allow} allow phrases in ${r.dir}; ${r.warnings.length} warning(s)`,
  );
  return lines.join('\n');
}
