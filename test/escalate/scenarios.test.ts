/**
 * The escalation scenarios (test/fixtures/escalation) through the real stream core with the
 * default config: no false shutdown, and at least 95% of the must-shut-down scenarios shut down by
 * their step. `npm run eval:escalation` prints the same per scenario.
 */
import { expect, test } from 'vitest';
import { loadScenarios, runScenario, scoreScenarios, type Scenario } from '../../bench/escalation/scenarios.js';

const scenarios = loadScenarios();

test('at least 40 scenarios, with shutdowns to catch and streams to leave alone', () => {
  expect(scenarios.length).toBeGreaterThanOrEqual(40);
  expect(scenarios.filter((s) => s.expect.outcome === 'shutdown').length).toBeGreaterThanOrEqual(15);
  expect(scenarios.filter((s) => s.expect.outcome !== 'shutdown').length).toBeGreaterThanOrEqual(15);
});

test('0 false shutdowns, ≥ 95% of must-shut-down scenarios shut down in time, every outcome replays the same', { timeout: 120_000 }, async () => {
  const score = await scoreScenarios(scenarios);
  const failed = score.results.filter((r) => r.verdict !== 'ok').map((r) => `${r.scenario.name}: ${r.verdict} (shut at ${r.shutAt ?? '-'}, max ${r.maxLevel})`);
  expect(score.falseShutdowns, failed.join('\n')).toBe(0);
  expect(score.caught / score.mustShutDown, failed.join('\n')).toBeGreaterThanOrEqual(0.95);
  expect(score.replayDisagreements).toBe(0);
});

test('the scorer can fail: a scenario expecting the opposite is scored as a false or missed shutdown', async () => {
  const cure = scenarios.find((s) => s.name === 'single-cancer-cure-claim')!;
  const flipped: Scenario = { ...cure, expect: { outcome: 'normal' } };
  expect((await runScenario(flipped)).verdict).toBe('false_shutdown');
  const clean = scenarios.find((s) => s.name === 'clean-half-hour')!;
  expect((await runScenario({ ...clean, expect: { outcome: 'shutdown', by: 1 } })).verdict).toBe('missed_shutdown');
  // Too early counts as a false shutdown: the cancer claim at step 7 with notBefore 8.
  expect((await runScenario({ ...cure, expect: { outcome: 'shutdown', by: 9, notBefore: 8 } })).verdict).toBe('early_shutdown');
});

test('the scorer sees the config: without sustain and with a low threshold the PK host is shut down on its first claim (early)', async () => {
  const pk = scenarios.find((s) => s.name === 'pk-host-repeats-lowest-price')!;
  const r = await runScenario(pk, { sustain: { incidents: 1, windowMs: 300_000 }, thresholds: { watch: 1, alert: 2, shutdown: 5 } });
  expect(r.verdict).toBe('early_shutdown');
  expect(r.shutAt).toBe(3);
});
