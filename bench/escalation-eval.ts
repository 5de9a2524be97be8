/**
 * `npm run eval:escalation [-- --sweep] [-- --json]`: runs the escalation scenarios
 * (test/fixtures/escalation) through the real stream core and reports false shutdowns, missed
 * shutdowns and time to shutdown. `--sweep` scores a grid of thresholds, sustain counts and
 * half-lives around the defaults: the defaults in src/escalate/risk.ts are the grid point with 0
 * false shutdowns that catches the most must-shut-down scenarios, soonest (README "Escalation").
 */
import { DEFAULT_ESCALATION, type EscalationConfig } from '../src/escalate/risk.js';
import { loadScenarios, scoreScenarios, type Score } from './escalation/scenarios.js';

const args = process.argv.slice(2);
const scenarios = loadScenarios();

function line(s: Score): string {
  const t = s.timeToShutdown;
  return `false shutdowns ${s.falseShutdowns}, missed ${s.missedShutdowns}/${s.mustShutDown} (caught ${((100 * s.caught) / Math.max(1, s.mustShutDown)).toFixed(1)}%), level misses ${s.levelMisses}, replay disagreements ${s.replayDisagreements}, time to shutdown median ${t?.median ?? '-'} s max ${t?.max ?? '-'} s`;
}

if (args.includes('--sweep')) {
  const rows: { point: string; shutdown: number; halfLifeMs: number; score: Score }[] = [];
  for (const shutdown of [12, 16, 20, 24]) {
    for (const incidents of [2, 3, 4]) {
      for (const halfLifeMs of [60_000, 120_000, 240_000]) {
        const point: Partial<EscalationConfig> = { thresholds: { ...DEFAULT_ESCALATION.thresholds, shutdown }, sustain: { ...DEFAULT_ESCALATION.sustain, incidents }, halfLifeMs };
        const score = await scoreScenarios(scenarios, point);
        rows.push({ point: `shutdown ${shutdown} sustain ${incidents} halfLife ${halfLifeMs / 1000}s`, shutdown, halfLifeMs, score });
        process.stdout.write(`${rows.at(-1)!.point.padEnd(40)} ${line(score)}\n`);
      }
    }
  }
  // Among points with 0 false shutdowns that catch the most, the most conservative: the highest
  // threshold, then the shortest memory (both leave unseen clean streams the most room).
  const best = rows.filter((r) => r.score.falseShutdowns === 0).sort((a, b) => b.score.caught - a.score.caught || b.shutdown - a.shutdown || a.halfLifeMs - b.halfLifeMs)[0];
  process.stdout.write(`\nchosen (0 false shutdowns, most caught, then the most conservative): ${best?.point ?? 'none'}\n`);
} else {
  const score = await scoreScenarios(scenarios);
  if (args.includes('--json')) process.stdout.write(JSON.stringify({ ...score, results: score.results.map((r) => ({ name: r.scenario.name, verdict: r.verdict, shutAt: r.shutAt, secondsToShutdown: r.secondsToShutdown, maxLevel: r.maxLevel })) }, null, 1) + '\n');
  else {
    for (const r of score.results) {
      const e = r.scenario.expect;
      const want = e.outcome === 'shutdown' ? `shutdown by ${e.by}${e.notBefore ? ` not before ${e.notBefore}` : ''}` : e.outcome === 'alert' ? 'alert' : `at most ${e.maxLevel ?? 'watch'}`;
      process.stdout.write(`${r.verdict === 'ok' ? 'ok  ' : 'FAIL'} ${r.scenario.file.padEnd(16)} ${r.scenario.name.padEnd(48)} want ${want.padEnd(28)} got ${r.shutAt !== undefined ? `shutdown at ${r.shutAt} (${r.secondsToShutdown}s)` : r.maxLevel} flags ${r.flags}${r.retracted ? ` retracted ${r.retracted}` : ''}${r.replayAgrees ? '' : ' REPLAY DISAGREES'}\n`);
    }
    process.stdout.write(`\n${score.scenarios} scenarios: ${line(score)}\n`);
  }
}
