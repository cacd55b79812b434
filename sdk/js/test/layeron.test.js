// era-storage/layeron: Layeron's storage API over a real era-emu — argument checks made before
// any request, KV specifics (JSON values, contentType, per-key TTL on the virtual clock,
// ifNotExists), read handles read once, faults reaching Layeron code as StorageErrors, and the
// backend() stand-in's routing. The documented examples run in fixtures/jest (vitest).
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');

const { storage, storageSignedUrl, secret, backend, StorageError } = require('../layeron.js');
const { emulatorForFile, uniqueNs } = require('../testing/emulator.js');

const started = emulatorForFile(test, { frozen: true });

test('bad arguments are StorageErrors before any request', async () => {
  const code = (fn) => {
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof StorageError, String(e));
      return [e.code, e.status];
    }
    assert.fail('did not throw');
  };
  assert.deepEqual(code(() => storage.bucket({ name: 'has space' })), ['storage_invalid_argument', 400]);
  assert.deepEqual(code(() => storage.bucket({ name: 'ok', acces: 'private' })), ['storage_invalid_argument', 400]);
  assert.deepEqual(code(() => storage.kv({ name: 'ok', ttlSeconds: 59 })), ['storage_invalid_argument', 400]);
  assert.deepEqual(code(() => storage.kv({ name: 'ok', namespace: '' })), ['storage_invalid_argument', 400]);
  assert.deepEqual(code(() => secret.random({ name: 'k', bytes: 8 })), ['storage_invalid_argument', 400]);
  const bucket = storage.bucket({ name: uniqueNs() });
  await assert.rejects(storageSignedUrl(bucket, 'k', { action: 'delete' }), /action must be "read" or "write"/);
  await assert.rejects(storageSignedUrl(bucket, 'k', { expiresInSeconds: 604801 }), /expiresInSeconds/);
  await assert.rejects(storageSignedUrl(bucket, 'k', { action: 'read', maxSizeBytes: 1 }), /"write" links only/);
  await assert.rejects(storageSignedUrl({ name: 'x' }, 'k'), /needs a storage.bucket\(\) module/);
  await assert.rejects(bucket.list({ limit: 1001 }), /limit must be a whole number from 1 to 1000/);
});

test('kv: JSON values, contentType and metadata round trip; ttlSeconds and the store default expire on the clock', async () => {
  const kv = storage.kv({ name: uniqueNs(), namespace: 'app', ttlSeconds: 3600 });
  assert.equal(await kv.storeName(), `app__${kv.name}`);
  await kv.put('flags', { beta: true }); // a JSON value: stringified, typed
  await kv.put('note', 'plain', { metadata: { by: 'ann' }, ttlSeconds: 60 });
  const flags = await kv.get('flags');
  assert.equal(flags.contentType, 'application/json');
  assert.deepEqual(await flags.json(), { beta: true });
  await assert.rejects(flags.text(), /already been used/); // read once
  const note = await kv.head('note');
  assert.deepEqual(note, { key: 'note', contentType: undefined, metadata: { by: 'ann' }, size: 5 });
  const listed = await kv.list();
  assert.deepEqual(listed.items.map((i) => i.key), ['flags', 'note']);
  assert.equal(listed.cursor, undefined);
  assert.ok(listed.items.every((i) => i.expiresAt instanceof Date));

  await started.emu.advance(61_000);
  assert.equal(await kv.get('note'), null); // its own 60 s
  assert.notEqual(await kv.get('flags'), null);
  await started.emu.advance(3600_000);
  assert.equal(await kv.get('flags'), null); // the store's 1 h default
});

test('kv: ifNotExists → 409 storage_key_already_exists; bytes stay bytes; delete is idempotent', async () => {
  const kv = storage.kv({ name: uniqueNs() });
  await kv.put('k', new Uint8Array([0, 255, 7]), { ifNotExists: true });
  const err = await kv.put('k', 'again', { ifNotExists: true }).catch((e) => e);
  assert.ok(err instanceof StorageError);
  assert.deepEqual([err.code, err.status], ['storage_key_already_exists', 409]);
  const h = await kv.get('k');
  assert.deepEqual(await h.bytes(), new Uint8Array([0, 255, 7]));
  await kv.delete('k');
  await kv.delete('k');
  assert.equal(await kv.get('k'), null);
  await assert.rejects(kv.put('short', 'v', { ttlSeconds: 30 }), /ttlSeconds must be a whole number of seconds >= 60/);
});

test('bucket: Blob and stream bodies, read handle streams, list pages with cursor', async () => {
  const bucket = storage.bucket({ name: uniqueNs(), lifecycle: { deleteAfterDays: 1 } });
  const put = await bucket.put('a.txt', new Blob(['from a blob']), { contentType: 'text/plain', metadata: { n: 1 } });
  assert.equal(put.size, 11);
  assert.deepEqual(put.metadata, { n: '1' });
  assert.ok(put.storedAt instanceof Date);
  await bucket.put('b.bin', new ReadableStream({ start(c) { c.enqueue(new Uint8Array([1, 2, 3])); c.close(); } }));
  const h = await bucket.get('a.txt');
  const chunks = [];
  for await (const c of h.body) chunks.push(Buffer.from(c));
  assert.equal(Buffer.concat(chunks).toString(), 'from a blob');
  assert.equal(h.bodyUsed, true);

  const first = await bucket.list({ limit: 1 });
  assert.deepEqual(first.items.map((i) => i.key), ['a.txt']);
  assert.equal(typeof first.cursor, 'string');
  const second = await bucket.list({ limit: 1, cursor: first.cursor });
  assert.deepEqual(second.items.map((i) => i.key), ['b.bin']);
  assert.equal(second.cursor, undefined);

  // lifecycle.deleteAfterDays reached the emulator: a day later the objects are gone.
  await started.emu.advance(86_400_000 + 1000);
  assert.equal(await bucket.head('a.txt'), null);
});

test('a fault rule on R2 puts reaches Layeron code as a StorageError with its status', async () => {
  const bucket = storage.bucket({ name: uniqueNs() });
  await bucket.declare();
  await started.emu.control('POST', '/_emu/faults', {
    service: 'r2', op: 'put', namespace: await bucket.storeName(),
    action: { type: 'error', status: 503, code: 'UNAVAILABLE', message: 'injected' }, times: 1,
  });
  const err = await bucket.put('k', 'v').catch((e) => e);
  assert.ok(err instanceof StorageError);
  assert.equal(err.status, 503);
  assert.equal((await bucket.put('k', 'v')).size, 1); // the rule fired once
});

test('a declaration era-emu refuses is a StorageError, and is tried again next time', async () => {
  const locked = storage.bucket({ name: uniqueNs(), encryption: { secret: { kind: 'secret_ref', name: 'era-js-test-missing-key' } } });
  const err = await locked.put('k', 'v').catch((e) => e);
  assert.ok(err instanceof StorageError);
  assert.deepEqual([err.code, err.status], ['config_invalid', 400]);
  assert.match(err.message, /ERA_JS_TEST_MISSING_KEY is not set/);
  await assert.rejects(locked.head('k'), (e) => e.code === 'config_invalid');
});

test('backend(): params, methods, plain-object/string/empty results, StorageError mapping, 404', async () => {
  const app = backend();
  const bucket = storage.bucket({ name: uniqueNs() });
  app.use(bucket);
  app.get('/files/:name', async (req, ctx) => ({ name: req.params.name, same: ctx.params.name === req.params.name }));
  app.post('/files/:name', async (req) => bucket.put(req.params.name, await req.text(), { ifNotExists: true }));
  app.get('/text', () => 'hi');
  app.delete('/files/:name', async (req) => void (await bucket.delete(req.params.name)));
  app.get('/boom', () => {
    throw new Error('kaput');
  });
  const call = (method, path, body) => app.fetch(new Request(`http://t${path}`, { method, body }));

  assert.deepEqual(await (await call('GET', '/files/a%20b')).json(), { name: 'a b', same: true });
  assert.equal((await call('POST', '/files/x', 'one')).status, 200);
  const dup = await call('POST', '/files/x', 'two');
  assert.equal(dup.status, 409);
  assert.equal((await dup.json()).error.code, 'storage_key_already_exists');
  assert.equal(await (await call('GET', '/text')).text(), 'hi');
  assert.equal((await call('HEAD', '/text')).status, 200);
  assert.equal((await call('DELETE', '/files/x')).status, 204);
  assert.equal((await call('GET', '/boom')).status, 500);
  const missing = await call('PUT', '/files/x', 'z');
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).error.code, 'not_found');
});
