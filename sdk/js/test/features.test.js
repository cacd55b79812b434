// Integration tests for the SDK's additions over the original (TTL, metadata reads,
// pagination, D1 batch/first, binary R2 route, ranges, conditionals, encoding round trips,
// auth, signed URLs) against a real era-emu.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Readable } = require('node:stream');

const sdk = require('../era_storage.js');
const { KVStorage, D1Storage, R2Storage, Client, StorageError, NotFoundError, PreconditionFailedError, RangeNotSatisfiableError } = sdk;
const { useEmulator, startEmulator, uniqueNs } = require('../testing/emulator.js');

let emu;
test.before(async () => {
  emu = await useEmulator();
});
test.after(async () => {
  if (emu) await emu.stop();
});

async function collect(iter) {
  const out = [];
  for await (const x of iter) out.push(x);
  return out;
}

function tmpDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'era-sdk-js-'));
}

const AWKWARD_KEYS = [
  'with space', 'question?mark', 'hash#tag', 'percent%20literal', '100%', 'plus+sign',
  'unicodé/日本語/😀', 'deep/path/to/file.txt', 'a/../b', './dot', 'amp&eq=semi;', "bang!'()*",
  'tilde~under_score-dash.dot',
];
const byteOrder = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));

// ------------------------------------------------------------------ KV

test('KV: awkward keys round-trip exactly', async () => {
  const ns = uniqueNs();
  for (const [i, key] of AWKWARD_KEYS.entries()) assert.equal(await KVStorage.set(ns, key, `v${i}`), true);
  for (const [i, key] of AWKWARD_KEYS.entries()) assert.equal(await KVStorage.get(ns, key), `v${i}`, key);
  const listed = (await collect(KVStorage.listAll(ns))).map((k) => k.name);
  assert.deepEqual(listed, [...AWKWARD_KEYS].sort(byteOrder));
  assert.deepEqual((await KVStorage.list(ns, 'unicodé/')).map((k) => k.name), ['unicodé/日本語/😀']);
  for (const key of AWKWARD_KEYS) await KVStorage.delete(ns, key);
  assert.deepEqual(await KVStorage.list(ns), []);
});

test('KV: getWithMetadata, and empty values in new vs legacy calls', async () => {
  const ns = uniqueNs();
  await KVStorage.set(ns, 'k', 'v', { tags: ['a', 'b'], n: 1 });
  assert.deepEqual(await KVStorage.getWithMetadata(ns, 'k'), { value: 'v', metadata: { tags: ['a', 'b'], n: 1 }, expiration: null });
  await KVStorage.set(ns, 'empty', '');
  assert.equal(await KVStorage.get(ns, 'empty'), null); // documented legacy quirk
  assert.equal((await KVStorage.getWithMetadata(ns, 'empty')).value, '');
  assert.equal(await KVStorage.getWithMetadata(ns, 'missing'), null);
});

test('KV: ttl and absolute expiration with the virtual clock', async () => {
  const ns = uniqueNs();
  const now = Math.floor(Date.now() / 1000);
  await KVStorage.set(ns, 'ttl', 'a', null, { ttl: 120 });
  await KVStorage.set(ns, 'abs', 'b', null, { expiration: new Date(Date.now() + 600_000) });
  await KVStorage.set(ns, 'forever', 'c');
  const entries = Object.fromEntries((await KVStorage.list(ns)).map((k) => [k.name, k]));
  assert.ok(entries.ttl.expiration >= now + 100 && entries.ttl.expiration <= now + 200);
  assert.ok(entries.abs.expiration >= now + 550 && entries.abs.expiration <= now + 700);
  assert.equal(entries.forever.expiration, undefined);
  await emu.advance(121_000);
  assert.equal(await KVStorage.get(ns, 'ttl'), null);
  assert.equal(await KVStorage.get(ns, 'abs'), 'b');
  await emu.advance(500_000);
  assert.equal(await KVStorage.get(ns, 'abs'), null);
  assert.deepEqual((await KVStorage.list(ns)).map((k) => k.name), ['forever']);
});

test('KV: ttl below 60 is rejected with the Cloudflare wording', async () => {
  await assert.rejects(KVStorage.set(uniqueNs(), 'k', 'v', null, { ttl: 10 }), (err) => {
    assert.equal(err.status, 400);
    assert.match(err.message, /^KV set failed: Invalid expiration_ttl of 10/);
    return true;
  });
});

test('KV: pagination over 1,000 keys', async () => {
  const ns = uniqueNs();
  const n = 1205;
  const names = Array.from({ length: n }, (_, i) => `key:${String(i).padStart(5, '0')}`);
  for (let i = 0; i < n; i += 50) await Promise.all(names.slice(i, i + 50).map((k, j) => KVStorage.set(ns, k, String(i + j))));
  const first = await KVStorage.listPage(ns, 'key:', 1000);
  assert.equal(first.keys.length, 1000);
  assert.equal(first.list_complete, false);
  assert.ok(first.cursor);
  const second = await KVStorage.listPage(ns, 'key:', 1000, first.cursor);
  assert.equal(second.keys.length, n - 1000);
  assert.equal(second.list_complete, true);
  assert.deepEqual((await collect(KVStorage.listAll(ns, 'key:', { pageSize: 500 }))).map((k) => k.name), names);
  assert.equal((await KVStorage.list(ns)).length, 100);
});

// ------------------------------------------------------------------ D1

test('D1: first and batch (atomic)', async () => {
  const ns = uniqueNs();
  const results = await D1Storage.batch(ns, [
    'CREATE TABLE IF NOT EXISTS acct (id INTEGER PRIMARY KEY, owner TEXT, balance INTEGER)',
    ['INSERT INTO acct (owner, balance) VALUES (?, ?)', ['ada', 100]],
    { sql: 'INSERT INTO acct (owner, balance) VALUES (?, ?)', params: ['bob', 50] },
    'SELECT owner, balance FROM acct ORDER BY id',
  ]);
  assert.equal(results.length, 4);
  assert.equal(results[1].meta.changes, 1);
  assert.deepEqual(results[3].results, [{ owner: 'ada', balance: 100 }, { owner: 'bob', balance: 50 }]);
  assert.deepEqual(await D1Storage.first(ns, 'SELECT owner FROM acct WHERE balance > ?', [60]), { owner: 'ada' });
  assert.equal(await D1Storage.first(ns, 'SELECT SUM(balance) AS total FROM acct', [], 'total'), 150);
  assert.equal(await D1Storage.first(ns, 'SELECT * FROM acct WHERE owner = ?', ['zed']), null);
  await assert.rejects(D1Storage.batch(ns, [["UPDATE acct SET balance = balance - 10 WHERE owner = ?", ['ada']], 'INSERT INTO no_such_table VALUES (1)']), /^StorageError: D1 batch failed: |D1 batch failed: /);
  assert.equal(await D1Storage.first(ns, "SELECT balance FROM acct WHERE owner = 'ada'", [], 'balance'), 100);
});

test('D1: parameter types', async () => {
  const ns = uniqueNs();
  await D1Storage.exec(ns, 'CREATE TABLE IF NOT EXISTS v (i INTEGER, r REAL, t TEXT, n TEXT, b INTEGER)');
  await D1Storage.exec(ns, 'INSERT INTO v VALUES (?, ?, ?, ?, ?)', [42, 1.5, 'héllo', null, true]);
  assert.deepEqual(await D1Storage.query(ns, 'SELECT * FROM v'), [{ i: 42, r: 1.5, t: 'héllo', n: null, b: 1 }]);
});

// ------------------------------------------------------------------ R2 binary route

test('R2: binary put/get/head/delete and both routes agree', async () => {
  const ns = uniqueNs();
  const data = Buffer.alloc(1024).map((_, i) => i % 256);
  const obj = await R2Storage.putObject(ns, 'bin/data.bin', data, { contentType: 'application/x-test', metadata: { owner: 'ada' }, httpMetadata: { cacheControl: 'max-age=60' } });
  assert.equal(obj.size, data.length);
  assert.equal(obj.etag, crypto.createHash('md5').update(data).digest('hex'));
  assert.equal(obj.httpEtag, `"${obj.etag}"`);
  const head = await R2Storage.head(ns, 'bin/data.bin');
  assert.equal(head.size, data.length);
  assert.equal(head.etag, obj.etag);
  assert.equal(head.httpMetadata.contentType, 'application/x-test');
  assert.equal(head.httpMetadata.cacheControl, 'max-age=60');
  assert.deepEqual(head.customMetadata, { owner: 'ada' });
  assert.ok(head.uploaded instanceof Date);
  const got = await R2Storage.getObject(ns, 'bin/data.bin');
  assert.equal(got.status, 200);
  assert.deepEqual(got.body, data);
  assert.deepEqual(await R2Storage.get(ns, 'bin/data.bin'), data);
  assert.deepEqual((await R2Storage.list(ns)).map((o) => o.key), ['bin/data.bin']);

  await R2Storage.putObject(ns, 'empty', Buffer.alloc(0));
  assert.deepEqual((await R2Storage.getObject(ns, 'empty')).body, Buffer.alloc(0));
  assert.equal(await R2Storage.get(ns, 'empty'), null); // legacy quirk

  assert.equal(await R2Storage.delete(ns, 'bin/data.bin'), true);
  assert.equal(await R2Storage.head(ns, 'bin/data.bin'), null);
  assert.equal(await R2Storage.getObject(ns, 'bin/data.bin'), null);
});

test('R2: awkward keys round-trip on both routes', async () => {
  const ns = uniqueNs();
  for (const [i, key] of AWKWARD_KEYS.entries()) {
    if (i % 2) await R2Storage.put(ns, key, key);
    else await R2Storage.putObject(ns, key, key);
  }
  for (const key of AWKWARD_KEYS) {
    assert.equal((await R2Storage.getObject(ns, key)).body.toString(), key, key);
    assert.equal((await R2Storage.get(ns, key)).toString(), key, key);
  }
  assert.deepEqual((await collect(R2Storage.listAll(ns))).map((o) => o.key).sort(byteOrder), [...AWKWARD_KEYS].sort(byteOrder));
});

test('R2: range reads', async () => {
  const ns = uniqueNs();
  await R2Storage.putObject(ns, 'r', '0123456789abcdef');
  const cases = [
    [{ offset: 2, length: 4 }, '2345', { offset: 2, length: 4 }],
    [{ offset: 10 }, 'abcdef', { offset: 10, length: 6 }],
    [{ suffix: 3 }, 'def', { offset: 13, length: 3 }],
    ['bytes=4-6', '456', { offset: 4, length: 3 }],
  ];
  for (const [range, expected, span] of cases) {
    const obj = await R2Storage.getObject(ns, 'r', { range });
    assert.equal(obj.status, 206);
    assert.equal(obj.body.toString(), expected);
    assert.deepEqual(obj.range, span);
    assert.equal(obj.size, 16);
  }
  await assert.rejects(R2Storage.getObject(ns, 'r', { range: { offset: 100 } }), RangeNotSatisfiableError);
});

test('R2: conditional get', async () => {
  const ns = uniqueNs();
  const obj = await R2Storage.putObject(ns, 'c', 'v1');
  assert.equal((await R2Storage.getObject(ns, 'c', { ifMatch: obj.etag })).body.toString(), 'v1');
  assert.equal((await R2Storage.getObject(ns, 'c', { ifNoneMatch: 'other' })).body.toString(), 'v1');
  const nm = await R2Storage.getObject(ns, 'c', { ifNoneMatch: obj.etag });
  assert.equal(nm.notModified, true);
  assert.equal(nm.body, null);
  await assert.rejects(R2Storage.getObject(ns, 'c', { ifMatch: '0'.repeat(32) }), (err) => err instanceof PreconditionFailedError && err.status === 412);
  const future = new Date(Date.now() + 86400_000);
  const past = new Date(Date.now() - 86400_000);
  assert.equal((await R2Storage.getObject(ns, 'c', { ifModifiedSince: future })).notModified, true);
  assert.equal((await R2Storage.getObject(ns, 'c', { ifModifiedSince: past })).body.toString(), 'v1');
  await assert.rejects(R2Storage.getObject(ns, 'c', { ifUnmodifiedSince: past }), PreconditionFailedError);
});

test('R2: conditional put (create-if-absent, compare-and-swap)', async () => {
  const ns = uniqueNs();
  const v1 = await R2Storage.putObject(ns, 'lock', 'v1', { ifNoneMatch: '*' });
  await assert.rejects(R2Storage.putObject(ns, 'lock', 'again', { ifNoneMatch: '*' }), (err) => err instanceof PreconditionFailedError && /^R2 put failed: /.test(err.message));
  assert.equal((await R2Storage.getObject(ns, 'lock')).body.toString(), 'v1');
  const v2 = await R2Storage.putObject(ns, 'lock', 'v2', { ifMatch: v1.etag });
  await assert.rejects(R2Storage.putObject(ns, 'lock', 'v3', { ifMatch: v1.etag }), PreconditionFailedError);
  assert.equal((await R2Storage.getObject(ns, 'lock')).body.toString(), 'v2');
  assert.notEqual(v2.etag, v1.etag);
});

test('R2: file and stream helpers (small)', async () => {
  const ns = uniqueNs();
  const dir = tmpDir();
  const src = path.join(dir, 'in.txt');
  fs.writeFileSync(src, 'line\n'.repeat(1000));
  const obj = await R2Storage.putFile(ns, 'docs/in.txt', src, { metadata: { k: 'v' } });
  assert.equal(obj.size, 5000);
  assert.equal((await R2Storage.head(ns, 'docs/in.txt')).httpMetadata.contentType, 'text/plain');
  const dst = path.join(dir, 'out.txt');
  const meta = await R2Storage.getFile(ns, 'docs/in.txt', dst);
  assert.deepEqual(fs.readFileSync(dst), fs.readFileSync(src));
  assert.deepEqual(meta.customMetadata, { k: 'v' });
  assert.equal(await R2Storage.getFile(ns, 'missing', path.join(dir, 'nothing')), null);
  assert.equal(fs.existsSync(path.join(dir, 'nothing')), false);

  const streamed = await R2Storage.getStream(ns, 'docs/in.txt', { range: { offset: 0, length: 10 } });
  const chunks = [];
  for await (const c of streamed.body) chunks.push(c);
  assert.equal(Buffer.concat(chunks).toString(), 'line\nline\n');

  // a Readable of unknown length goes out chunked; one of known length with contentLength
  assert.equal((await R2Storage.putObject(ns, 'piped', Readable.from([Buffer.from('abc'), Buffer.from('def')]))).size, 6);
  assert.equal((await R2Storage.getObject(ns, 'piped')).body.toString(), 'abcdef');
  assert.equal((await R2Storage.putObject(ns, 'sized', fs.createReadStream(src), { contentLength: 5000 })).size, 5000);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('R2: pagination over 1,000 objects and delimiter listing', async () => {
  const ns = uniqueNs();
  const keys = Array.from({ length: 1010 }, (_, i) => `p/${String(i).padStart(4, '0')}`);
  for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => R2Storage.putObject(ns, k, 'x')));
  await R2Storage.putObject(ns, 'q/a/1', 'x');
  await R2Storage.putObject(ns, 'q/b/1', 'x');
  const first = await R2Storage.listPage(ns, 'p/', 1000);
  assert.equal(first.objects.length, 1000);
  assert.equal(first.truncated, true);
  assert.deepEqual((await collect(R2Storage.listAll(ns, 'p/'))).map((o) => o.key), keys);
  const grouped = await R2Storage.listPage(ns, 'q/', 1000, undefined, '/');
  assert.deepEqual(grouped.objects, []);
  assert.deepEqual(grouped.delimitedPrefixes, ['q/a/', 'q/b/']);
});

// ------------------------------------------------------------------ ESM entry, auth, signed URLs

test('ESM entry exposes the same API', async () => {
  const esm = await import('../era_storage.mjs');
  assert.equal(esm.KVStorage, sdk.KVStorage);
  assert.equal(esm.default.StorageError, sdk.StorageError);
  const ns = uniqueNs();
  await esm.KVStorage.set(ns, 'k', 'from esm');
  assert.equal(await sdk.KVStorage.get(ns, 'k'), 'from esm');
});

test('auth: bearer token from ERA_EMU_TOKEN', async (t) => {
  const secured = await startEmulator({ args: ['--token', 't0ps3cret'], env: { ERA_EMU_TOKEN: undefined } });
  t.after(() => secured.stop());
  const saved = process.env.ERA_EMU_TOKEN;
  t.after(() => {
    if (saved === undefined) delete process.env.ERA_EMU_TOKEN;
    else process.env.ERA_EMU_TOKEN = saved;
  });
  const c = new Client({ baseUrl: secured.url, retries: 0 });
  delete process.env.ERA_EMU_TOKEN;
  await assert.rejects(c.kv.set('authns', 'k', 'v'), (err) => err.status === 401);
  process.env.ERA_EMU_TOKEN = 'wrong';
  await assert.rejects(c.kv.get('authns', 'k'), StorageError);
  process.env.ERA_EMU_TOKEN = 't0ps3cret';
  assert.equal(await c.kv.set('authns', 'k', 'v'), true);
  assert.equal(await c.kv.get('authns', 'k'), 'v');
});

test('signUrl: a GET URL works without a token until it expires on the virtual clock', async () => {
  const ns = uniqueNs();
  const signed = await sdk.signUrl(ns, 'shared.txt', { method: 'GET', expiresIn: 300 });
  assert.ok(signed.url.startsWith(`${emu.url}/signed/`));
  assert.match(signed.expires_at, /Z$/);
  assert.equal(signed.one_time, false);
  await R2Storage.put(ns, 'shared.txt', 'signed content');
  const res = await fetch(signed.url);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'signed content');
  const tampered = await fetch(signed.url.replace('shared.txt', 'other.txt'));
  assert.equal(tampered.status, 403);
  assert.equal((await tampered.json()).reason, 'bad_signature');
  await emu.advance(300_000);
  const late = await fetch(signed.url);
  assert.equal(late.status, 403);
  assert.equal((await late.json()).code, 'SIGNED_URL_EXPIRED');
});

test('signUrl: a one-time PUT URL with constraints stores exactly one upload', async () => {
  const ns = uniqueNs();
  const signed = await R2Storage.signUrl(ns, 'upload.bin', {
    method: 'put', oneTime: true, contentType: 'application/octet-stream', maxBytes: 8,
  });
  assert.equal(signed.method, 'PUT');
  assert.equal(signed.one_time, true);
  const put = (body, type = 'application/octet-stream') =>
    fetch(signed.url, { method: 'PUT', body, headers: { 'Content-Type': type } });
  let r = await put('123456789');
  assert.equal(r.status, 403);
  assert.equal((await r.json()).reason, 'too_large');
  r = await put('1234', 'text/plain');
  assert.equal((await r.json()).reason, 'content_type_mismatch');
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => put(`body-${i}`)));
  assert.equal(results.filter((x) => x.status === 200).length, 1);
  assert.equal(results.filter((x) => x.status === 403).length, 7);
  await Promise.all(results.map((x) => x.arrayBuffer()));
  const stored = (await R2Storage.get(ns, 'upload.bin')).toString();
  assert.match(stored, /^body-\d$/);
});

test('signUrl: invalid requests are a 400 StorageError', async () => {
  await assert.rejects(sdk.signUrl(uniqueNs(), 'k', { expiresIn: 604_801 }), (err) => err.status === 400);
});
