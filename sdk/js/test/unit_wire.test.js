// Unit tests against an in-process stub server: bytes on the wire (URL encoding, bodies,
// headers) and the mapping of responses to return values and errors.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { Readable } = require('node:stream');

const sdk = require('../era_storage.js');
const { Client, StorageError, NotFoundError, PreconditionFailedError, RateLimitedError, RangeNotSatisfiableError, StorageConnectionError } = sdk;
const { startStub, closedPort } = require('../testing/emulator.js');

let stub;
let client;
test.beforeEach(async () => {
  stub = await startStub();
  client = new Client({ baseUrl: stub.url, token: '', location: '', backoff: 1 });
});
test.afterEach(async () => {
  await stub.close();
});

const KEY_CASES = [
  ['plain', 'plain'],
  ['with space', 'with%20space'],
  ['q?x=1', 'q%3Fx%3D1'],
  ['frag#ment', 'frag%23ment'],
  ['100%', '100%25'],
  ['a%20b', 'a%2520b'],
  ['plus+sign', 'plus%2Bsign'],
  ['unicodé/日本', 'unicod%C3%A9/%E6%97%A5%E6%9C%AC'],
  ['emoji😀', 'emoji%F0%9F%98%80'],
  ['dir/sub/file.txt', 'dir/sub/file.txt'],
  ['a/../b', 'a%2F..%2Fb'],
  ['./x', '.%2Fx'],
  ['x/.', 'x%2F.'],
  ['a..b/.hidden', 'a..b/.hidden'],
  ['tilde~_-.', 'tilde~_-.'],
  ["bang!'()*", 'bang%21%27%28%29%2A'],
  ['colon:semi;at@', 'colon%3Asemi%3Bat%40'],
  ['trailing/', 'trailing/'],
];

test('encodeKey: escapes everything but unreserved characters and /', () => {
  for (const [key, wire] of KEY_CASES) assert.equal(sdk.encodeKey(key), wire, key);
  assert.throws(() => sdk.encodeKey(42), TypeError);
  assert.throws(() => sdk.encodeKey('..'), /is not allowed as a key name/);
});

test('KV set: encoded key in the path and the legacy body', async () => {
  assert.equal(await client.kv.set('my ns', 'user ?#%/é', 'v'), true);
  const req = stub.requests.at(-1);
  assert.equal(req.method, 'PUT');
  assert.equal(req.path, '/api/storage/kv/my%20ns/user%20%3F%23%25/%C3%A9');
  assert.equal(req.headers['content-type'], 'application/json');
  assert.deepEqual(req.json(), { value: 'v', metadata: null });
});

test('KV set: ttl, expiration and metadata', async () => {
  await client.kv.set('ns', 'k', 'v', { a: 1 }, { ttl: 120, expiration: new Date(2_000_000_000_000) });
  assert.deepEqual(stub.requests.at(-1).json(), { value: 'v', metadata: { a: 1 }, expirationTtl: 120, expiration: 2_000_000_000 });
});

test('list: prefix and cursor are query-encoded; legacy default limit is 100', async () => {
  stub.reply(200, { keys: [{ name: 'a&b' }], list_complete: true });
  assert.deepEqual(await client.kv.list('ns', 'a&b c+/', 5, { cursor: 'c/=+' }), [{ name: 'a&b' }]);
  assert.equal(stub.requests.at(-1).path, '/api/storage/kv/ns?prefix=a%26b%20c%2B%2F&limit=5&cursor=c%2F%3D%2B');
  stub.reply(200, { objects: [], truncated: false });
  await client.r2.list('ns');
  assert.equal(stub.requests.at(-1).path, '/api/storage/r2/ns?prefix=&limit=100');
});

test('env: token and location headers; static classes use the default client', async (t) => {
  const saved = { ...process.env };
  t.after(() => {
    for (const k of ['ERA_STORAGE_URL', 'ERA_EMU_TOKEN', 'ERA_LOCATION']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });
  process.env.ERA_STORAGE_URL = stub.url;
  process.env.ERA_EMU_TOKEN = 's3cret';
  process.env.ERA_LOCATION = 'eu-west';
  stub.reply(200, { value: 'hello' });
  assert.equal(await sdk.KVStorage.get('ns', 'k'), 'hello');
  assert.equal(stub.requests.at(-1).headers.authorization, 'Bearer s3cret');
  assert.equal(stub.requests.at(-1).headers['x-era-location'], 'eu-west');
  delete process.env.ERA_EMU_TOKEN;
  delete process.env.ERA_LOCATION;
  stub.reply(200, { success: true, results: [{ x: 1 }], meta: {} });
  assert.deepEqual(await sdk.D1Storage.query('ns', 'SELECT 1 AS x'), [{ x: 1 }]);
  assert.equal(stub.requests.at(-1).headers.authorization, undefined);
  assert.deepEqual(stub.requests.at(-1).json(), { sql: 'SELECT 1 AS x', params: [] });
});

test('legacy getters: 404 → null, and the documented empty → null quirk', async () => {
  stub.reply(404, { error: 'Key not found' });
  assert.equal(await client.kv.get('ns', 'missing'), null);
  stub.reply(200, { value: '' });
  assert.equal(await client.kv.get('ns', 'empty'), null); // legacy JS quirk, spec §6
  stub.reply(200, { value: '', metadata: null });
  assert.equal((await client.kv.getWithMetadata('ns', 'empty')).value, '');
  stub.reply(200, { content: Buffer.from('xyz').toString('base64'), size: 3 });
  assert.deepEqual(await client.r2.get('ns', 'f'), Buffer.from('xyz'));
  stub.reply(200, { content: '', size: 0 });
  assert.equal(await client.r2.get('ns', 'empty'), null);
  stub.reply(404, { error: 'Object not found' });
  assert.equal(await client.r2.get('ns', 'missing'), null);
});

test('R2 put: base64 body and input type check', async () => {
  stub.reply(200, { success: true, size: 3 });
  assert.equal(await client.r2.put('ns', 'f.bin', Buffer.from([0, 255, 65]), { m: '1' }), true);
  assert.deepEqual(stub.requests.at(-1).json(), { content: Buffer.from([0, 255, 65]).toString('base64'), metadata: { m: '1' } });
  await assert.rejects(client.r2.put('ns', 'x', 42), /Content must be string, Buffer, or Uint8Array/);
});

test('D1: exec returns the whole body; batch normalises statements', async () => {
  const body = { success: true, meta: { changes: 1, last_row_id: 7 } };
  stub.reply(200, body);
  assert.deepEqual(await client.d1.exec('ns', 'INSERT INTO t VALUES (?)', [1]), body);
  assert.equal(stub.requests.at(-1).path, '/api/storage/d1/ns/exec');
  stub.reply(200, { success: true, results: [] });
  await client.d1.batch('ns', ['SELECT 1', ['SELECT ?', [2]], { sql: 'SELECT ?', params: [3] }]);
  assert.deepEqual(stub.requests.at(-1).json(), {
    statements: [
      { sql: 'SELECT 1', params: [] },
      { sql: 'SELECT ?', params: [2] },
      { sql: 'SELECT ?', params: [3] },
    ],
  });
});

test('errors: legacy wording, fields, details appended', async () => {
  stub.reply(400, { error: 'Key required', code: 'KV_KEY_REQUIRED' });
  await assert.rejects(client.kv.set('ns', 'k', 'v'), (err) => {
    assert.ok(err instanceof StorageError && err instanceof Error);
    assert.equal(err.message, 'KV set failed: Key required');
    assert.equal(err.status, 400);
    assert.equal(err.code, 'KV_KEY_REQUIRED');
    assert.equal(err.error, 'Key required');
    return true;
  });
  stub.reply(500, { error: 'D1 query failed', details: 'D1_ERROR: no such table: nope' });
  await assert.rejects(client.d1.query('ns', 'SELECT * FROM nope'), (err) => {
    assert.equal(err.message, 'D1 query failed: D1 query failed (D1_ERROR: no such table: nope)');
    assert.equal(err.details, 'D1_ERROR: no such table: nope');
    return true;
  });
  stub.reply(404, 'Not found', { 'content-type': 'text/plain' });
  await assert.rejects(client.resources.stats(), (err) => err instanceof NotFoundError && err.message === 'Resources stats failed: Not found');
});

test('errors: status → class', async () => {
  const c = new Client({ baseUrl: stub.url, token: '', location: '', retries: 0 });
  const cases = [[404, NotFoundError], [412, PreconditionFailedError], [416, RangeNotSatisfiableError], [429, RateLimitedError], [500, StorageError]];
  for (const [status, Cls] of cases) {
    stub.reply(status, { error: 'boom', code: 'X' }, { 'retry-after': '3' });
    await assert.rejects(c.kv.delete('ns', 'k'), (err) => {
      assert.ok(err instanceof Cls, `${status} -> ${err.name}`);
      assert.equal(err.status, status);
      assert.equal(err.message, 'KV delete failed: boom');
      if (Cls === RateLimitedError) assert.equal(err.retryAfter, 3);
      return true;
    });
  }
});

test('retries: reads retry on 503/429 and stay bounded', async () => {
  stub.reply(503, { error: 'busy' });
  stub.reply(429, { error: 'slow down' }, { 'retry-after': '0' });
  stub.reply(200, { value: 'ok' });
  assert.equal(await client.kv.get('ns', 'k'), 'ok');
  assert.equal(stub.requests.length, 3);
  stub.requests.length = 0;
  for (let i = 0; i < 5; i++) stub.reply(503, { error: 'busy' });
  await assert.rejects(client.kv.get('ns', 'k'), (err) => err.status === 503);
  assert.equal(stub.requests.length, 3);
});

test('retries: writes are not retried unless asked', async () => {
  const c = new Client({ baseUrl: stub.url, token: '', location: '', retries: 3, backoff: 1 });
  stub.reply(503, { error: 'busy' });
  await assert.rejects(c.kv.set('ns', 'k', 'v'));
  assert.equal(stub.requests.length, 1);
  stub.reply(503, { error: 'busy' });
  assert.equal(await c.kv.set('ns', 'k', 'v', null, { retry: true }), true);
  assert.equal(stub.requests.length, 3);
  const w = new Client({ baseUrl: stub.url, token: '', location: '', retries: 3, backoff: 1, retryWrites: true });
  stub.reply(503, { error: 'busy' });
  assert.equal(await w.kv.set('ns', 'k', 'v'), true);
});

test('retries: a one-shot stream is never re-sent', async () => {
  stub.reply(503, { error: 'busy' });
  await assert.rejects(client.r2.putObject('b', 'k', Readable.from([Buffer.from('hello')]), { retry: true }), (err) => err.status === 503);
  assert.equal(stub.requests.length, 1);
  assert.equal(stub.requests[0].body.toString(), 'hello');
});

test('connection refused: StorageConnectionError after bounded retries, naming the URL and the fix', async () => {
  const url = `http://127.0.0.1:${await closedPort()}`;
  const c = new Client({ baseUrl: url, retries: 2, backoff: 1 });
  await assert.rejects(c.kv.set('ns', 'k', 'v'), (err) => {
    assert.ok(err instanceof StorageConnectionError);
    assert.equal(err.code, 'CONNECTION_FAILED');
    assert.equal(err.status, null);
    assert.ok(err.message.startsWith(`KV set failed: cannot reach ${url} (ECONNREFUSED)`), err.message);
    assert.match(err.message, /era-emu up/);
    assert.match(err.message, /ERA_STORAGE_URL/);
    return true;
  });
});

test('default URL: where era-emu up listens', () => {
  const saved = process.env.ERA_STORAGE_URL;
  try {
    delete process.env.ERA_STORAGE_URL;
    assert.equal(new Client({ token: '' })._baseUrl(), 'http://127.0.0.1:8787');
    process.env.ERA_STORAGE_URL = 'http://127.0.0.1:9/';
    assert.equal(new Client({ token: '' })._baseUrl(), 'http://127.0.0.1:9');
  } finally {
    if (saved === undefined) delete process.env.ERA_STORAGE_URL;
    else process.env.ERA_STORAGE_URL = saved;
  }
});

test('timeout: StorageConnectionError with code TIMEOUT', async () => {
  let release;
  const gate = new Promise((resolve) => (release = resolve));
  stub.replyWith(async () => {
    await gate;
    return { status: 200, headers: {}, raw: '{}' };
  });
  const c = new Client({ baseUrl: stub.url, token: '', location: '', timeout: 200, retries: 0 });
  try {
    await assert.rejects(c.kv.set('ns', 'k', 'v'), (err) => err instanceof StorageConnectionError && err.code === 'TIMEOUT');
  } finally {
    release();
  }
});

test('binary route: put headers and returned object', async () => {
  stub.reply(200, { key: 'a b', size: 2, etag: 'abc', httpEtag: '"abc"', uploaded: '2026-01-01T00:00:00.000Z', version: 'v1' });
  const obj = await client.r2.putObject('bkt', 'a b', 'hi', {
    contentType: 'text/plain',
    metadata: { owner: 'ada', note: 'café' },
    httpMetadata: { cacheControl: 'no-cache' },
    ifNoneMatch: '*',
  });
  const req = stub.requests.at(-1);
  assert.equal(req.path, '/api/r2/bkt/a%20b');
  assert.equal(req.body.toString(), 'hi');
  assert.equal(req.headers['content-type'], 'text/plain');
  assert.equal(req.headers['if-none-match'], '*');
  assert.equal(req.headers['cache-control'], 'no-cache');
  assert.equal(req.headers['x-era-meta-owner'], 'ada');
  assert.equal(Buffer.from(req.headers['x-era-meta-note'], 'latin1').toString('utf8'), 'café');
  assert.equal(obj.etag, 'abc');
  assert.equal(obj.httpEtag, '"abc"');
  assert.equal(obj.uploaded.getUTCFullYear(), 2026);
});

test('binary route: range and conditional headers; 206 and 304 parsing', async () => {
  stub.reply(206, 'bc', { etag: '"e1"', 'content-range': 'bytes 1-2/10', 'last-modified': 'Thu, 01 Jan 2026 00:00:00 GMT', 'x-era-meta-owner': 'ada', 'content-type': 'text/plain' });
  const obj = await client.r2.getObject('b', 'k', { range: { offset: 1, length: 2 }, ifMatch: 'e1', ifModifiedSince: new Date(0) });
  const req = stub.requests.at(-1);
  assert.equal(req.headers.range, 'bytes=1-2');
  assert.equal(req.headers['if-match'], '"e1"');
  assert.equal(req.headers['if-modified-since'], 'Thu, 01 Jan 1970 00:00:00 GMT');
  assert.equal(obj.status, 206);
  assert.equal(obj.body.toString(), 'bc');
  assert.deepEqual(obj.range, { offset: 1, length: 2 });
  assert.equal(obj.size, 10);
  assert.deepEqual(obj.customMetadata, { owner: 'ada' });
  assert.equal(obj.httpMetadata.contentType, 'text/plain');
  stub.reply(304, '', { etag: '"e1"' });
  const nm = await client.r2.getObject('b', 'k', { ifNoneMatch: 'e1' });
  assert.equal(nm.notModified, true);
  assert.equal(nm.body, null);
  stub.reply(200, '', {});
  assert.deepEqual((await client.r2.getObject('b', 'empty')).body, Buffer.alloc(0));
});

test('signUrl: request body', async () => {
  stub.reply(200, { url: 'http://x/signed', expires_at: '2026-01-01T00:00:00Z' });
  const out = await client.r2.signUrl('b', 'k', { method: 'put', expiresIn: 60, oneTime: true, contentType: 'image/png', maxBytes: 10 });
  assert.equal(out.url, 'http://x/signed');
  assert.equal(stub.requests.at(-1).path, '/api/signed-urls');
  assert.deepEqual(stub.requests.at(-1).json(), { bucket: 'b', key: 'k', method: 'PUT', expiresIn: 60, oneTime: true, contentType: 'image/png', maxBytes: 10 });
});

test('listAll: follows cursors, tolerates empty pages, refuses a stuck cursor', async () => {
  stub.reply(200, { keys: [{ name: 'a' }], list_complete: false, cursor: 'c1' });
  stub.reply(200, { keys: [], list_complete: false, cursor: 'c2' });
  stub.reply(200, { keys: [{ name: 'b' }], list_complete: true });
  const names = [];
  for await (const k of client.kv.listAll('ns', 'p')) names.push(k.name);
  assert.deepEqual(names, ['a', 'b']);
  assert.deepEqual(stub.requests.map((r) => r.path), [
    '/api/storage/kv/ns?prefix=p&limit=1000',
    '/api/storage/kv/ns?prefix=p&limit=1000&cursor=c1',
    '/api/storage/kv/ns?prefix=p&limit=1000&cursor=c2',
  ]);
  stub.reply(200, { keys: [], list_complete: false, cursor: 'same' });
  stub.reply(200, { keys: [], list_complete: false, cursor: 'same' });
  await assert.rejects(async () => {
    for await (const _ of client.kv.listAll('ns')) void _;
  }, StorageError);
});
