// Workers KVNamespace over era-emu (era-storage/platform): the runtime's argument forms, result
// shapes and errors (workerd src/workerd/api/kv.c++; developers.cloudflare.com/kv/api/), against a
// real era-emu. TTLs run on the virtual clock.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');

const { KVNamespace } = require('../platform.js');
const { emulatorForFile, uniqueNs } = require('../testing/emulator.js');

const started = emulatorForFile(test, { frozen: true });

test('put then get in each type; a missing key is null', async () => {
  const kv = new KVNamespace(uniqueNs());
  await kv.put('text', 'héllo');
  assert.equal(await kv.get('text'), 'héllo');
  assert.equal(await kv.get('text', 'text'), 'héllo');
  await kv.put('obj', JSON.stringify({ a: [1, 2] }));
  assert.deepEqual(await kv.get('obj', { type: 'json' }), { a: [1, 2] });
  assert.deepEqual(await kv.get('obj', 'json'), { a: [1, 2] });
  const bytes = new Uint8Array([0, 1, 254, 255]);
  await kv.put('bin', bytes);
  const ab = await kv.get('bin', 'arrayBuffer');
  assert.ok(ab instanceof ArrayBuffer);
  assert.deepEqual(new Uint8Array(ab), bytes);
  await kv.put('buf', bytes.buffer);
  assert.deepEqual(new Uint8Array(await kv.get('buf', 'arrayBuffer')), bytes);
  const stream = await kv.get('bin', 'stream');
  const chunks = [];
  for await (const c of stream) chunks.push(...c);
  assert.deepEqual(chunks, [...bytes]);
  await kv.put('from-stream', new Blob(['str', 'eam']).stream());
  assert.equal(await kv.get('from-stream'), 'stream');
  assert.equal(await kv.get('missing'), null);
  assert.equal(await kv.get('missing', 'json'), null);
  await assert.rejects(kv.get('obj', 'xml'), TypeError);
});

test('put with expirationTtl sets a TTL (not metadata); the clock expires it', async () => {
  const kv = new KVNamespace(uniqueNs());
  await kv.put('session', 'v', { expirationTtl: 120 });
  const r = await kv.getWithMetadata('session');
  assert.equal(r.value, 'v');
  assert.equal(r.metadata, null);
  const listed = await kv.list();
  assert.equal(listed.keys.length, 1);
  assert.ok(listed.keys[0].expiration > Date.now() / 1000 - 10 ** 6);
  await started.emu.advance(121000);
  assert.equal(await kv.get('session'), null);
  await assert.rejects(kv.put('short', 'v', { expirationTtl: 30 }), /KV PUT failed: 400 .*Expiration TTL must be at least 60/);
});

test('getWithMetadata returns value, metadata and cacheStatus', async () => {
  const kv = new KVNamespace(uniqueNs());
  await kv.put('k', 'v', { metadata: { owner: 'Zoë', n: 1 } });
  const first = await kv.getWithMetadata('k');
  assert.deepEqual(first.metadata, { owner: 'Zoë', n: 1 });
  assert.equal(first.value, 'v');
  assert.equal(first.cacheStatus, 'MISS');
  assert.equal((await kv.getWithMetadata('k', { type: 'text', cacheTtl: 60 })).cacheStatus, 'HIT');
  assert.deepEqual(await kv.getWithMetadata('nope'), { value: null, metadata: null, cacheStatus: null });
  await assert.rejects(kv.get('k', { cacheTtl: 5 }), /KV GET failed: 400 Invalid cache_ttl of 5/);
});

test('bulk get takes up to 100 keys and answers a Map', async () => {
  const kv = new KVNamespace(uniqueNs());
  await kv.put('a', '"alpha"', { metadata: { m: 1 } });
  await kv.put('b', '{"x":2}');
  const m = await kv.get(['a', 'b', 'c']);
  assert.ok(m instanceof Map);
  assert.deepEqual([...m.entries()], [['a', '"alpha"'], ['b', '{"x":2}'], ['c', null]]);
  const j = await kv.get(['a', 'b'], 'json');
  assert.equal(j.get('a'), 'alpha');
  assert.deepEqual(j.get('b'), { x: 2 });
  const wm = await kv.getWithMetadata(['a', 'c']);
  assert.deepEqual(wm.get('a'), { value: '"alpha"', metadata: { m: 1 } });
  assert.equal(wm.get('c'), null);
  const many = Array.from({ length: 101 }, (_, i) => `k${i}`);
  await assert.rejects(kv.get(many), TypeError);
  await assert.rejects(kv.get(['a'], 'arrayBuffer'), TypeError);
});

test('delete and list with prefix, limit and cursor', async () => {
  const kv = new KVNamespace(uniqueNs());
  for (let i = 0; i < 5; i++) await kv.put(`user:${i}`, String(i), { metadata: { i } });
  await kv.put('other', 'x');
  await kv.delete('user:4');
  await kv.delete('never-there');
  const page1 = await kv.list({ prefix: 'user:', limit: 2 });
  assert.deepEqual(page1.keys.map((k) => k.name), ['user:0', 'user:1']);
  assert.deepEqual(page1.keys[1].metadata, { i: 1 });
  assert.equal(page1.list_complete, false);
  assert.equal(typeof page1.cursor, 'string');
  const page2 = await kv.list({ prefix: 'user:', cursor: page1.cursor });
  assert.deepEqual(page2.keys.map((k) => k.name), ['user:2', 'user:3']);
  assert.equal(page2.list_complete, true);
  assert.equal('cursor' in page2, false);
  assert.equal(page2.cacheStatus, null);
  assert.equal((await kv.list()).keys.length, 5);
  await assert.rejects(kv.list({ limit: 1001 }), /KV LIST failed: 400/);
});

test('invalid keys and values throw what the runtime throws', async () => {
  const kv = new KVNamespace(uniqueNs());
  await assert.rejects(kv.get(''), { name: 'TypeError', message: 'Key name cannot be empty.' });
  await assert.rejects(kv.put('.', 'v'), { name: 'TypeError', message: '"." is not allowed as a key name.' });
  await assert.rejects(kv.delete('..'), { name: 'TypeError', message: '".." is not allowed as a key name.' });
  await assert.rejects(kv.get('k'.repeat(513)), { message: 'KV GET failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.' });
  await assert.rejects(kv.put('k', { a: 1 }), { name: 'TypeError', message: /accepts only strings, ArrayBuffers/ });
  // workerd's put body is OneOf<kj::String, JsObject> (src/workerd/api/kv.h): a number is coerced
  // to its string, as issue 18 item 11 found on the runtime.
  await kv.put('n', 123);
  assert.equal(await kv.get('n'), '123');
  assert.throws(() => new KVNamespace('bad/name'), TypeError);
});
