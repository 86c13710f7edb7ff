#!/usr/bin/env node
// Runs the unit tests, then every integration file in a jest process of its own: a worker,
// SDK client or timer left by one file cannot leak into the next. Prints one closing line,
// "tests: N passed, N failed", and exits non-zero when anything failed.
'use strict';
const { spawnSync } = require('node:child_process');
const { readdirSync, readFileSync, mkdtempSync } = require('node:fs');
const { join } = require('node:path');
const { tmpdir } = require('node:os');

const out = mkdtempSync(join(tmpdir(), 'tutti-jest-'));
const suites = (dir) => readdirSync(dir).filter((f) => f.endsWith('.test.ts')).sort().map((f) => [f, [`${dir}/${f}`]]);
const runs = [['unit', ['--selectProjects', 'unit']], ...suites('test/integration'), ...suites('test/browser')];
let passed = 0;
let failed = 0;
const failedFiles = [];
for (const [name, args] of runs) {
  const json = join(out, `${name}.json`);
  const started = Date.now();
  const r = spawnSync('npx', ['jest', ...args, '--forceExit', '--json', `--outputFile=${json}`], { stdio: 'inherit', timeout: 1_800_000, killSignal: 'SIGKILL', env: { ...process.env, TUTTI_TEST_REUSE_BUNDLE: '1' } });
  let result;
  try {
    result = JSON.parse(readFileSync(json, 'utf8'));
  } catch {
    result = { numPassedTests: 0, numFailedTests: 1 };
  }
  const bad = result.numFailedTests + (r.status === 0 ? 0 : result.numFailedTests ? 0 : 1);
  passed += result.numPassedTests;
  failed += bad;
  if (bad) failedFiles.push(name);
  process.stdout.write(`== ${name}: ${result.numPassedTests} passed, ${bad} failed (${Math.round((Date.now() - started) / 1000)} s)\n`);
}
if (failedFiles.length) process.stdout.write(`failed: ${failedFiles.join(', ')}\n`);
process.stdout.write(`tests: ${passed} passed, ${failed} failed\n`);
process.exit(failed ? 1 : 0);
