/** The plain-text summary of a backtest: what a maintainer reads in a terminal or a review comment. */
import { CATEGORIES } from '../flag.js';
import { messagesPerSecond, notRescanned, type BacktestResult } from './tally.js';

const signed = (n: number) => (n > 0 ? `+${n}` : String(n));

export function backtestSummary(r: BacktestResult, topTerms = 15): string {
  const m = r.messages;
  const rate = messagesPerSecond(r);
  const busy = r.threadCpu ? ` (CPU ${r.threadCpu.map((s) => s.toFixed(1)).join(' + ')} s)` : '';
  const threads = r.workers !== undefined ? ` on ${r.workers} thread${r.workers === 1 ? '' : 's'}${busy}` : '';
  const lexicon = r.lexicon ? `; candidate lexicon ${r.lexicon.from === 'artifact' ? 'loaded from its artifact' : 'compiled'} in ${r.lexicon.seconds.toFixed(1)} s` : '';
  const lines = [
    `backtest: ${m.read} messages read, ${m.rescanned} rescanned in ${r.seconds.toFixed(1)} s${r.timedFrom ? ` from ${r.timedFrom}` : ''} (${rate} messages/s)${threads}${lexicon}`,
    ...notRescanned(m).map((s, i) => (i === 0 ? '  not rescanned: ' : '                 ') + s),
    '',
    'category     recorded  candidate   gained     lost',
  ];
  for (const c of CATEGORIES) {
    const x = r.categories[c];
    lines.push(`${c.padEnd(12)} ${String(x.recorded).padStart(8)} ${String(x.candidate).padStart(10)} ${signed(x.gained).padStart(8)} ${signed(-x.lost).padStart(8)}`);
  }
  const d = r.dismissed;
  lines.push('', `dismissed by moderators (known false positives): ${d.total}; the candidate drops ${d.dropped}, keeps ${d.kept}`);
  if (r.terms.length > 0) {
    lines.push('', `terms that changed (${r.terms.length}; top ${Math.min(topTerms, r.terms.length)}):`);
    for (const t of r.terms.slice(0, topTerms)) {
      const ex = t.examples.gained[0] ?? t.examples.lost[0];
      lines.push(`  ${t.category.padEnd(9)} ${JSON.stringify(t.term).padEnd(20)} ${signed(t.gained).padStart(7)} ${signed(-t.lost).padStart(7)}` + (ex ? `   e.g. ${JSON.stringify(ex.context)}` : ''));
    }
  } else lines.push('', 'no term gained or lost a flag');
  return lines.join('\n');
}
