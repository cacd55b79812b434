#!/usr/bin/env node
// Per-test overhead of the jest/vitest helper: what setup-after-env does before every test
// (era.reset(), then era.events.mark()), timed after a typical test's writes. Run by bench/bench.py:
//
//   node reset_jest.js N URL   -> prints {"samples_ms": [...]} on stdout; exit 1 if a reset did not empty
'use strict';
const path = require('node:path');
const { Era } = require(path.join(__dirname, '..', '..', 'fixtures', 'jest', 'src', 'era.js'));

const kv = {};
for (let i = 0; i < 5; i++) kv[`k${i}`] = `v${i}`;
const TYPICAL_TEST = {
  kv: { 'bench-app': kv },
  r2: { 'bench-files': { 'obj.txt': { text: 'body', contentType: 'text/plain' } } },
  d1: { 'bench-db': ['CREATE TABLE IF NOT EXISTS t (x INTEGER)', 'INSERT INTO t VALUES (1)'] },
};

async function main() {
  const [nArg, url] = process.argv.slice(2);
  const n = Number(nArg);
  const era = new Era(url);
  const samples = [];
  for (let i = 0; i < n; i++) {
    await era.seed(TYPICAL_TEST);
    if (i === 0 && !(await era.dumpKv('bench-app')).includes('k0=')) throw new Error('seed did not store bench-app/k0');
    const t0 = process.hrtime.bigint();
    await era.reset();
    await era.events.mark();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const left = await era.dumpKv('bench-app');
  if (left !== '(empty)') throw new Error(`after the last reset bench-app still holds: ${left}`);
  process.stdout.write(JSON.stringify({ samples_ms: samples }) + '\n');
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
