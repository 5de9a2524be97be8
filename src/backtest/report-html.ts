/**
 * The HTML report of a backtest: one self-contained page (no script, no external resource) with a
 * bar chart of flags gained and lost per category, the terms that changed with examples, and the
 * dismissed-flag outcome. Every piece of journal text is escaped: stream text is untrusted.
 */
import { CATEGORIES } from '../flag.js';
import { messagesPerSecond, notRescanned, type BacktestResult, type Example, type TermChange } from './tally.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const plus = (n: number) => (n > 0 ? `+${n}` : '0');
const minus = (n: number) => (n > 0 ? `−${n}` : '0');

const GAIN = '#2e7d32';
const LOSS = '#c62828';

export function backtestHtml(r: BacktestResult, title: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>
body{font:14px/1.45 system-ui,"WenQuanYi Micro Hei",sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}.g{color:${GAIN}}.l{color:${LOSS}}
.warn{background:#fff4e5;border-left:4px solid #e65100;padding:6px 10px}
.ex{color:#555;font-size:12px}.ex mark{background:#ffe08a}.meta{color:#555}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
${summaryBlock(r)}
<h2>Flags gained and lost per category</h2>
${chart(r)}
${categoryTable(r)}
<h2>Flags moderators dismissed</h2>
<p>${r.dismissed.total} dismissed flags were rescanned: the candidate <b class="g">drops ${r.dismissed.dropped}</b> and <b class="l">keeps ${r.dismissed.kept}</b>.</p>
${r.dismissed.keptExamples.length > 0 ? `<ul class="ex">${r.dismissed.keptExamples.map((e) => `<li>${exampleHtml(e)}</li>`).join('')}</ul>` : ''}
<h2>Terms that changed (${r.terms.length})</h2>
${termTable(r.terms)}
</body></html>
`;
}

function summaryBlock(r: BacktestResult): string {
  const m = r.messages;
  const warn = m.chatWithoutText > 0 ? `<p class="warn" id="chat-gap"><b>Chat not replayable: ${m.chatWithoutText} messages.</b> The journal kept unflagged chat without its text, so flags the candidate would newly raise in chat are not counted below; set <code>journal.keepChatText</code> to record it.</p>` : '';
  return `<p class="meta">${m.read} messages read, ${m.rescanned} rescanned in ${r.seconds.toFixed(1)} s${r.timedFrom ? ` from ${r.timedFrom}` : ''} (${messagesPerSecond(r)} messages/s${r.workers !== undefined ? ` on ${r.workers} thread${r.workers === 1 ? '' : 's'}` : ''}). Not rescanned: ${notRescanned(m, false).map(escapeHtml).join('; ')}.</p>${warn}`;
}

/** Horizontal bars, gains right of the axis and losses left, scaled to the largest count. */
function chart(r: BacktestResult): string {
  const rowH = 28;
  const half = 260;
  const labelW = 90;
  const max = Math.max(1, ...CATEGORIES.map((c) => Math.max(r.categories[c].gained, r.categories[c].lost)));
  const bars = CATEGORIES.map((c, i) => {
    const x = r.categories[c];
    const y = i * rowH + 6;
    const gw = (x.gained / max) * half;
    const lw = (x.lost / max) * half;
    const axis = labelW + half;
    return `<text x="0" y="${y + 15}">${c}</text>
<rect x="${(axis - lw).toFixed(1)}" y="${y}" width="${lw.toFixed(1)}" height="18" fill="${LOSS}"/>
<rect x="${axis}" y="${y}" width="${gw.toFixed(1)}" height="18" fill="${GAIN}"/>
<text x="${(axis - lw - 6).toFixed(1)}" y="${y + 14}" text-anchor="end" font-size="12">${x.lost > 0 ? `−${x.lost}` : ''}</text>
<text x="${(axis + gw + 6).toFixed(1)}" y="${y + 14}" font-size="12">${x.gained > 0 ? `+${x.gained}` : ''}</text>`;
  }).join('\n');
  const h = CATEGORIES.length * rowH + 12;
  const w = labelW + 2 * half + 60;
  return `<svg role="img" aria-label="flags gained and lost per category" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="system-ui,sans-serif" font-size="13">
<line x1="${labelW + half}" y1="0" x2="${labelW + half}" y2="${h}" stroke="#888"/>
${bars}
</svg>`;
}

function categoryTable(r: BacktestResult): string {
  const rows = CATEGORIES.map((c) => {
    const x = r.categories[c];
    return `<tr><td>${c}</td><td class="n">${x.recorded}</td><td class="n">${x.candidate}</td><td class="n g">${plus(x.gained)}</td><td class="n l">${minus(x.lost)}</td></tr>`;
  }).join('');
  return `<table><tr><th>category</th><th>recorded</th><th>candidate</th><th>gained</th><th>lost</th></tr>${rows}</table>`;
}

function termTable(terms: readonly TermChange[]): string {
  if (terms.length === 0) return '<p>No term gained or lost a flag.</p>';
  const rows = terms.map((t) => {
    const ex = [...t.examples.gained.map((e) => `<li class="g">gained: ${exampleHtml(e)}</li>`), ...t.examples.lost.map((e) => `<li class="l">lost: ${exampleHtml(e)}</li>`)].join('');
    return `<tr><td>${t.category}</td><td>${escapeHtml(t.term)}</td><td class="n g">${plus(t.gained)}</td><td class="n l">${minus(t.lost)}</td><td><ul class="ex">${ex}</ul></td></tr>`;
  }).join('\n');
  return `<table><tr><th>category</th><th>term</th><th>gained</th><th>lost</th><th>examples</th></tr>\n${rows}</table>`;
}

function exampleHtml(e: Example): string {
  const i = e.matched ? e.context.indexOf(e.matched) : -1;
  const text = i < 0 ? escapeHtml(e.context) : `${escapeHtml(e.context.slice(0, i))}<mark>${escapeHtml(e.matched)}</mark>${escapeHtml(e.context.slice(i + e.matched.length))}`;
  return `<span>${escapeHtml(e.stream)} #${e.seq}</span> ${text}`;
}
