#!/usr/bin/env node
// D1 row accounting against workerd (issue 18 item 7): runs a battery of statements — scans,
// lookups, sorts, joins, writes with indexes, REPLACE/UPSERT, triggers, DDL — on era-emu and on
// Miniflare 4's D1 (workerd's SQLite with the row-count patch D1 uses) and prints each
// statement's meta.rows_read/rows_written from both.
//
//   MINIFLARE_DIR=/path/with/node_modules node scripts/d1-row-counts.mjs
//
// era-emu: build/era-emu or $ERA_EMU_BIN. Exit status 0 always (a report, not a test: the
// asserted counts live in the d1 meta test of era_tests).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { D1Database } = require('../sdk/js/platform.js');
const { startEmulator } = require('../sdk/js/testing/emulator.js');

function loadMiniflare() {
  for (const dir of [process.env.MINIFLARE_DIR, path.join(here, '../fixtures/jest'), process.cwd()].filter(Boolean)) {
    try {
      return createRequire(path.join(dir, 'package.json'))('miniflare').Miniflare;
    } catch {
      /* not there */
    }
  }
  return null;
}

const battery = [
  ['CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT, n INT)', []],
  ['CREATE TABLE u (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT)', []],
  ['CREATE INDEX u_name ON u(name)', []],
  ['CREATE TABLE w (k TEXT PRIMARY KEY, v INT) WITHOUT ROWID', []],
  ['CREATE TABLE e (id INTEGER PRIMARY KEY, v TEXT)', []],
  ['INSERT INTO a (v, n) VALUES (?, ?)', ['x', 1]],
  ['INSERT INTO a (v, n) SELECT v, n+1 FROM a', []],
  ['INSERT INTO a (v, n) SELECT v, n+2 FROM a', []],
  ['INSERT INTO a (v, n) SELECT v, n+4 FROM a', []],
  ['INSERT INTO a (v, n) VALUES (?, ?), (?, ?)', ['y', 9, 'z', 10]],
  ['SELECT count(*) FROM a', []],
  ['SELECT count(*) AS c, 1 FROM a', []],
  ['SELECT * FROM a', []],
  ['SELECT * FROM a WHERE n > 5', []],
  ['SELECT * FROM a WHERE id = 3', []],
  ['SELECT * FROM a WHERE id = 99', []],
  ['SELECT * FROM a WHERE id IN (1,2,3)', []],
  ['SELECT * FROM a WHERE id > 7', []],
  ['SELECT * FROM a ORDER BY n DESC LIMIT 3', []],
  ['SELECT * FROM a LIMIT 3', []],
  ['SELECT * FROM e', []],
  ['SELECT count(*) FROM e', []],
  ['SELECT max(id) FROM a', []],
  ['SELECT n, count(*) FROM a GROUP BY n', []],
  ['INSERT INTO u (email, name) VALUES (?, ?)', ['a@x', 'A']],
  ['INSERT INTO u (email, name) VALUES (?, ?)', ['b@x', 'B']],
  ['INSERT INTO u (email, name) VALUES (?, ?)', ['c@x', 'C']],
  ['SELECT * FROM u WHERE email = ?', ['b@x']],
  ['SELECT * FROM u WHERE email = ?', ['zz']],
  ['SELECT name FROM u WHERE name > ?', ['A']],
  ['SELECT * FROM a JOIN u ON u.id = a.id', []],
  ['UPDATE u SET name = ? WHERE id = 2', ['BB']],
  ['UPDATE u SET email = ? WHERE id = 2', ['bb@x']],
  ['UPDATE u SET name = name', []],
  ['UPDATE a SET n = n + 1 WHERE id = 1', []],
  ['UPDATE a SET n = n + 1', []],
  ['DELETE FROM a WHERE id = 1', []],
  ['DELETE FROM a WHERE id = 999', []],
  ['DELETE FROM a WHERE n > 8', []],
  ['DELETE FROM u WHERE id = 3', []],
  ['INSERT INTO w VALUES (?, ?)', ['k1', 1]],
  ['INSERT INTO w VALUES (?, ?)', ['k2', 2]],
  ['SELECT * FROM w WHERE k = ?', ['k1']],
  ['UPDATE w SET v = 5 WHERE k = ?', ['k1']],
  ['INSERT OR REPLACE INTO u (id, email, name) VALUES (1, ?, ?)', ['a2@x', 'A2']],
  ['INSERT INTO u (email, name) VALUES (?, ?) ON CONFLICT(email) DO UPDATE SET name = excluded.name', ['a2@x', 'A3']],
  ['SELECT * FROM a ORDER BY n', []],
  ['SELECT DISTINCT v FROM a', []],
  ['SELECT * FROM a WHERE v = ?', ['x']],
  ['CREATE INDEX a_v ON a(v)', []],
  ['SELECT * FROM a WHERE v = ?', ['x']],
  ['SELECT * FROM a WHERE v = ?', ['nope']],
  ['SELECT id FROM a WHERE v > ? ORDER BY v', ['w']],
  ['SELECT * FROM a LEFT JOIN u ON u.id = a.n', []],
  ['SELECT (SELECT count(*) FROM a) + 1 AS x', []],
  ['SELECT * FROM a WHERE id IN (SELECT id FROM u)', []],
  ['SELECT value FROM json_each(?)', ['[1,2,3]']],
  ['CREATE TABLE log (msg TEXT)', []],
  ['CREATE TRIGGER a_ins AFTER INSERT ON a BEGIN INSERT INTO log VALUES (new.v); END', []],
  ['INSERT INTO a (v, n) VALUES (?, ?)', ['t', 50]],
  ['SELECT count(*) FROM log', []],
  ['UPDATE a SET v = ? WHERE v = ?', ['xx', 'x']],
  ['DELETE FROM a WHERE v = ?', ['xx']],
  ['SELECT * FROM a WHERE rowid = ?', [2]],
  ['SELECT sum(n) FROM a', []],
  ['DROP INDEX a_v', []],
  ['DROP TABLE log', []],
  ['DELETE FROM a', []],
  ['SELECT count(*) FROM a', []],
];
async function run(DB) {
  const out = [];
  for (const [sql, params] of battery) {
    try {
      const r = await DB.prepare(sql).bind(...params).all();
      out.push(`${r.meta.rows_read}/${r.meta.rows_written}`);
    } catch (e) { out.push('ERR ' + e.message.slice(0, 40)); }
  }
  return out;
}
const emu = await startEmulator();
const era = await run(new D1Database('rows', { url: emu.url }));
await emu.stop();
const Miniflare = loadMiniflare();
if (!Miniflare) {
  console.log('miniflare not found: `npm install miniflare` in fixtures/jest, or set MINIFLARE_DIR');
  era.forEach((r, i) => console.log(`${r.padEnd(8)} ${battery[i][0]}`));
  process.exit(0);
}
const mf = new Miniflare({ modules: true, script: 'export default { fetch() { return new Response("ok"); } }', d1Databases: ['DB'] });
const env = await mf.getBindings();
const w = await run(env.DB);
await mf.dispose();
let same = 0;
battery.forEach(([sql], i) => { const ok = era[i] === w[i]; if (ok) same++; console.log(`${ok ? '  ' : '✗ '}${w[i].padEnd(8)} ${era[i].padEnd(8)} ${sql}`); });
console.log(`${same} of ${battery.length} statements give workerd's pair (columns: workerd, era-emu; ✗ marks a difference)`);
