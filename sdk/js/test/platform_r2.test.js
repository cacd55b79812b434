// Workers R2Bucket over era-emu (era-storage/platform): the runtime's argument forms, result
// shapes and errors (workerd src/workerd/api/r2-bucket.c++;
// developers.cloudflare.com/r2/api/workers/workers-api-reference/), against a real era-emu.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');

const { R2Bucket, R2Object, R2ObjectBody } = require('../platform.js');
const { R2Storage } = require('../era_storage.js');
const { emulatorForFile, uniqueNs } = require('../testing/emulator.js');

emulatorForFile(test);

const hex = (alg, data) => crypto.createHash(alg).update(data).digest('hex');

test('put and get every body kind; metadata keeps its case; checksums come back', async () => {
  const b = new R2Bucket(uniqueNs());
  const put = await b.put('docs/a.txt', 'héllo', {
    httpMetadata: { contentType: 'text/plain', cacheControl: 'max-age=60' },
    customMetadata: { userId: 'Ann', 'Mixed-Case': 'ü' },
    sha256: hex('sha256', 'héllo'),
  });
  assert.ok(put instanceof R2Object);
  assert.equal(put.key, 'docs/a.txt');
  assert.equal(put.size, Buffer.byteLength('héllo'));
  assert.equal(put.etag, hex('md5', 'héllo'));
  assert.equal(put.httpEtag, `"${put.etag}"`);
  assert.ok(put.uploaded instanceof Date);
  assert.equal(put.storageClass, 'Standard');
  assert.deepEqual(put.customMetadata, { userId: 'Ann', 'Mixed-Case': 'ü' });
  assert.equal(put.httpMetadata.contentType, 'text/plain');
  assert.equal(Buffer.from(put.checksums.sha256).toString('hex'), hex('sha256', 'héllo'));
  assert.equal(put.checksums.toJSON().md5, put.etag);

  const got = await b.get('docs/a.txt');
  assert.ok(got instanceof R2ObjectBody);
  assert.equal(await got.text(), 'héllo');
  await assert.rejects(got.text(), TypeError);
  assert.deepEqual(got.customMetadata, { userId: 'Ann', 'Mixed-Case': 'ü' });
  assert.equal(got.httpMetadata.contentType, 'text/plain');
  const h = new Headers();
  got.writeHttpMetadata(h);
  assert.equal(h.get('content-type'), 'text/plain');
  assert.equal(h.get('cache-control'), 'max-age=60');

  const bytes = crypto.randomBytes(3000);
  await b.put('bin', bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  assert.deepEqual(Buffer.from(await (await b.get('bin')).arrayBuffer()), bytes);
  await b.put('view', new Uint16Array([1, 2]));
  assert.equal((await b.head('view')).size, 4);
  await b.put('blob', new Blob(['{"a":', '1}'], { type: 'application/json' }));
  assert.deepEqual(await (await b.get('blob')).json(), { a: 1 });
  await b.put('stream', new Blob(['str', 'eam']).stream());
  assert.equal(await (await b.get('stream')).text(), 'stream');
  await b.put('empty', null);
  const empty = await b.get('empty');
  assert.equal(empty.size, 0);
  assert.equal(await empty.text(), '');
  assert.equal((await (await b.get('blob')).blob()).size, 7);
  // Without its own type the object has none (the HTTP route's octet-stream fallback is not metadata).
  assert.equal((await b.head('bin')).httpMetadata.contentType, undefined);
  assert.equal(await b.get('nope'), null);
  assert.equal(await b.head('nope'), null);
  // The same object through the SDK's binary route.
  assert.equal(Buffer.from(await R2Storage.get(b._bucket, 'docs/a.txt')).toString(), 'héllo');
});

test('onlyIf: a failed condition gives an R2Object without a body on get and null on put', async () => {
  const b = new R2Bucket(uniqueNs());
  const first = await b.put('k', 'v1');
  const notMod = await b.get('k', { onlyIf: { etagDoesNotMatch: first.etag } });
  assert.ok(notMod instanceof R2Object);
  assert.equal('body' in notMod, false);
  const match = await b.get('k', { onlyIf: { etagMatches: first.etag } });
  assert.equal(await match.text(), 'v1');
  const viaHeaders = await b.get('k', { onlyIf: new Headers({ 'if-match': '"other"' }) });
  assert.equal('body' in viaHeaders, false);
  assert.equal(await b.put('k', 'v2', { onlyIf: { etagMatches: 'other' } }), null);
  assert.equal(await (await b.get('k')).text(), 'v1');
  const second = await b.put('k', 'v2', { onlyIf: { etagMatches: first.etag } });
  assert.equal(second.etag, hex('md5', 'v2'));
  assert.equal(await b.put('k', 'v3', { onlyIf: { etagDoesNotMatch: '*' } }), null);
  await assert.rejects(b.get('k', { onlyIf: { etagMatches: `"${second.etag}"` } }), {
    name: 'TypeError',
    message: `Conditional ETag should not be wrapped in quotes ("${second.etag}").`,
  });
  const past = new Date(Date.now() - 3600 * 1000);
  assert.equal('body' in (await b.get('k', { onlyIf: { uploadedBefore: past } })), false);
  assert.equal(await (await b.get('k', { onlyIf: { uploadedAfter: past } })).text(), 'v2');
});

test('ranges: offset/length, offset, suffix, Headers', async () => {
  const b = new R2Bucket(uniqueNs());
  await b.put('r', '0123456789');
  const part = await b.get('r', { range: { offset: 2, length: 3 } });
  assert.equal(await part.text(), '234');
  assert.deepEqual(part.range, { offset: 2, length: 3 });
  assert.equal(part.size, 10);
  assert.equal(await (await b.get('r', { range: { offset: 7 } })).text(), '789');
  assert.equal(await (await b.get('r', { range: { suffix: 2 } })).text(), '89');
  assert.equal(await (await b.get('r', { range: new Headers({ range: 'bytes=0-1' }) })).text(), '01');
  await assert.rejects(b.get('r', { range: { suffix: 2, offset: 1 } }), { name: 'TypeError', message: 'Suffix is incompatible with offset.' });
  await assert.rejects(b.get('r', { range: { offset: -1 } }), RangeError);
  // Past the end: the whole object, as workerd's R2 (issue 18, item 12), not an error.
  const past = await b.get('r', { range: new Headers({ range: 'bytes=20-30' }) });
  assert.equal(await past.text(), '0123456789');
  assert.equal(past.range, undefined);
  assert.equal(await (await b.get('r', { range: { offset: 10 } })).text(), '0123456789');
});

test('customMetadata values are coerced to strings, as workerd does', async () => {
  const b = new R2Bucket(uniqueNs());
  await b.put('m', 'x', { customMetadata: { n: 1, ok: true } });
  assert.deepEqual((await b.head('m')).customMetadata, { n: '1', ok: 'true' });
});

test('put hashes: one algorithm at a time, verified, wrong forms are TypeErrors', async () => {
  const b = new R2Bucket(uniqueNs());
  const o = await b.put('h', 'data', { sha512: hex('sha512', 'data') });
  assert.equal(Buffer.from(o.checksums.sha512).toString('hex'), hex('sha512', 'data'));
  const md5 = crypto.createHash('md5').update('data').digest();
  assert.equal((await b.put('h2', 'data', { md5: md5.buffer.slice(md5.byteOffset, md5.byteOffset + 16) })).etag, md5.toString('hex'));
  await assert.rejects(b.put('h', 'data', { md5: hex('md5', 'data'), sha1: hex('sha1', 'data') }), {
    name: 'TypeError',
    message: 'You cannot specify multiple hashing algorithms.',
  });
  await assert.rejects(b.put('h', 'data', { sha256: 'abc' }), { name: 'TypeError', message: 'SHA-256 is 64 hex characters, not 3' });
  await assert.rejects(b.put('h', 'data', { sha384: 'z'.repeat(96) }), { name: 'TypeError', message: "Provided SHA-384 wasn't a valid hex string" });
  await assert.rejects(b.put('bad', 'data', { sha384: hex('sha384', 'other') }), /put: The SHA-384 checksum you specified did not match/);
  assert.equal(await b.head('bad'), null);
});

test('delete one or many; list with prefix, delimiter, cursor, startAfter and include', async () => {
  const b = new R2Bucket(uniqueNs());
  for (const k of ['a/1', 'a/2', 'a/b/3', 'c', 'd']) await b.put(k, k, { customMetadata: { name: k } });
  await b.delete('d');
  await b.delete(['c', 'never']);
  const top = await b.list({ delimiter: '/' });
  assert.deepEqual(top.objects.map((o) => o.key), []);
  assert.deepEqual(top.delimitedPrefixes, ['a/']);
  const all = await b.list();
  assert.deepEqual(all.objects.map((o) => o.key), ['a/1', 'a/2', 'a/b/3']);
  assert.deepEqual(all.delimitedPrefixes, []);
  assert.equal(all.truncated, false);
  assert.equal('cursor' in all, false);
  assert.ok(all.objects[0] instanceof R2Object);
  const p1 = await b.list({ prefix: 'a/', limit: 2, include: ['customMetadata'] });
  assert.equal(p1.truncated, true);
  assert.deepEqual(p1.objects[0].customMetadata, { name: 'a/1' });
  const p2 = await b.list({ prefix: 'a/', cursor: p1.cursor });
  assert.deepEqual(p2.objects.map((o) => o.key), ['a/b/3']);
  assert.deepEqual((await b.list({ startAfter: 'a/1' })).objects.map((o) => o.key), ['a/2', 'a/b/3']);
  await assert.rejects(b.list({ include: ['bogus'] }), RangeError);
});

test('multipart: create, upload parts, resume, complete and abort', async () => {
  const b = new R2Bucket(uniqueNs());
  const upload = await b.createMultipartUpload('big', { httpMetadata: { contentType: 'video/mp4' }, customMetadata: { Tag: 'x' } });
  assert.equal(upload.key, 'big');
  const p1 = Buffer.alloc(5 * 1024 * 1024, 1);
  const part1 = await upload.uploadPart(1, p1);
  const resumed = b.resumeMultipartUpload('big', upload.uploadId);
  const part2 = await resumed.uploadPart(2, 'tail');
  const obj = await resumed.complete([part1, part2]);
  assert.equal(obj.size, p1.length + 4);
  assert.match(obj.etag, /-2$/);
  assert.equal(obj.httpMetadata.contentType, 'video/mp4');
  assert.deepEqual(obj.customMetadata, { Tag: 'x' });
  const range = await b.get('big', { range: { suffix: 4 } });
  assert.equal(await range.text(), 'tail');

  const gone = await b.createMultipartUpload('gone');
  await gone.abort();
  await assert.rejects(gone.uploadPart(1, 'x'), /uploadPart: The specified multipart upload does not exist/);
});
