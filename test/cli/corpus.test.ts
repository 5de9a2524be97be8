/**
 * Regression floor on the labeled development corpus (`../shared/corpus`, outside this repository;
 * skipped where it is absent). The corpus is scored, never copied: these floors guard the
 * mechanisms (normalization, detectors, allow-lists) against regressions, and sit a little under
 * the measured figures in the README so that a lexicon edit can move them slightly.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CLI, ROOT } from './run-cli.js';

const CORPUS_DIR = join(ROOT, '../shared/corpus');
const SCORER = join(CORPUS_DIR, 'score.mjs');
const DEV = join(CORPUS_DIR, 'dev.jsonl');

const FLOORS = { macroF1: 0.95, evasionR: 0.9, maxFPR: 0.02 };

interface ScoreReport {
  macroF1: number;
  FPR: number;
  evasionR: number;
  contractProblems: unknown[];
}

describe.runIf(existsSync(SCORER) && existsSync(DEV))('dev corpus through `pkguard scan`', () => {
  test('macro-F1, evasion recall and clean-line false-positive rate hold their floors', { timeout: 180_000 }, () => {
    const out = join(mkdtempSync(join(tmpdir(), 'pkguard-score-')), 'score.json');
    const run = spawnSync(
      process.execPath,
      [SCORER, '--cmd', `"${process.execPath}" "${CLI}" scan`, '--file', DEV, '--show', '0', '--json', out],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(run.status, run.stdout + run.stderr).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as ScoreReport;
    expect(report.contractProblems).toEqual([]);
    expect(report.macroF1).toBeGreaterThanOrEqual(FLOORS.macroF1);
    expect(report.evasionR).toBeGreaterThanOrEqual(FLOORS.evasionR);
    expect(report.FPR).toBeLessThanOrEqual(FLOORS.maxFPR);
  });
});
