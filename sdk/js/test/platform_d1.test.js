// Workers D1Database over era-emu (era-storage/platform): prepare/bind/first/all/raw/run, batch,
// exec, with the runtime's result shapes and errors (workerd src/cloudflare/internal/d1-api.ts;
// developers.cloudflare.com/d1/worker-api/), against a real era-emu.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');

const { D1Database } = require('../platform.js');
const { emulatorForFile, uniqueNs } = require('../testing/emulator.js');

emulatorForFile(test);

async function usersDb() {
  const db = new D1Database(uniqueNs());
  await db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, active INTEGER, avatar BLOB)');
  return db;
}

test('prepare, bind, run, first, all and raw', async () => {
  const db = await usersDb();
  const ins = db.prepare('INSERT INTO users (email, active, avatar) VALUES (?, ?, ?)');
  const r = await ins.bind('ann@example.com', true, new Uint8Array([1, 2, 255])).run();
  assert.equal(r.success, true);
  assert.equal(r.meta.changes, 1);
  assert.equal(r.meta.last_row_id, 1);
  assert.equal(typeof r.meta.duration, 'number');
  await ins.bind('bob@example.com', false, null).run();

  const row = await db.prepare('SELECT * FROM users WHERE email = ?').bind('ann@example.com').first();
  assert.deepEqual(row, { id: 1, email: 'ann@example.com', active: 1, avatar: [1, 2, 255] });
  assert.equal(await db.prepare('SELECT email FROM users ORDER BY id').first('email'), 'ann@example.com');
  assert.equal(await db.prepare('SELECT * FROM users WHERE id = 99').first(), null);
  await assert.rejects(db.prepare('SELECT id FROM users').first('nope'), { message: 'D1_COLUMN_NOTFOUND: Column not found (nope)' });

  const all = await db.prepare('SELECT id, email FROM users ORDER BY id').all();
  assert.deepEqual(all.results, [{ id: 1, email: 'ann@example.com' }, { id: 2, email: 'bob@example.com' }]);
  assert.equal(all.success, true);
  assert.ok('rows_read' in all.meta);
  assert.deepEqual(await db.prepare('SELECT id, email FROM users ORDER BY id').raw(), [[1, 'ann@example.com'], [2, 'bob@example.com']]);
  assert.deepEqual(await db.prepare('SELECT id, email FROM users WHERE id = 1').raw({ columnNames: true }), [['id', 'email'], [1, 'ann@example.com']]);
  // A statement is immutable: bind returns a new one.
  const base = db.prepare('SELECT ? AS v');
  assert.equal(await base.bind('a').first('v'), 'a');
  assert.equal(await base.bind('b').first('v'), 'b');
});

test('errors read like the runtime: D1_ERROR, D1_TYPE_ERROR, D1_EXEC_ERROR', async () => {
  const db = await usersDb();
  await db.prepare('INSERT INTO users (email) VALUES (?)').bind('x@example.com').run();
  await assert.rejects(db.prepare('INSERT INTO users (email) VALUES (?)').bind('x@example.com').run(),
    { message: /^D1_ERROR: UNIQUE constraint failed: users\.email: SQLITE_CONSTRAINT/ });
  await assert.rejects(db.prepare('SELEC 1').all(), { message: /^D1_ERROR: near "SELEC": syntax error/ });
  assert.throws(() => db.prepare('SELECT ?').bind(undefined), { message: "D1_TYPE_ERROR: Type 'undefined' not supported for value 'undefined'" });
  assert.throws(() => db.prepare('SELECT ?').bind({ a: 1 }), { message: "D1_TYPE_ERROR: Type 'object' not supported for value '[object Object]'" });
  assert.throws(() => db.prepare('SELECT ?').bind(10n), /D1_TYPE_ERROR: Type 'bigint'/);
  await assert.rejects(db.exec('INSERT INTO users (email) VALUES (\'y\'); INSERT INTO nope VALUES (1)'), { message: /^D1_EXEC_ERROR: no such table: nope/ });
});

test('batch runs in one transaction; exec counts statements', async () => {
  const db = await usersDb();
  const ins = db.prepare('INSERT INTO users (email) VALUES (?)');
  const results = await db.batch([ins.bind('a'), ins.bind('b'), db.prepare('SELECT count(*) AS n FROM users')]);
  assert.equal(results.length, 3);
  assert.equal(results[0].meta.changes, 1);
  assert.deepEqual(results[2].results, [{ n: 2 }]);
  await assert.rejects(db.batch([ins.bind('c'), ins.bind('a')]), /UNIQUE constraint failed/);
  assert.equal(await db.prepare('SELECT count(*) AS n FROM users').first('n'), 2); // 'c' rolled back
  assert.deepEqual(await db.batch([]), []);
  const ex = await db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)');
  assert.equal(ex.count, 3);
  assert.equal(typeof ex.duration, 'number');
});

test('raw() keeps duplicate column names and names the columns of an empty result (ROWS_AND_COLUMNS)', async () => {
  const db = new D1Database(uniqueNs());
  await db.exec('CREATE TABLE a (id INTEGER, v TEXT); CREATE TABLE b (id INTEGER, w TEXT); INSERT INTO a VALUES (1, \'x\'); INSERT INTO b VALUES (2, \'y\')');
  const joined = 'SELECT a.id, b.id, a.v FROM a, b';
  assert.deepEqual(await db.prepare(joined).raw({ columnNames: true }), [['id', 'id', 'v'], [1, 2, 'x']]);
  assert.deepEqual(await db.prepare(joined).first(), { id: 2, v: 'x' }); // objects: the later id wins, as workerd
  assert.deepEqual(await db.prepare('SELECT id, v FROM a WHERE id = ?').bind(99).raw({ columnNames: true }), [['id', 'v']]);
  assert.deepEqual(await db.prepare('SELECT id FROM a WHERE id = 99').raw(), []);
});

test('withSession(): prepare and batch through a session, bookmarks advance; dump() is refused', async () => {
  const db = new D1Database(uniqueNs());
  const session = db.withSession();
  assert.equal(session.getBookmark(), null); // a constraint, no query yet
  await session.batch([session.prepare('CREATE TABLE t (n INTEGER)'), session.prepare('INSERT INTO t VALUES (?)').bind(1)]);
  const first = session.getBookmark();
  assert.match(first, /^[0-9a-f]{8}-/);
  assert.deepEqual(await session.prepare('SELECT n FROM t').raw(), [[1]]); // reads its own write
  assert.ok(session.getBookmark() > first);
  const resumed = db.withSession(first);
  assert.equal(resumed.getBookmark(), first);
  assert.equal(db.withSession('first-primary').getBookmark(), null);
  await assert.rejects(db.dump(), /^Error: D1_DUMP_ERROR: /);
});

test('bind() types as workerd: numbers are REAL, booleans INTEGER 1/0 (issue 18, item 5)', async () => {
  const db = new D1Database(uniqueNs());
  const r = await db.prepare("SELECT typeof(?) AS num, typeof(?) AS bool, ? + 1 AS sum, json_object('n', ?) AS j").bind(3, true, 41, 1).first();
  assert.deepEqual(r, { num: 'real', bool: 'integer', sum: 42, j: '{"n":1.0}' });
  await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, label TEXT)');
  await db.prepare('INSERT INTO t VALUES (?, ?)').bind(7, 5).run();
  // INTEGER affinity keeps 7; a TEXT column gets the REAL's text, as on D1.
  assert.deepEqual(await db.prepare('SELECT id, label FROM t').first(), { id: 7, label: '5.0' });
});
